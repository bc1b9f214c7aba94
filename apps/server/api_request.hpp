// What every /api/v1 route shares besides the JSON body: the handler wrappers that turn errors into
// answers, paging and time query parameters (errors name the parameter), and small responses.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "http_types.hpp"
#include "router.hpp"
#include "videocontrol/actor.hpp"
#include "videocontrol/domain.hpp"
#include "videocontrol/result.hpp"

namespace vc::server {

struct ServerContext;

// Route bodies return Result<Response>, so every failure is a plain `return r.error();` and becomes
// api_error() (the one JSON error shape, with WWW-Authenticate / Retry-After where due).
using PublicApiHandler = std::function<Result<Response>(Request&)>;
using ActorApiHandler = std::function<Result<Response>(Request&, const Actor&)>;
Handler public_api(PublicApiHandler handler);
// Authenticated first (see with_actor in auth_middleware.hpp).
Handler actor_api(ServerContext& ctx, ActorApiHandler handler);

constexpr int kDefaultPageLimit = 50;
constexpr int kMaxPageLimit = 200;

// ?limit= (1..200, default 50) and ?cursor=. Errors: invalid, naming the parameter.
Result<PageRequest> page_request(const Request& req);

// The value of query parameter `name` as an RFC 3339 time; 0 when absent. Errors: invalid.
Result<std::int64_t> time_query_param(const Request& req, std::string_view name);

// The {n} path parameter of a page or image route: an integer from 1. Errors: not_found ("no
// <what> '<text>': numbers start at 1"), since such a path names nothing.
Result<int> page_number(const Request& req, std::string_view what);

// 204 with no body and no content type.
Response no_content();
// 201 with the JSON body and `Location: <location>`.
Response created(std::string body, std::string location);

}  // namespace vc::server
