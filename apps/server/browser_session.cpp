#include "browser_session.hpp"

#include <strings.h>

#include <fmt/format.h>

#include "auth_middleware.hpp"
#include "http_headers.hpp"
#include "videocontrol/text.hpp"

namespace vc::server {
namespace {

std::string cookie(std::string_view name, std::string_view value, std::string_view path, std::int64_t max_age,
                   bool http_only, bool secure) {
  return fmt::format("{}={}; Path={}; Max-Age={}; SameSite=Strict{}{}", name, value, path, max_age,
                     http_only ? "; HttpOnly" : "", secure ? "; Secure" : "");
}

}  // namespace

std::optional<std::string> cookie_value(const Request& req, std::string_view name) {
  for (const auto& [header, value] : req.headers)
    if (header == "cookie")
      if (auto v = cookie_in(value, name)) return v;
  return std::nullopt;
}

bool request_is_https(const Request& req, const std::vector<std::string>& trusted_proxies) {
  const std::string_view proto = text::trim(req.header("x-forwarded-proto"));
  if (proto.empty() || strncasecmp(proto.data(), "https", 5) != 0 || proto.size() != 5) return false;
  // Only a trusted proxy may say so: the TCP peer must be one of them.
  Request bare;  // no headers: the TCP peer itself, normalised
  bare.remote_address = req.remote_address;
  const std::string peer = client_address(bare, {});
  for (const auto& p : trusted_proxies)
    if (p == peer) return true;
  return false;
}

Result<void> check_cookie_request(const Request& req) {
  if (text::trim(req.header("x-requested-with")) != "VideoControl")
    return make_error(ErrorCode::forbidden,
                      "a request that relies on the session cookie must carry 'X-Requested-With: VideoControl'");
  const std::string_view origin = text::trim(req.header("origin"));
  if (!origin.empty() && origin_host(origin) != text::trim(req.header("host")))
    return make_error(ErrorCode::forbidden, "cross-origin requests may not use the session cookie");
  return {};
}

std::vector<std::string> session_cookies(std::string_view refresh_token, std::chrono::seconds refresh_ttl,
                                         std::string_view access_token, std::int64_t access_ttl_s, bool secure) {
  const auto ttl = static_cast<std::int64_t>(refresh_ttl.count());
  return {cookie(kRefreshCookie, refresh_token, "/api/v1/auth", ttl, true, secure),
          cookie(kAccessCookie, access_token, "/api/v1", access_ttl_s, true, secure),
          cookie(kSessionHintCookie, "1", "/", ttl, false, secure)};
}

std::vector<std::string> cleared_session_cookies(bool secure) {
  return {cookie(kRefreshCookie, "", "/api/v1/auth", 0, true, secure),
          cookie(kAccessCookie, "", "/api/v1", 0, true, secure),
          cookie(kSessionHintCookie, "", "/", 0, false, secure)};
}

}  // namespace vc::server
