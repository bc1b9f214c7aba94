// The local transport: opens the installation through the library (Installation::open) and calls the
// server's own route handlers in this process, acting as the system actor in one organisation. No
// network, no sign-in: whoever can read the database and content folder administers the installation,
// exactly as with the server's own files. Runs no pipeline workers and drives no schedules (the
// server does); uploads are streamed into the route's body sink in chunks, never held whole.
#include <filesystem>
#include <fstream>
#include <random>

#include "router.hpp"
#include "server_config.hpp"
#include "server_context.hpp"
#include "transport.hpp"
#include "videocontrol/installation.hpp"
#include "videocontrol/organizations.hpp"
#include "videocontrol/services.hpp"

namespace vcctl {
namespace {

using vc::server::Request;
using vc::server::Response;

Reply to_reply(Response r) {
  Reply out{r.status, std::move(r.body), std::move(r.content_type)};
  if (r.file) {  // media bytes: read the slice the route chose
    std::ifstream in(r.file->path, std::ios::binary);
    in.seekg(r.file->offset);
    out.body.resize(static_cast<std::size_t>(r.file->length));
    in.read(out.body.data(), r.file->length);
    out.body.resize(static_cast<std::size_t>(in.gcount()));
  }
  return out;
}

Request make_request(std::string_view method, std::string_view target) {
  Request req;
  req.method = method;
  req.target = target;
  const auto q = target.find('?');
  req.path = target.substr(0, q);
  if (q != std::string_view::npos) req.query = target.substr(q + 1);
  req.remote_address = "local";
  req.headers.emplace_back("host", "local");
  req.headers.emplace_back("accept", "application/json");
  return req;
}

class LocalTransport final : public Transport {
 public:
  LocalTransport(std::unique_ptr<vc::Installation> inst, vc::Config config, std::string what)
      : inst_(std::move(inst)), what_(std::move(what)) {
    ctx_.config = std::move(config);
    ctx_.clock = inst_->clock();
    ctx_.storage = &inst_->storage();
    ctx_.limiter = &inst_->limiter();
    ctx_.blobs = &inst_->blobs();
    ctx_.cache = &inst_->cache();
    ctx_.services = &inst_->services();
    ctx_.hub = &inst_->realtime();
    ctx_.pipeline = &inst_->pipeline();
    vc::server::register_routes(router_, ctx_);
  }

  vc::Result<void> act_in(const std::string& organization) {
    const auto system = vc::Actor::system();
    auto& orgs = inst_->services().organizations();
    std::vector<vc::Organization> all;
    vc::PageRequest page{.cursor = "", .limit = 200};
    for (;;) {
      auto p = orgs.list(system, page);
      if (!p) return p.error();
      for (auto& o : p->items) all.push_back(std::move(o));
      if (p->next_cursor.empty()) break;
      page.cursor = p->next_cursor;
    }
    const vc::Organization* chosen = nullptr;
    for (const auto& o : all) {
      if (!organization.empty() ? (o.slug == organization || o.id == organization) : o.slug == "default") chosen = &o;
    }
    if (!chosen && organization.empty() && all.size() == 1) chosen = &all.front();
    if (!chosen) {
      std::string names;
      for (const auto& o : all) names += (names.empty() ? "" : ", ") + o.slug;
      return vc::make_error(vc::ErrorCode::not_found,
                            organization.empty() ? "several organisations and none is 'default': name one with --organization (" + names + ")"
                                                 : "no organisation '" + organization + "' (there are: " + names + ")");
    }
    auto actor = system;
    actor.organization_id = chosen->id;
    actor.address = "local";
    ctx_.local_actor = actor;
    what_ += ", organisation " + chosen->slug;
    return {};
  }

  vc::Result<Reply> request(std::string_view method, std::string_view target, std::string_view json_body) override {
    Request req = make_request(method, target);
    if (!json_body.empty()) {
      req.body = json_body;
      req.headers.emplace_back("content-type", "application/json");
      req.headers.emplace_back("content-length", std::to_string(json_body.size()));
    }
    auto m = router_.match(req.method, req.path);
    if (m.kind == vc::server::RouteMatch::Kind::not_found)
      return to_reply(Response::error(404, "not_found", "no route " + req.path));
    if (m.kind == vc::server::RouteMatch::Kind::method_not_allowed)
      return to_reply(Response::error(405, "method_not_allowed", "method " + req.method + " not allowed on " + req.path));
    req.params = std::move(m.params);
    const auto& route = *m.route;
    if (route.options.async || !route.handler)
      return vc::make_error(vc::ErrorCode::unsupported, req.path + " is not available in local mode");
    return to_reply(route.handler(req));
  }

  vc::Result<Reply> upload(std::string_view target, const Upload& file) override {
    std::error_code ec;
    const auto size = std::filesystem::file_size(file.path, ec);
    if (ec) return vc::make_error(vc::ErrorCode::invalid, file.path + ": " + ec.message());
    std::ifstream in(file.path, std::ios::binary);
    if (!in) return vc::make_error(vc::ErrorCode::invalid, file.path + ": cannot be read");
    std::string b = "vcctl-local-";
    std::random_device rd;
    for (int i = 0; i < 16; ++i) b += "0123456789abcdef"[rd() % 16];
    std::string name;
    for (char c : file.filename) name += (c == '"') ? std::string("%22") : (c == '\\') ? std::string("%5C") : (c == '\r' || c == '\n') ? std::string("%0A") : std::string(1, c);
    const std::string head = "--" + b + "\r\nContent-Disposition: form-data; name=\"" + file.field + "\"; filename=\"" + name +
                             "\"\r\nContent-Type: application/octet-stream\r\n\r\n";
    const std::string tail = "\r\n--" + b + "--\r\n";
    const std::uint64_t total = head.size() + size + tail.size();

    Request req = make_request("POST", target);
    req.headers.emplace_back("content-type", "multipart/form-data; boundary=" + b);
    req.headers.emplace_back("content-length", std::to_string(total));
    auto m = router_.match(req.method, req.path);
    if (m.kind != vc::server::RouteMatch::Kind::found || !m.route->options.stream)
      return vc::make_error(vc::ErrorCode::internal, req.path + " takes no upload");
    req.params = std::move(m.params);
    auto start = m.route->options.stream(req);
    if (!start.sink) return to_reply(std::move(start.refusal));
    std::uint64_t sent = 0;
    auto write = [&](std::string_view chunk) -> vc::Result<void> {
      VC_TRY(start.sink->write(chunk));
      sent += chunk.size();
      if (file.progress) file.progress(sent, total);
      return {};
    };
    if (auto w = write(head); !w) return to_reply(Response::error(w.error()));
    std::string buf(256 * 1024, '\0');
    std::uint64_t left = size;
    while (left > 0) {
      in.read(buf.data(), static_cast<std::streamsize>(std::min<std::uint64_t>(buf.size(), left)));
      const auto n = static_cast<std::uint64_t>(in.gcount());
      if (n == 0) return vc::make_error(vc::ErrorCode::invalid, file.path + ": read failed while sending (did it change?)");
      if (auto w = write(std::string_view(buf.data(), n)); !w) return to_reply(Response::error(w.error()));
      left -= n;
    }
    if (auto w = write(tail); !w) return to_reply(Response::error(w.error()));
    return to_reply(start.sink->finish());
  }

  std::string describe() const override { return what_; }

 private:
  std::unique_ptr<vc::Installation> inst_;
  std::string what_;
  vc::server::ServerContext ctx_;
  vc::server::Router router_;
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
