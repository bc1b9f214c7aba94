// videocontrol-server: configuration → storage (migrated) → first run → routes → HTTP server.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "engineio.hpp"
#include "http_server.hpp"
#include "router.hpp"
#include "server_context.hpp"
#include "videocontrol/bootstrap.hpp"
#include "videocontrol/event_bus.hpp"
#include "videocontrol/id.hpp"
#include "videocontrol/presence.hpp"
#include "videocontrol/redis.hpp"
#include "videocontrol/log.hpp"
#include "videocontrol/version.hpp"

namespace {

int fail(const std::string& what) {
  std::fprintf(stderr, "videocontrol-server: %s\n", what.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  for (const auto& a : args) {
    if (a == "--help" || a == "-h") {
      std::printf("usage: videocontrol-server [--setting=value ...]\n\nSettings (flag, environment variable):\n%s",
                  vc::config_help().c_str());
      return 0;
    }
    if (a == "--version") {
      std::printf("videocontrol-server %s\n", vc::version());
      return 0;
    }
  }

  auto config = vc::load_config(vc::process_env(), args);
  if (!config) return fail(config.error().message);
  vc::set_log_level(config->log_level);
  vc::set_log_format(config->log_format);


  vc::server::ServerContext ctx;
  ctx.config = *config;
  ctx.clock = vc::system_clock();

  auto storage = vc::open_storage({.url = ctx.config.database, .pool_size = ctx.config.db_pool_size});
  if (!storage) return fail(storage.error().message);
  ctx.storage = std::move(*storage);
  auto migrated = ctx.storage->migrate();
  if (!migrated) return fail(migrated.error().message);
  for (const auto& name : migrated->applied) vc::log_info("migration applied", {{"migration", name}});

  auto first = vc::bootstrap_first_run(*ctx.storage, *ctx.clock, ctx.config.admin_password);
  if (!first) return fail(first.error().message);
  if (*first) {
    const auto& run = **first;
    vc::log_info("first run: created organisation 'Default' and superadmin", {{"username", run.admin_username}});
    if (!run.generated_password.empty()) {
      // Shown once, on stdout only (never in the log): the operator must store it now.
      std::printf("\n  First run: superadmin 'admin' created with password: %s\n"
                  "  It is shown only this once. Sign in and change it.\n\n",
                  run.generated_password.c_str());
      std::fflush(stdout);
    }
  }

  auto blobs = vc::make_disk_blob_store(ctx.config.content_dir);
  if (!blobs) return fail(blobs.error().message);
  ctx.blobs = std::move(*blobs);
  if (auto left = ctx.blobs->remove_leftovers(); left && *left > 0)
    vc::log_warn("removed unfinished uploads left by an earlier run", {{"files", *left}});
  if (ctx.config.redis_enabled) {
    // Shared cache, rate limits, presence and event bus; each degrades to in-process while Redis
    // is unreachable and recovers by itself.
    vc::RedisOptions redis{.url = ctx.config.redis_url};
    auto cache = vc::make_redis_cache(redis, ctx.clock, ctx.config.cache_bytes);
    auto limiter = vc::make_redis_rate_limiter(redis, ctx.clock);
    auto bus = vc::make_redis_event_bus(redis);
    auto presence = vc::make_redis_presence(redis);
    for (const vc::Error* e : {cache ? nullptr : &cache.error(), limiter ? nullptr : &limiter.error(),
                               bus ? nullptr : &bus.error(), presence ? nullptr : &presence.error()})
      if (e) return fail("REDIS_URL: " + e->message);
    ctx.cache = std::move(*cache);
    ctx.limiter = std::move(*limiter);
    ctx.bus = std::move(*bus);
    ctx.presence = std::move(*presence);
    vc::log_info("using Redis for cache, rate limits, presence and events",
                 {{"healthy", vc::redis_healthy(*ctx.cache) ? "yes" : "no (in-process fallback until it answers)"}});
  } else {
    ctx.cache = vc::make_memory_cache(ctx.clock, ctx.config.cache_bytes);
    ctx.limiter = vc::make_memory_rate_limiter(ctx.clock);
    ctx.bus = vc::make_local_event_bus();
    ctx.presence = vc::make_local_presence();
  }
  vc::ServiceOptions options;
  options.clock = ctx.clock;
  options.jwt_secret = ctx.config.jwt_secret;
  options.api_requests_per_minute = ctx.config.rate_limit_per_minute;
  options.login_attempts = ctx.config.login_attempts;
  options.max_upload_bytes = ctx.config.max_upload_bytes;
  auto services = vc::Services::create(
      {.storage = ctx.storage.get(),
       .limiter = ctx.limiter.get(),
       .blobs = ctx.blobs.get(),
       .cache = ctx.cache.get(),
       .bus = ctx.bus.get()},
      options);
  if (!services) return fail(services.error().message);
  ctx.services = std::move(*services);
  ctx.engine = std::make_unique<vc::server::EngineIo>(
      vc::server::EngineIoOptions{.ping_interval = std::chrono::milliseconds(ctx.config.ping_interval_ms),
                                  .ping_timeout = std::chrono::milliseconds(ctx.config.ping_timeout_ms)});
  vc::RealtimeOptions realtime;
  realtime.credential_policy = ctx.config.device_credentials;
  realtime.presence = ctx.presence.get();
  realtime.instance_id = vc::random_secret(12);
  ctx.hub = std::make_unique<vc::RealtimeHub>(*ctx.services, *ctx.engine, realtime);
  ctx.engine->attach(*ctx.hub);

  vc::server::Router router;
  vc::server::register_routes(router, ctx);

  vc::server::HttpServer server(
      {.host = ctx.config.host,
       .port = ctx.config.port,
       .max_body_bytes = ctx.config.max_body_bytes,
       .network_threads = ctx.config.network_threads,
       .worker_threads = ctx.config.worker_threads,
       .shutdown_timeout_ms = ctx.config.shutdown_timeout_ms,
       .accel_prefix = ctx.config.accel_redirect,
       .accel_root = std::filesystem::absolute(ctx.config.content_dir).lexically_normal().string() + "/blobs/"},
      router);
  server.add_websocket("/socket.io/", [&ctx](std::shared_ptr<vc::server::Request> req,
                                             std::shared_ptr<vc::server::WebSocketConnection> ws) {
    ctx.engine->handle_websocket(std::move(req), std::move(ws));
  });
  server.on_shutdown([&ctx] { ctx.engine->shutdown(); });
  auto port = server.listen();
  if (!port) return fail(port.error().message);
  vc::log_info("listening on http://" + ctx.config.host + ":" + std::to_string(*port), {{"version", vc::version()},
                                                        {"database", std::string(ctx.storage->backend_name())},
                                                        {"port", static_cast<unsigned>(*port)}});
  server.run();
  // Teardown order: no bus event may reach the engine once it is gone, and the engine's last
  // calls into the hub (connections closing) may still publish on the bus.
  ctx.hub->stop();
  ctx.engine.reset();
  ctx.bus.reset();
  vc::log_info("stopped");
  return 0;
}
