// What the routes share: configuration and the library services, built once in main().
#pragma once

#include <memory>

#include "videocontrol/blob_store.hpp"
#include "videocontrol/cache.hpp"
#include "videocontrol/clock.hpp"
#include "videocontrol/config.hpp"
#include "videocontrol/event_bus.hpp"
#include "videocontrol/presence.hpp"
#include "videocontrol/rate_limiter.hpp"
#include "videocontrol/realtime_hub.hpp"
#include "videocontrol/services.hpp"
#include "videocontrol/storage.hpp"

namespace vc::server {

class EngineIo;

struct ServerContext {
  ServerContext();
  ~ServerContext();

  Config config;
  std::shared_ptr<Clock> clock;
  std::unique_ptr<Storage> storage;
  std::unique_ptr<RateLimiter> limiter;
  std::unique_ptr<BlobStore> blobs;
  std::unique_ptr<Cache> cache;
  std::unique_ptr<EventBus> bus;         // cross-instance events (Redis) or in-process
  std::unique_ptr<Presence> presence;    // who is online on any instance
  std::unique_ptr<Services> services;  // REQUIRES: storage and limiter outlive it (declared after them)
  std::unique_ptr<RealtimeHub> hub;    // players and control panels (uses services)
  std::unique_ptr<EngineIo> engine;    // the hub's transport; destroyed first, it stops calling the hub
};

class Router;

// Registers every route of the server.
void register_routes(Router& router, ServerContext& ctx);

}  // namespace vc::server
