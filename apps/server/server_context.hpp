// What the routes share: configuration and the library services, built once in main().
#pragma once

#include <memory>

#include "videocontrol/clock.hpp"
#include "videocontrol/config.hpp"
#include "videocontrol/storage.hpp"

namespace vc::server {

struct ServerContext {
  Config config;
  std::shared_ptr<Clock> clock;
  std::unique_ptr<Storage> storage;
};

class Router;

// Registers every route of the server.
void register_routes(Router& router, ServerContext& ctx);

}  // namespace vc::server
