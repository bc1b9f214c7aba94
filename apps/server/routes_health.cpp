// Liveness and readiness probes, and Prometheus metrics.
#include <fmt/format.h>

#include "json.hpp"
#include "videocontrol/redis.hpp"
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
    w.key("checks").begin_object().key("database").value(db ? std::string("ok") : db.error().message);
    // Redis is not needed to serve (local fallbacks), so it is reported but does not fail readiness.
    if (ctx.config.redis_enabled && ctx.cache)
      w.key("redis").value(ctx.cache->healthy() ? "ok" : "unavailable: using in-process fallbacks");
    // Nor is the content folder's writability (files are still served): reported for operators.
    if (ctx.blobs) w.key("content").value(ctx.blobs->healthy() ? "ok" : "unavailable: cannot store uploads (check the content folder)");
    w.end_object();
    w.key("backend").value(ctx.storage->backend_name());
    w.end_object();
    return Response::json(db ? 200 : 503, w.str());
  });

  // Prometheus text format. Unauthenticated like the probes: it carries counts, never names or ids;
  // deploy/ keeps it off the public side of the load balancer.
  router.add("GET", "/metrics", [&ctx](Request&) {
    std::string out;
    auto metric = [&](std::string_view name, std::string_view type, std::string_view help, auto value) {
      out += fmt::format("# HELP {0} {1}\n# TYPE {0} {2}\n{0} {3}\n", name, help, type, value);
    };
    if (ctx.cache) {
      const auto c = ctx.cache->stats();
      metric("videocontrol_cache_hits_total", "counter", "Read-path cache hits.", c.hits);
      metric("videocontrol_cache_misses_total", "counter", "Read-path cache misses.", c.misses);
      metric("videocontrol_cache_evictions_total", "counter", "Entries evicted to stay within the byte budget.", c.evictions);
      metric("videocontrol_cache_entries", "gauge", "Entries in the cache.", c.entries);
      metric("videocontrol_cache_bytes", "gauge", "Bytes held by the cache.", c.bytes);
    }
    if (ctx.services) {
      const auto c = ctx.services->playback().command_stats();
      out += "# HELP videocontrol_realtime_command_seconds Control commands (Socket.IO or REST), from arrival until the "
             "player events were handed to the players' connections (in-process) or the event bus: the wait for a "
             "worker, the stored state change and the delivery.\n"
             "# TYPE videocontrol_realtime_command_seconds histogram\n";
      for (std::size_t i = 0; i < c.kBoundsMs.size(); ++i)
        out += fmt::format("videocontrol_realtime_command_seconds_bucket{{le=\"{}\"}} {}\n", c.kBoundsMs[i] / 1000.0,
                           c.within[i]);
      out += fmt::format("videocontrol_realtime_command_seconds_bucket{{le=\"+Inf\"}} {0}\n"
                         "videocontrol_realtime_command_seconds_sum {1}\nvideocontrol_realtime_command_seconds_count {0}\n",
                         c.count, c.ms_sum / 1000.0);
    }
    if (ctx.hub) {
      const auto r = ctx.hub->stats();
      metric("videocontrol_realtime_connections", "gauge", "Socket.IO connections.", r.connections);
      metric("videocontrol_realtime_players", "gauge", "Connections registered as players.", r.players);
      metric("videocontrol_realtime_controls", "gauge", "Authenticated control connections.", r.controls);
      metric("videocontrol_devices_online", "gauge", "Devices with at least one live player connection.", r.online_devices);
    }
    Response res;
    res.content_type = "text/plain; version=0.0.4; charset=utf-8";
    res.body = std::move(out);
    return res;
  });
}

void register_routes(Router& router, ServerContext& ctx) {
  register_health_routes(router, ctx);
  register_web_routes(router, ctx);
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
  register_scheduling_routes(router, ctx);
}

}  // namespace vc::server
