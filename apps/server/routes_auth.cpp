// Sign-in: /api/v1/auth/*. Tokens, sessions and rate limits are the library's (Auth); this file
// reads the JSON, finds the client address and writes the answer.
//
// Two ways to hold a session: API clients get both tokens in the body; a browser asks for
// {"session":"cookie"} and gets the refresh token only as an HttpOnly cookie (browser_session.hpp),
// then refreshes and signs out with that cookie and an empty body.
#include "api_json.hpp"
#include "api_request.hpp"
#include "auth_middleware.hpp"
#include "browser_session.hpp"
#include "json_reader.hpp"
#include "router.hpp"
#include "server_context.hpp"

namespace vc::server {
namespace {

// The answer to a sign-in or refresh: the tokens in the body, or for a browser the cookies and a
// body without the refresh token.
Response tokens_response(ServerContext& ctx, const Request& req, const Tokens& tokens, bool cookie) {
  if (!cookie) return Response::json(200, object_json(tokens, write_tokens));
  Tokens shown = tokens;
  shown.refresh_token.clear();
  Response r = Response::json(200, object_json(shown, write_tokens));
  for (auto& c : session_cookies(tokens.refresh_token, std::chrono::seconds(tokens.refresh_expires_in),
                                 tokens.access_token, tokens.expires_in,
                                 request_is_https(req, ctx.config.trusted_proxies)))
    r.headers.emplace_back("Set-Cookie", std::move(c));
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

// A failed cookie refresh also removes the cookies, so the browser stops presenting a dead token.
Response clear_cookies(ServerContext& ctx, const Request& req, Response r) {
  for (auto& c : cleared_session_cookies(request_is_https(req, ctx.config.trusted_proxies)))
    r.headers.emplace_back("Set-Cookie", std::move(c));
  return r;
}

}  // namespace

void register_auth_routes(Router& router, ServerContext& ctx) {
  // {"username","password"} → tokens. Failures are all 401 with one message; too many → 429.
  router.add("POST", "/api/v1/auth/login", public_api([&ctx](Request& req) -> Result<Response> {
    auto body = JsonBody::parse(req.body);
    if (!body) return body.error();
    auto username = body->string("username");
    if (!username) return username.error();
    auto password = body->string("password");
    if (!password) return password.error();
    auto session = body->opt_string("session");
    if (!session) return session.error();
    const bool cookie = session->has_value() && **session == "cookie";
    if (session->has_value() && !cookie && **session != "tokens")
      return field_error("session", "\"tokens\" (both tokens in the answer, the default) or \"cookie\"");
    if (cookie) VC_TRY(check_cookie_request(req));
    auto tokens = ctx.services->auth().login(*username, *password, client_address(req, ctx.config.trusted_proxies));
    if (!tokens) return tokens.error();
    return tokens_response(ctx, req, *tokens, cookie);
  }));

  // {"refresh_token"} → a new pair; the presented token is used up. A browser sends no body and
  // its vc_refresh cookie instead, and gets the new refresh token as a cookie again.
  router.add("POST", "/api/v1/auth/refresh", public_api([&ctx](Request& req) -> Result<Response> {
    auto body = JsonBody::parse(req.body, /*allow_empty=*/true);
    if (!body) return body.error();
    auto token = body->opt_string("refresh_token");
    if (!token) return token.error();
    const auto address = client_address(req, ctx.config.trusted_proxies);
    if (token->has_value()) {
      auto tokens = ctx.services->auth().refresh(**token, address);
      if (!tokens) return tokens.error();
      return tokens_response(ctx, req, *tokens, false);
    }
    auto from_cookie = cookie_value(req, kRefreshCookie);
    if (!from_cookie || from_cookie->empty())  // neither: the body lacks its field (a browser: signed out)
      return field_error("refresh_token", "required (a browser sends its vc_refresh cookie instead)");
    VC_TRY(check_cookie_request(req));
    auto tokens = ctx.services->auth().refresh(*from_cookie, address);
    if (!tokens) return clear_cookies(ctx, req, api_error(tokens.error()));
    return tokens_response(ctx, req, *tokens, true);
  }));

  // Optional {"refresh_token"}: that session; without it, the session of the access token.
  router.add("POST", "/api/v1/auth/logout", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    auto body = JsonBody::parse(req.body, /*allow_empty=*/true);
    if (!body) return body.error();
    auto token = body->opt_string("refresh_token");
    if (!token) return token.error();
    auto done = ctx.services->auth().logout(actor, token->value_or(""));
    if (!done) return done.error();
    return clear_cookies(ctx, req, no_content());  // a browser's cookies go too
  }));

  router.add("POST", "/api/v1/auth/logout-all", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    auto done = ctx.services->auth().logout_everywhere(actor);
    if (!done) return done.error();
    return clear_cookies(ctx, req, no_content());
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
