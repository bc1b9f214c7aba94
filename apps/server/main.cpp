// videocontrol-server: configuration → storage (migrated) → first run → routes → HTTP server.
#include <cstdio>
#include <string>
#include <vector>

#include "engineio.hpp"
#include "http_server.hpp"
#include "router.hpp"
#include "server_context.hpp"
#include "videocontrol/bootstrap.hpp"
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

  if (config->redis_enabled)
    vc::log_warn("REDIS_URL is set, but the Redis backends are not built yet; cache, bus and presence stay in-process",
                 {{"redis_url", config->redis_url}});

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
  ctx.cache = vc::make_memory_cache(ctx.clock, ctx.config.cache_bytes);
  ctx.limiter = vc::make_memory_rate_limiter(ctx.clock);
  vc::ServiceOptions options;
  options.clock = ctx.clock;
  options.jwt_secret = ctx.config.jwt_secret;
  options.api_requests_per_minute = ctx.config.rate_limit_per_minute;
  options.login_attempts = ctx.config.login_attempts;
  options.max_upload_bytes = ctx.config.max_upload_bytes;
  auto services = vc::Services::create(
      {.storage = ctx.storage.get(), .limiter = ctx.limiter.get(), .blobs = ctx.blobs.get(), .cache = ctx.cache.get()},
      options);
  if (!services) return fail(services.error().message);
  ctx.services = std::move(*services);
  ctx.engine = std::make_unique<vc::server::EngineIo>();
  ctx.hub = std::make_unique<vc::RealtimeHub>(*ctx.services, *ctx.engine,
                                              vc::RealtimeOptions{.credential_policy = ctx.config.device_credentials});
  ctx.engine->attach(*ctx.hub);

  vc::server::Router router;
  vc::server::register_routes(router, ctx);

  vc::server::HttpServer server(
      {.host = ctx.config.host,
       .port = ctx.config.port,
       .max_body_bytes = ctx.config.max_body_bytes,
       .network_threads = ctx.config.network_threads,
       .worker_threads = ctx.config.worker_threads,
       .shutdown_timeout_ms = ctx.config.shutdown_timeout_ms},
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
  vc::log_info("stopped");
  return 0;
}
