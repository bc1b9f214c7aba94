// The realtime channel's HTTP side: Engine.IO long-polling and handshakes on /socket.io/.
// (WebSocket upgrades on the same path are wired in main.cpp through HttpServer::add_websocket.)
#include "engineio.hpp"
#include "router.hpp"
#include "routes.hpp"
#include "http_metrics.hpp"
#include "server_context.hpp"
#include "videocontrol/installation.hpp"

namespace vc::server {

ServerContext::ServerContext() : http_metrics(std::make_unique<HttpMetrics>()) {}
ServerContext::~ServerContext() = default;

void ServerContext::use(Installation& inst) {
  installation = &inst;
  clock = inst.clock();
  storage = &inst.storage();
  limiter = &inst.limiter();
  blobs = &inst.blobs();
  cache = &inst.cache();
  services = &inst.services();
  hub = &inst.realtime();
  pipeline = &inst.pipeline();
}

void register_realtime_routes(Router& router, ServerContext& ctx) {
  RouteOptions polling;
  polling.max_body_bytes = 1'000'000;  // Engine.IO maxPayload
  polling.async = [&ctx](std::shared_ptr<Request> req, Responder respond) {
    ctx.engine->handle_polling(std::move(req), std::move(respond));
  };
  router.add("GET", "/socket.io/", nullptr, polling);
  router.add("POST", "/socket.io/", nullptr, polling);
}

}  // namespace vc::server
