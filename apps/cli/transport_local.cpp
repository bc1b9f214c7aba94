// The local transport: opens the installation through the library (Installation::open) and calls the
// server's own route handlers in this process, acting as the system actor in one organisation. No
// network, no sign-in: whoever can read the database and content folder administers the installation,
// exactly as with the server's own files. Runs no pipeline workers and drives no schedules (the
// server does); uploads are streamed into the route's body sink in chunks, never held whole.
#include <cstdio>
#include <filesystem>

#include "in_process.hpp"
#include "server_config.hpp"
#include "transport.hpp"
#include "videocontrol/installation.hpp"
#include "videocontrol/organizations.hpp"
#include "videocontrol/services.hpp"

namespace vcctl {
namespace {

Reply to_reply(vc::server::Response r) { return Reply{r.status, std::move(r.body), std::move(r.content_type)}; }

class LocalTransport final : public Transport {
 public:
  LocalTransport(std::unique_ptr<vc::Installation> inst, vc::Config config, std::string what)
      : inst_(std::move(inst)), api_(*inst_, std::move(config)), what_(std::move(what)) {}

  vc::Result<void> act_in(const std::string& organization) {
    auto actor = api_.system_actor(organization);
    if (!actor) return actor.error();
    actor_ = std::move(*actor);
    auto org = inst_->services().organizations().get(actor_, actor_.organization_id);
    what_ += ", organisation " + (org ? org->slug : actor_.organization_id);
    return {};
  }

  vc::Result<Reply> request(std::string_view method, std::string_view target, std::string_view json_body) override {
    return to_reply(api_.call(actor_, method, target, json_body));
  }

  vc::Result<Reply> upload(std::string_view target, const Upload& file) override {
    return to_reply(api_.upload(actor_, target, file.path, file.filename, file.field, file.progress));
  }

  std::string describe() const override { return what_; }

 private:
  std::unique_ptr<vc::Installation> inst_;
  vc::server::InProcessApi api_;
  std::string what_;
  vc::Actor actor_;
};

}  // namespace

vc::Result<std::unique_ptr<Transport>> local_transport(const LocalOptions& options) {
  std::vector<std::string> args;
  if (!options.database_url.empty()) args.push_back("--database-url=" + options.database_url);
  if (!options.data_dir.empty()) args.push_back("--data-dir=" + options.data_dir);
  if (!options.content_dir.empty()) args.push_back("--content-dir=" + options.content_dir);
  auto config = vc::load_config(vc::process_env(), args);
  if (!config) return config.error();
  auto io = vc::to_installation_options(*config);
  // An administering process: no conversions, no schedule driving, no clean-up of what a running
  // server may be writing right now (its unfinished uploads, blobs not yet referenced).
  io.run_pipeline = false;
  io.drive_schedules = false;
  io.remove_upload_leftovers = false;
  io.sweep_blobs_min_age = std::chrono::seconds(-1);
  io.prune_audit = false;
  io.warn_device_identity = false;  // the server's start-up says it; vcctl's output stays clean
  if (!std::filesystem::exists(config->database.kind == vc::DatabaseUrl::Kind::sqlite && config->database.sqlite_path != ":memory:" ? config->database.sqlite_path : std::string("/")))
    return vc::make_error(vc::ErrorCode::not_found, "no database at " + config->database_url +
                                                        ": name the server's with --database-url (or DATABASE_URL) or --data-dir");
  auto inst = vc::Installation::open(std::move(io));
  if (!inst) return inst.error();
  if (const auto& first = (*inst)->first_run(); first && !first->generated_password.empty())
    std::fprintf(stderr, "vcctl: created a new installation; the password of '%s' is %s\n", first->admin_username.c_str(),
                 first->generated_password.c_str());
  const std::string what = "local " + config->database_url;
  auto t = std::make_unique<LocalTransport>(std::move(*inst), std::move(*config), what);
  if (auto r = t->act_in(options.organization); !r) return r.error();
  return std::unique_ptr<Transport>(std::move(t));
}

}  // namespace vcctl
