// videocontrol-server: settings → the installation (library) → routes → HTTP server.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "engineio.hpp"
#include "http_metrics.hpp"
#include "http_server.hpp"
#include "router.hpp"
#include "server_context.hpp"
#include "videocontrol/cache.hpp"
#include "videocontrol/installation.hpp"
#include "videocontrol/log.hpp"
#include "videocontrol/realtime_hub.hpp"
#include "videocontrol/storage.hpp"
#include "videocontrol/version.hpp"

namespace {

int fail(const std::string& what) {
  std::fprintf(stderr, "videocontrol-server: %s\n", what.c_str());
  return 2;
}

// SQLite maps its shared-memory index (the -shm file beside the database) into memory; when that
// file cannot be read or grown (made read-only, a full disk) the next access raises SIGBUS, which
// would end the process without a word. It cannot be survived safely: say what happened, then exit.
void on_sigbus(int) {
  static const char kMessage[] =
      "videocontrol-server: fatal: SIGBUS: a memory-mapped file could not be read or written; most likely SQLite's "
      "-shm file beside the database (made read-only, or the disk is full). Exiting with status 70.\n";
  (void)!::write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
  ::_exit(70);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  struct sigaction bus {};
  bus.sa_handler = on_sigbus;
  sigemptyset(&bus.sa_mask);
  ::sigaction(SIGBUS, &bus, nullptr);
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
  if (!config->config_file.empty()) vc::log_info("settings read from a file", {{"file", config->config_file}});
  for (const auto& w : config->warnings) vc::log_warn(w);

  // The library: database (migrated), first run, blob store, backends, services, realtime hub.
  auto installation = vc::Installation::open(vc::to_installation_options(*config));
  if (!installation) return fail(installation.error().message);
  vc::Installation& inst = **installation;
  for (const auto& name : inst.migrations_applied()) vc::log_info("migration applied", {{"migration", name}});
  if (const auto& run = inst.first_run()) {
    vc::log_info("first run: created organisation 'Default' and superadmin", {{"username", run->admin_username}});
    if (!run->generated_password.empty()) {
      // Shown once, on stdout only (never in the log): the operator must store it now.
      std::printf("\n  First run: superadmin 'admin' created with password: %s\n"
                  "  It is shown only this once. Sign in and change it.\n\n",
                  run->generated_password.c_str());
      std::fflush(stdout);
    }
  }
  if (!config->redis_url.empty() && config->redis_enabled)
    vc::log_info("using Redis for cache, rate limits, presence and events",
                 {{"healthy", inst.cache().healthy() ? "yes" : "no (in-process fallback until it answers)"}});

  vc::server::ServerContext ctx;
  ctx.config = *config;
  ctx.use(inst);
  vc::server::EngineIoOptions engine_options;
  engine_options.ping_interval = std::chrono::milliseconds(ctx.config.ping_interval_ms);
  engine_options.ping_timeout = std::chrono::milliseconds(ctx.config.ping_timeout_ms);
  engine_options.max_queued_bytes = static_cast<std::size_t>(ctx.config.realtime_max_queued_bytes);
  if (ctx.config.metrics && ctx.http_metrics)
    engine_options.on_slow_consumer = [m = ctx.http_metrics.get()] {
      m->connection_dropped(vc::server::HttpMetrics::Drop::slow_consumer);
    };
  ctx.engine = std::make_unique<vc::server::EngineIo>(std::move(engine_options));
  ctx.hub->attach(*ctx.engine);
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
       .accel_root = std::filesystem::absolute(ctx.config.content_dir).lexically_normal().string() + "/blobs/",
       .drain_ms = ctx.config.drain_ms,
       .metrics = ctx.config.metrics ? ctx.http_metrics.get() : nullptr,
       .websocket_max_queued_bytes = static_cast<std::size_t>(ctx.config.realtime_max_queued_bytes),
       .max_connections_per_address = ctx.config.max_connections_per_address,
       .uncapped_addresses = ctx.config.trusted_proxies,
       .server_header_version = ctx.config.server_header_version},
      router);
  server.add_websocket("/socket.io/", [&ctx](std::shared_ptr<vc::server::Request> req,
                                             std::shared_ptr<vc::server::WebSocketConnection> ws) {
    ctx.engine->handle_websocket(std::move(req), std::move(ws));
  });
  server.on_drain([&ctx] { ctx.draining = true; });
  // Players' connections are closed at the transport level (no Socket.IO disconnect), so they
  // reconnect at once — through a load balancer, to another instance.
  server.on_shutdown([&ctx] { ctx.engine->shutdown(); });
  auto port = server.listen();
  if (!port) return fail(port.error().message);
  vc::log_info("listening on http://" + ctx.config.host + ":" + std::to_string(*port), {{"version", vc::version()},
                                                        {"database", std::string(ctx.storage->backend_name())},
                                                        {"port", static_cast<unsigned>(*port)}});
  server.run();
  // Teardown order: no domain event may reach the engine once it is gone; the engine's last calls
  // into the hub (connections closing) may still publish events, which the installation outlives.
  ctx.hub->detach();
  ctx.engine.reset();
  vc::log_info("stopped");
  return 0;
}
