// (being written)
#include "router.hpp"
#include "routes.hpp"
#include "server_context.hpp"

namespace vc::server {

void register_devices_routes(Router& router, ServerContext& ctx) {
  (void)router;
  (void)ctx;
}

}  // namespace vc::server
