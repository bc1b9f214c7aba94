// Users: /api/v1/users. Roles, tenancy, the password rule and the plan's user limit are checked by
// the library (Users); password hashes never leave it.
#include "api_json.hpp"
#include "api_request.hpp"
#include "json_reader.hpp"
#include "router.hpp"
#include "server_context.hpp"

namespace vc::server {

void register_user_routes(Router& router, ServerContext& ctx) {
  // ?organization_id= (superadmin only; others always see their own organisation), ?limit=, ?cursor=.
  router.add("GET", "/api/v1/users", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    auto page = page_request(req);
    if (!page) return page.error();
    auto users = ctx.services->users().list(actor, *page, req.query_param("organization_id").value_or(""));
    if (!users) return users.error();
    return Response::json(200, page_json(*users, write_user));
  }));

  // {"username","password","role"?="viewer","organization_id"?} → 201 with the user.
  router.add("POST", "/api/v1/users", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    auto body = JsonBody::parse(req.body);
    if (!body) return body.error();
    UserInput input;
    auto username = body->string("username");
    if (!username) return username.error();
    input.username = std::move(*username);
    auto password = body->string("password");
    if (!password) return password.error();
    input.password = std::move(*password);
    auto role = body->opt_string("role");
    if (!role) return role.error();
    if (*role) input.role = std::move(**role);
    auto org = body->opt_string("organization_id");
    if (!org) return org.error();
    if (*org) input.organization_id = std::move(**org);
    auto user = ctx.services->users().create(actor, input);
    if (!user) return user.error();
    return created(object_json(*user, write_user), "/api/v1/users/" + user->id);
  }));

  router.add("GET", "/api/v1/users/{id}", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    auto user = ctx.services->users().get(actor, req.params.at("id"));
    if (!user) return user.error();
    return Response::json(200, object_json(*user, write_user));
  }));

  // Any subset of {"role","active","password"}; disabling or a password reset signs the user out.
  router.add("PATCH", "/api/v1/users/{id}", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    auto body = JsonBody::parse(req.body);
    if (!body) return body.error();
    UserPatch patch;
    auto role = body->opt_string("role");
    if (!role) return role.error();
    patch.role = std::move(*role);
    auto active = body->opt_boolean("active");
    if (!active) return active.error();
    patch.active = *active;
    auto password = body->opt_string("password");
    if (!password) return password.error();
    patch.password = std::move(*password);
    auto user = ctx.services->users().update(actor, req.params.at("id"), patch);
    if (!user) return user.error();
    return Response::json(200, object_json(*user, write_user));
  }));

  router.add("DELETE", "/api/v1/users/{id}", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    auto done = ctx.services->users().remove(actor, req.params.at("id"));
    if (!done) return done.error();
    return no_content();
  }));
}

}  // namespace vc::server
