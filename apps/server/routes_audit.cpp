// Audit log: GET /api/v1/audit. Organisation admins read their organisation's entries, the
// superadmin all (the library enforces it); filters and paging come from the query string.
#include "api_json.hpp"
#include "api_request.hpp"
#include "router.hpp"
#include "server_context.hpp"

namespace vc::server {

void register_audit_routes(Router& router, ServerContext& ctx) {
  // ?action= ?actor_id= ?object_type= ?object_id= ?since= ?until= (RFC 3339) ?organization_id=
  // (superadmin) ?cursor= ?limit= → {"items":[…],"next_cursor"}.
  router.add("GET", "/api/v1/audit", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    auto page = page_request(req);
    if (!page) return page.error();
    AuditFilter filter;
    filter.cursor = page->cursor;
    filter.limit = page->limit;
    filter.organization_id = req.query_param("organization_id").value_or("");
    filter.action = req.query_param("action").value_or("");
    filter.actor_id = req.query_param("actor_id").value_or("");
    filter.object_type = req.query_param("object_type").value_or("");
    filter.object_id = req.query_param("object_id").value_or("");
    auto since = time_query_param(req, "since");
    if (!since) return since.error();
    filter.since_ms = *since;
    auto until = time_query_param(req, "until");
    if (!until) return until.error();
    filter.until_ms = *until;
    auto entries = ctx.services->audit().list(actor, filter);
    if (!entries) return entries.error();
    return Response::json(200, page_json(*entries, write_audit_entry));
  }));
}

}  // namespace vc::server
