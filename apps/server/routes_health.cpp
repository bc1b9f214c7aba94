// Liveness and readiness probes, and Prometheus metrics.
#include <chrono>
#include <memory>
#include <mutex>

#include "http_metrics.hpp"
#include "videocontrol/log.hpp"
#include "json.hpp"
#include "videocontrol/metrics.hpp"
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

  // Ready: a write to the database commits (Storage::check_writable: also a SQLite file removed or
  // replaced under the process). Checked at most once a second however often the probe asks (the
  // route is unauthenticated); a change of state is logged once, at WARN (again when the reason
  // changes) and then INFO.
  struct Probe {
    std::mutex mu;
    std::chrono::steady_clock::time_point at{};
    Result<void> last;
    bool failing = false;
    std::string reason;  // of the last WARN line
  };
  auto probe = std::make_shared<Probe>();
  router.add("GET", "/readyz", [&ctx, probe](Request&) {
    if (ctx.draining)  // SIGTERM with DRAIN_MS: still serving, but send new traffic elsewhere
      return Response::json(503, R"({"status":"draining","checks":{}})");
    Result<void> db;
    {
      std::lock_guard lock(probe->mu);
      const auto now = std::chrono::steady_clock::now();
      if (probe->at == std::chrono::steady_clock::time_point{} || now - probe->at >= std::chrono::seconds(1)) {
        probe->at = now;
        probe->last = ctx.storage->check_writable();
        // Logged when readiness is lost, and again when the reason changes (replaced, then removed).
        if (!probe->last && (!probe->failing || probe->last.error().message != probe->reason)) {
          probe->reason = probe->last.error().message;
          log_warn("not ready: the database does not take writes", {{"error", probe->reason}});
        }
        if (probe->last && probe->failing) log_info("ready again: the database takes writes");
        probe->failing = !probe->last;
      }
      db = probe->last;
    }
    JsonWriter w;
    w.begin_object().key("status").value(db ? "ready" : "unavailable");
    // The reason is in the log: the probe is public, and file names and driver messages are not.
    w.key("checks").begin_object().key("database").value(db ? "ok" : "unavailable: does not take writes (the server log says why)");
    // Redis is not needed to serve (local fallbacks), so it is reported but does not fail readiness.
    if (ctx.config.redis_enabled && ctx.cache)
      w.key("redis").value(ctx.cache->healthy() ? "ok" : "unavailable: using in-process fallbacks");
    // Nor is the content folder's writability (files are still served): reported for operators.
    if (ctx.blobs)
      w.key("content").value(ctx.blobs->healthy()                ? "ok"
                             : ctx.config.blob_store == "s3" ? "unavailable: cannot store uploads (the object store does not answer)"
                                                             : "unavailable: cannot store uploads (check the content folder)");
    w.end_object();
    w.key("backend").value(ctx.storage->backend_name());
    w.end_object();
    return Response::json(db ? 200 : 503, w.str());
  });

  // Prometheus text format. Unauthenticated like the probes: it carries counts, never names or ids;
  // deploy/ keeps it off the public side of the load balancer. docs/operations.md lists the families.
  router.add("GET", "/metrics", [&ctx](Request&) {
    MetricsWriter out;
    if (ctx.http_metrics && ctx.config.metrics) ctx.http_metrics->write(out);
    if (ctx.installation) write_installation_metrics(*ctx.installation, out);
    Response res;
    res.content_type = "text/plain; version=0.0.4; charset=utf-8";
    res.body = out.take();
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
  register_webhook_routes(router, ctx);
}

}  // namespace vc::server
