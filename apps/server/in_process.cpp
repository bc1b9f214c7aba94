#include "in_process.hpp"

#include <filesystem>
#include <fstream>
#include <random>

#include "router.hpp"
#include "server_context.hpp"
#include "videocontrol/protocol/multipart.hpp"
#include "videocontrol/installation.hpp"
#include "videocontrol/organizations.hpp"
#include "videocontrol/services.hpp"

namespace vc::server {

struct InProcessApi::Impl {
  ServerContext ctx;
  Router router;
};

namespace {

Request make_request(const Actor& actor, std::string_view method, std::string_view target) {
  Request req;
  req.method = method;
  req.target = target;
  const auto q = target.find('?');
  req.path = target.substr(0, q);
  if (q != std::string_view::npos) req.query = target.substr(q + 1);
  req.remote_address = actor.address.empty() ? "local" : actor.address;
  req.headers.emplace_back("host", "local");
  req.headers.emplace_back("accept", "application/json");
  req.in_process_actor = &actor;
  return req;
}

Response with_file_read(Response r) {
  if (!r.file) return r;
  std::ifstream in(r.file->path, std::ios::binary);
  in.seekg(r.file->offset);
  r.body.resize(static_cast<std::size_t>(r.file->length));
  in.read(r.body.data(), r.file->length);
  r.body.resize(static_cast<std::size_t>(in.gcount()));
  r.file.reset();
  return r;
}

}  // namespace

InProcessApi::InProcessApi(Installation& inst, Config config) : installation_(inst), impl_(std::make_unique<Impl>()) {
  impl_->ctx.config = std::move(config);
  impl_->ctx.use(inst);
  register_routes(impl_->router, impl_->ctx);
}

InProcessApi::~InProcessApi() = default;

Result<Actor> InProcessApi::system_actor(std::string_view organization) {
  const auto system = Actor::system();
  std::vector<Organization> all;
  PageRequest page{.cursor = "", .limit = 200};
  for (;;) {
    auto p = installation_.services().organizations().list(system, page);
    if (!p) return p.error();
    for (auto& o : p->items) all.push_back(std::move(o));
    if (p->next_cursor.empty()) break;
    page.cursor = p->next_cursor;
  }
  const Organization* chosen = nullptr;
  for (const auto& o : all)
    if (!organization.empty() ? (o.slug == organization || o.id == organization) : o.slug == "default") chosen = &o;
  if (!chosen && organization.empty() && all.size() == 1) chosen = &all.front();
  if (!chosen) {
    std::string names;
    for (const auto& o : all) names += (names.empty() ? "" : ", ") + o.slug;
    return make_error(ErrorCode::not_found,
                      organization.empty() ? "several organisations and none is 'default': name one (" + names + ")"
                                           : "no organisation '" + std::string(organization) + "' (there are: " + names + ")");
  }
  auto actor = system;
  actor.organization_id = chosen->id;
  actor.address = "local";
  return actor;
}

Response InProcessApi::call(const Actor& actor, std::string_view method, std::string_view target, std::string_view json_body) {
  Request req = make_request(actor, method, target);
  if (!json_body.empty()) {
    req.body = json_body;
    req.headers.emplace_back("content-type", "application/json");
    req.headers.emplace_back("content-length", std::to_string(json_body.size()));
  }
  auto m = impl_->router.match(req.method, req.path);
  if (m.kind == RouteMatch::Kind::not_found) return Response::error(404, "not_found", "no route " + req.path);
  if (m.kind == RouteMatch::Kind::method_not_allowed)
    return Response::error(405, "method_not_allowed", "method " + req.method + " not allowed on " + req.path);
  req.params = std::move(m.params);
  const auto& route = *m.route;
  if (route.options.async || route.options.stream || !route.handler)
    return Response::error(501, "unsupported", req.path + " works only over a connection to the server");
  return with_file_read(route.handler(req));
}

Response InProcessApi::upload(const Actor& actor, std::string_view target, const std::string& path, std::string_view filename,
                              std::string_view field, const std::function<void(std::uint64_t, std::uint64_t)>& progress) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return Response::error(400, "invalid", path + ": " + ec.message());
  std::ifstream in(path, std::ios::binary);
  if (!in) return Response::error(400, "invalid", path + ": cannot be read");
  std::string boundary = "vc-in-process-";
  std::random_device rd;
  for (int i = 0; i < 16; ++i) boundary += "0123456789abcdef"[rd() % 16];
  const std::string head = multipart_file_head(boundary, field, filename);
  const std::string tail = multipart_close(boundary);
  const std::uint64_t total = head.size() + size + tail.size();

  Request req = make_request(actor, "POST", target);
  req.headers.emplace_back("content-type", "multipart/form-data; boundary=" + boundary);
  req.headers.emplace_back("content-length", std::to_string(total));
  auto m = impl_->router.match(req.method, req.path);
  if (m.kind != RouteMatch::Kind::found || !m.route->options.stream)
    return Response::error(404, "not_found", req.path + " takes no upload");
  req.params = std::move(m.params);
  auto start = m.route->options.stream(req);
  if (!start.sink) return with_file_read(std::move(start.refusal));
  std::uint64_t sent = 0;
  auto write = [&](std::string_view chunk) -> Result<void> {
    VC_TRY(start.sink->write(chunk));
    sent += chunk.size();
    if (progress) progress(sent, total);
    return {};
  };
  if (auto w = write(head); !w) return Response::error(w.error());
  std::string buf(256 * 1024, '\0');
  for (std::uint64_t left = size; left > 0;) {
    in.read(buf.data(), static_cast<std::streamsize>(std::min<std::uint64_t>(buf.size(), left)));
    const auto n = static_cast<std::uint64_t>(in.gcount());
    if (n == 0) return Response::error(400, "invalid", path + ": read failed while sending (did it change?)");
    if (auto w = write(std::string_view(buf.data(), n)); !w) return Response::error(w.error());
    left -= n;
  }
  if (auto w = write(tail); !w) return Response::error(w.error());
  return with_file_read(start.sink->finish());
}

}  // namespace vc::server
