// Liveness and readiness probes.
#include "json.hpp"
#include "router.hpp"
#include "routes.hpp"
#include "server_context.hpp"

namespace vc::server {

void register_health_routes(Router& router, ServerContext& ctx) {
  // Alive: the process answers. Never touches a dependency, so it runs on the network thread.
  RouteOptions never_blocks;
  never_blocks.inline_handler = true;
  router.add("GET", "/healthz", [](Request&) { return Response::json(200, R"({"status":"ok"})"); }, never_blocks);

  // Ready: the database answers a round trip.
  router.add("GET", "/readyz", [&ctx](Request&) {
    auto db = ctx.storage->ping();
    JsonWriter w;
    w.begin_object().key("status").value(db ? "ready" : "unavailable");
    w.key("checks").begin_object().key("database").value(db ? std::string("ok") : db.error().message).end_object();
    w.key("backend").value(ctx.storage->backend_name());
    w.end_object();
    return Response::json(db ? 200 : 503, w.str());
  });
}

void register_routes(Router& router, ServerContext& ctx) {
  register_health_routes(router, ctx);
  register_openapi_routes(router, ctx);
  register_auth_routes(router, ctx);
  register_organization_routes(router, ctx);
  register_user_routes(router, ctx);
  register_api_key_routes(router, ctx);
  register_audit_routes(router, ctx);
  register_realtime_routes(router, ctx);
  register_devices_routes(router, ctx);
  register_media_routes(router, ctx);
  register_player_routes(router, ctx);
}

}  // namespace vc::server
