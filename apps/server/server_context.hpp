// What the routes share: configuration and the library services, built once in main().
#pragma once

#include <atomic>
#include <memory>

#include "videocontrol/blob_store.hpp"
#include "videocontrol/cache.hpp"
#include "videocontrol/clock.hpp"
#include "server_config.hpp"
#include "videocontrol/rate_limiter.hpp"
#include "videocontrol/realtime_hub.hpp"
#include "videocontrol/services.hpp"
#include "videocontrol/storage.hpp"

namespace vc {
class Installation;
}

namespace vc::server {

class EngineIo;
class HttpMetrics;

struct ServerContext {
  ServerContext();
  ~ServerContext();
  // Points clock, storage, limiter, blobs, cache, services, hub and pipeline at the installation's.
  void use(Installation& installation);

  Config config;
  std::shared_ptr<Clock> clock;
  std::unique_ptr<HttpMetrics> http_metrics;  // the HTTP layer's (HttpServerOptions::metrics)
  Installation* installation = nullptr;        // set by use(); null in tests that build only some of it
  std::atomic<bool> draining{false};           // SIGTERM's drain phase: /readyz answers 503
  // Everything below points into the installation (Installation::open), or is null in tests that
  // build only some of it.
  Storage* storage = nullptr;
  RateLimiter* limiter = nullptr;
  BlobStore* blobs = nullptr;
  Cache* cache = nullptr;
  Services* services = nullptr;
  RealtimeHub* hub = nullptr;          // players and control panels
  ContentPipeline* pipeline = nullptr; // conversions (null: reprocessing answers 503)
  std::unique_ptr<EngineIo> engine;    // the hub's transport
};

class Router;

// Registers every route of the server.
void register_routes(Router& router, ServerContext& ctx);

}  // namespace vc::server
