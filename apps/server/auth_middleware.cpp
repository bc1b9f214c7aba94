#include "auth_middleware.hpp"

#include <arpa/inet.h>
#include <strings.h>

#include <algorithm>
#include <optional>
#include <string_view>

#include "browser_session.hpp"
#include "server_context.hpp"

namespace vc::server {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Canonical text of an IP address, or nullopt when `text` is none. Accepts "[v6]", "[v6]:port" and
// "v4:port" as some proxies write them.
std::optional<std::string> normalize_ip(std::string_view text) {
  text = trim(text);
  if (text.size() > 2 && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    text = text.substr(1, close - 1);
  } else if (auto colon = text.find(':'); colon != std::string_view::npos && text.find(':', colon + 1) == std::string_view::npos &&
                                          text.find('.') != std::string_view::npos) {
    text = text.substr(0, colon);  // "1.2.3.4:5678"
  }
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  const std::string s(text);
  char out[INET6_ADDRSTRLEN];
  in_addr v4{};
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) return std::string(inet_ntop(AF_INET, &v4, out, sizeof out));
  in6_addr v6{};
  if (inet_pton(AF_INET6, s.c_str(), &v6) != 1) return std::nullopt;
  if (IN6_IS_ADDR_V4MAPPED(&v6)) {
    std::copy_n(reinterpret_cast<const unsigned char*>(&v6) + 12, 4, reinterpret_cast<unsigned char*>(&v4));
    return std::string(inet_ntop(AF_INET, &v4, out, sizeof out));
  }
  return std::string(inet_ntop(AF_INET6, &v6, out, sizeof out));
}

bool is_trusted(const std::string& address, const std::vector<std::string>& trusted) {
  return std::any_of(trusted.begin(), trusted.end(), [&](const std::string& t) {
    auto n = normalize_ip(t);
    return n ? *n == address : t == address;
  });
}

}  // namespace

std::string client_address(const Request& req, const std::vector<std::string>& trusted_proxies) {
  std::string current = normalize_ip(req.remote_address).value_or(req.remote_address);
  if (trusted_proxies.empty() || !is_trusted(current, trusted_proxies)) return current;

  // Every X-Forwarded-For header, in order, as one list; each proxy appends the address it saw.
  std::vector<std::string_view> hops;
  for (const auto& [name, value] : req.headers) {
    if (name != "x-forwarded-for") continue;
    std::string_view v = value;
    while (true) {
      auto comma = v.find(',');
      hops.push_back(v.substr(0, comma));
      if (comma == std::string_view::npos) break;
      v.remove_prefix(comma + 1);
    }
  }
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    auto ip = normalize_ip(*it);
    if (!ip) break;  // garbage: keep the last address a trusted hop vouched for
    current = std::move(*ip);
    if (!is_trusted(current, trusted_proxies)) return current;
  }
  return current;
}

std::string credential(const Request& req) {
  std::string_view auth = trim(req.header("authorization"));
  constexpr std::string_view kBearer = "bearer ";
  if (auth.size() > kBearer.size() && strncasecmp(auth.data(), kBearer.data(), kBearer.size()) == 0) {
    auto token = trim(auth.substr(kBearer.size()));
    if (!token.empty()) return std::string(token);
  }
  return std::string(trim(req.header("x-api-key")));
}

Response api_error(const Error& e) {
  Response r = Response::error(e);
  if (r.status == 401) r.headers.emplace_back("WWW-Authenticate", "Bearer");
  if (e.code == ErrorCode::rate_limited) r.headers.emplace_back("Retry-After", std::to_string(std::max(1, e.retry_after_s)));
  return r;
}

Result<Actor> request_actor(ServerContext& ctx, const Request& req) {
  if (req.in_process_actor) return *req.in_process_actor;  // InProcessApi (in_process.hpp)
  std::string token = credential(req);
  // A browser's <img>/<video> cannot send a header: for reading media bytes, thumbnails and page
  // images only, the access token
  // may come in the vc_access cookie (HttpOnly, SameSite=Strict, Path=/api/v1; a GET changes nothing).
  if (token.empty() && (req.method == "GET" || req.method == "HEAD") && req.path.starts_with("/api/v1/") &&
      (req.path.ends_with("/content") || req.path.ends_with("/thumbnail") ||
       (req.path.starts_with("/api/v1/devices/") && req.path.find("/pages/") != std::string::npos)))
    token = cookie_value(req, kAccessCookie).value_or("");
  if (token.empty())
    return make_error(ErrorCode::unauthenticated,
                      "this route needs a credential: send 'Authorization: Bearer <access token or API key>' "
                      "or 'X-API-Key: <API key>'");
  std::string address = client_address(req, ctx.config.trusted_proxies);
  auto actor = ctx.services->auth().authenticate(token, address);
  if (!actor) return actor;
  actor->address = std::move(address);
  // The organisation to act in, named by a superadmin; the library decides who may (others: 403).
  const std::string_view org = trim(req.header("x-organization-id"));
  if (org.empty()) return actor;
  return ctx.services->auth().act_in(*actor, org);
}

Handler with_actor(ServerContext& ctx, ActorHandler handler) {
  return [&ctx, handler = std::move(handler)](Request& req) {
    auto actor = request_actor(ctx, req);
    if (!actor) return api_error(actor.error());
    return handler(req, *actor);
  };
}

}  // namespace vc::server
