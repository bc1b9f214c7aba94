// Small parsers of request headers the web pages rely on: Cookie, Accept-Encoding, If-None-Match
// and Origin. Each takes any bytes and never throws (fuzz/web_headers_fuzz.cpp).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace vc::server {

// The value of cookie `name` in one Cookie header value ("a=1; b=2"), unquoted; nullopt if absent.
std::optional<std::string> cookie_in(std::string_view cookie_header, std::string_view name);

// Whether an Accept-Encoding value names `coding` with a non-zero quality ("br;q=0" refuses it).
bool accepts_coding(std::string_view accept_encoding, std::string_view coding);

// Whether an If-None-Match value ("*", or a list of entity tags, weak ones included) matches `etag`.
bool etag_matches(std::string_view if_none_match, std::string_view etag);

// Whether the last transfer coding of a Transfer-Encoding value (the field's lines joined by ", ")
// is `chunked`, the only framing a request body may have besides Content-Length (RFC 9112 §6.3):
// "gzip, chunked" yes; "chunked, gzip", "gzip", "" or a malformed list no.
bool last_coding_is_chunked(std::string_view transfer_encoding);

// "https://host:port/path" → "host:port"; empty when the value has no scheme.
std::string_view origin_host(std::string_view origin);

}  // namespace vc::server
