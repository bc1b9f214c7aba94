// One registration function per route file; register_routes (routes_health.cpp) calls them all.
// Registration only stores handlers: it must not touch storage or services, which a test leaves out.
#pragma once

namespace vc::server {

class Router;
struct ServerContext;

void register_health_routes(Router& router, ServerContext& ctx);
void register_web_routes(Router& router, ServerContext& ctx);
void register_openapi_routes(Router& router, ServerContext& ctx);
void register_auth_routes(Router& router, ServerContext& ctx);
void register_organization_routes(Router& router, ServerContext& ctx);
void register_user_routes(Router& router, ServerContext& ctx);
void register_api_key_routes(Router& router, ServerContext& ctx);
void register_audit_routes(Router& router, ServerContext& ctx);
void register_realtime_routes(Router& router, ServerContext& ctx);
void register_devices_routes(Router& router, ServerContext& ctx);
void register_media_routes(Router& router, ServerContext& ctx);
void register_player_routes(Router& router, ServerContext& ctx);
void register_scheduling_routes(Router& router, ServerContext& ctx);
void register_webhook_routes(Router& router, ServerContext& ctx);

}  // namespace vc::server
