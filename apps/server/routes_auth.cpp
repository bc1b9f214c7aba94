// Sign-in: /api/v1/auth/*. Tokens, sessions and rate limits are the library's (Auth); this file
// reads the JSON, finds the client address and writes the answer.
#include "api_json.hpp"
#include "api_request.hpp"
#include "auth_middleware.hpp"
#include "json_reader.hpp"
#include "router.hpp"
#include "server_context.hpp"

namespace vc::server {

void register_auth_routes(Router& router, ServerContext& ctx) {
  // {"username","password"} → tokens. Failures are all 401 with one message; too many → 429.
  router.add("POST", "/api/v1/auth/login", public_api([&ctx](Request& req) -> Result<Response> {
    auto body = JsonBody::parse(req.body);
    if (!body) return body.error();
    auto username = body->string("username");
    if (!username) return username.error();
    auto password = body->string("password");
    if (!password) return password.error();
    auto tokens = ctx.services->auth().login(*username, *password, client_address(req, ctx.config.trusted_proxies));
    if (!tokens) return tokens.error();
    return Response::json(200, object_json(*tokens, write_tokens));
  }));

  // {"refresh_token"} → a new pair; the presented token is used up.
  router.add("POST", "/api/v1/auth/refresh", public_api([&ctx](Request& req) -> Result<Response> {
    auto body = JsonBody::parse(req.body);
    if (!body) return body.error();
    auto token = body->string("refresh_token");
    if (!token) return token.error();
    auto tokens = ctx.services->auth().refresh(*token, client_address(req, ctx.config.trusted_proxies));
    if (!tokens) return tokens.error();
    return Response::json(200, object_json(*tokens, write_tokens));
  }));

  // Optional {"refresh_token"}: that session; without it, the session of the access token.
  router.add("POST", "/api/v1/auth/logout", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    auto body = JsonBody::parse(req.body, /*allow_empty=*/true);
    if (!body) return body.error();
    auto token = body->opt_string("refresh_token");
    if (!token) return token.error();
    auto done = ctx.services->auth().logout(actor, token->value_or(""));
    if (!done) return done.error();
    return no_content();
  }));

  router.add("POST", "/api/v1/auth/logout-all", actor_api(ctx, [&ctx](Request&, const Actor& actor) -> Result<Response> {
    auto done = ctx.services->auth().logout_everywhere(actor);
    if (!done) return done.error();
    return no_content();
  }));

  router.add("GET", "/api/v1/auth/me", actor_api(ctx, [&ctx](Request&, const Actor& actor) -> Result<Response> {
    auto user = ctx.services->auth().me(actor);
    if (!user) return user.error();
    return Response::json(200, object_json(*user, write_user));
  }));

  // {"current_password","new_password"} → 204.
  router.add("POST", "/api/v1/auth/password", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    auto body = JsonBody::parse(req.body);
    if (!body) return body.error();
    auto current = body->string("current_password");
    if (!current) return current.error();
    auto next = body->string("new_password");
    if (!next) return next.error();
    auto done = ctx.services->auth().change_password(actor, *current, *next);
    if (!done) return done.error();
    return no_content();
  }));
}

}  // namespace vc::server
