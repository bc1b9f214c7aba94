// GET /api/v1/openapi.json: the API description. The unit test openapi_test keeps it and the
// router in step.
#include "openapi_document.hpp"
#include "router.hpp"
#include "server_context.hpp"

namespace vc::server {

void register_openapi_routes(Router& router, ServerContext&) {
  // A constant string: never blocks, so it answers on the network thread.
  RouteOptions inline_route;
  inline_route.inline_handler = true;
  router.add("GET", "/api/v1/openapi.json",
             [](Request&) { return Response::json(200, std::string(openapi_document())); }, inline_route);
}

}  // namespace vc::server
