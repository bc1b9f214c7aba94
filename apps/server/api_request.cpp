#include "api_request.hpp"

#include <charconv>

#include <fmt/format.h>

#include "auth_middleware.hpp"
#include "rfc3339.hpp"

namespace vc::server {
Result<PageRequest> page_request(const Request& req) {
  PageRequest page;
  page.limit = kDefaultPageLimit;
  if (auto limit = req.query_param("limit")) {
    int n = 0;
    auto [end, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), n);
    if (ec != std::errc() || end != limit->data() + limit->size() || n < 1 || n > kMaxPageLimit)
      return make_error(ErrorCode::invalid, fmt::format("query parameter 'limit' must be an integer from 1 to {}, not '{}'",
                                                        kMaxPageLimit, *limit));
    page.limit = n;
  }
  if (auto cursor = req.query_param("cursor")) page.cursor = std::move(*cursor);
  return page;
}

Result<int> page_number(const Request& req, std::string_view what) {
  const std::string& n = req.params.at("n");
  int index = 0;
  auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), index);
  if (ec != std::errc() || end != n.data() + n.size() || index < 1)
    return make_error(ErrorCode::not_found, fmt::format("no {} '{}': numbers start at 1", what, n));
  return index;
}

Result<std::int64_t> time_query_param(const Request& req, std::string_view name) {
  auto text = req.query_param(name);
  if (!text || text->empty()) return std::int64_t{0};
  auto ms = parse_rfc3339(*text);
  if (!ms && text->size() > 19 && (*text)[19] != '+') {
    // An unencoded '+' of a UTC offset arrives as a space (form encoding); read it as meant.
    std::string fixed = *text;
    if (auto sp = fixed.find(' ', 19); sp != std::string::npos) fixed[sp] = '+';
    ms = parse_rfc3339(fixed);
  }
  if (!ms)
    return make_error(ErrorCode::invalid, fmt::format("query parameter '{}' must be an RFC 3339 time such as "
                                                      "2026-01-31T12:00:00Z, not '{}'", name, *text));
  return *ms;
}

Handler public_api(PublicApiHandler handler) {
  return [handler = std::move(handler)](Request& req) {
    auto r = handler(req);
    return r ? std::move(*r) : api_error(r.error());
  };
}

Handler actor_api(ServerContext& ctx, ActorApiHandler handler) {
  return with_actor(ctx, [handler = std::move(handler)](Request& req, const Actor& actor) {
    auto r = handler(req, actor);
    return r ? std::move(*r) : api_error(r.error());
  });
}

Response created(std::string body, std::string location) {
  Response r = Response::json(201, std::move(body));
  r.headers.emplace_back("Location", std::move(location));
  return r;
}

Response no_content() {
  Response r;
  r.status = 204;
  r.content_type.clear();
  return r;
}

}  // namespace vc::server
