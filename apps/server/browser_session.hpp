// How a browser holds a session (the web pages; see docs/architecture.md, "Web pages"):
//
//   vc_refresh  the refresh token. HttpOnly, SameSite=Strict, Path=/api/v1/auth: page scripts never
//               read it and only the sign-in routes receive it.
//   vc_access   the current access token, HttpOnly, SameSite=Strict, Path=/api/v1: lets <img>/<video>
//               load media bytes (GET/HEAD of a /api/v1/…/content route). Accepted for nothing else.
//   vc_session  "1", readable, Path=/: only tells `/` whether to open the panel or sign-in.
//
// Every cookie is `Secure` when the request came over HTTPS (X-Forwarded-Proto from a trusted proxy).
// The page keeps the access token in memory and sends it as a Bearer token like any API client.
// Requests that rely on a cookie must carry `X-Requested-With: VideoControl` (a cross-site page
// cannot send it without a CORS preflight, which this server never grants) and, when the browser
// sends Origin, an Origin whose host is the Host of the request: CSRF-safe beside SameSite=Strict.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http_types.hpp"
#include "videocontrol/result.hpp"

namespace vc::server {

inline constexpr std::string_view kRefreshCookie = "vc_refresh";
inline constexpr std::string_view kAccessCookie = "vc_access";
inline constexpr std::string_view kSessionHintCookie = "vc_session";

// The value of cookie `name` from the Cookie header(s); nullopt when absent.
std::optional<std::string> cookie_value(const Request& req, std::string_view name);

// Whether the client reached us over HTTPS (X-Forwarded-Proto: https from a trusted proxy).
bool request_is_https(const Request& req, const std::vector<std::string>& trusted_proxies);

// invalid (403 forbidden) unless the request carries X-Requested-With: VideoControl and a same-host Origin (when any).
Result<void> check_cookie_request(const Request& req);

// Set-Cookie values: the three cookies for a fresh token pair, and their removal.
std::vector<std::string> session_cookies(std::string_view refresh_token, std::chrono::seconds refresh_ttl,
                                         std::string_view access_token, std::int64_t access_ttl_s, bool secure);
std::vector<std::string> cleared_session_cookies(bool secure);

}  // namespace vc::server
