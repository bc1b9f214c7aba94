// Who is calling: the client address (X-Forwarded-For only from trusted proxies), the credential
// (bearer token or API key), and the wrapper that turns them into an Actor through the library
// before a handler runs. The library decides whether a credential is good (DESIGN.md principle 1);
// this file only finds it and shapes the HTTP answer.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "http_types.hpp"
#include "router.hpp"
#include "videocontrol/actor.hpp"
#include "videocontrol/result.hpp"

namespace vc::server {

struct ServerContext;

// The address the request came from. X-Forwarded-For is honoured only when the TCP peer is one of
// `trusted_proxies`; then the right-most listed address that is not itself a trusted proxy is the
// client (the left part of the header is whatever the client chose to send). Addresses are
// normalised (IPv4-mapped IPv6 becomes IPv4), so "::ffff:10.0.0.1" matches a proxy "10.0.0.1".
std::string client_address(const Request& req, const std::vector<std::string>& trusted_proxies);

// The token of `Authorization: Bearer <token>`, else the value of `X-API-Key`, else empty.
std::string credential(const Request& req);

// The error response for a library error, with the headers its status calls for:
// 401 → `WWW-Authenticate: Bearer`, 429 → `Retry-After: <seconds>`.
Response api_error(const Error& e);

// The Actor a request acts for: its credential authenticated by the library (missing → 401), its
// `address` the client address, and — when the request names one in `X-Organization-Id` — scoped to
// that organisation by `Auth::act_in` (superadmin only: others 403; unknown organisation 404).
Result<Actor> request_actor(ServerContext& ctx, const Request& req);

using ActorHandler = std::function<Response(Request&, const Actor&)>;

// Wraps a handler that acts for someone: request_actor (missing credential → 401, rate-limited →
// 429, X-Organization-Id refused → 403/404) and calls `handler` with the Actor. Reads `ctx` only when a request arrives.
Handler with_actor(ServerContext& ctx, ActorHandler handler);

}  // namespace vc::server
