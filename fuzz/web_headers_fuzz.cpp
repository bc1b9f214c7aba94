// Fuzzes the web pages' header parsers (apps/server/http_headers.cpp): Cookie, Accept-Encoding,
// If-None-Match, Origin. Invariants: a found cookie value is part of the header and holds no ';';
// an entity tag always matches a list made of itself; an origin's host is part of the origin.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http_headers.hpp"
#include "videocontrol/text.hpp"

using namespace vc::server;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  // The first line names what to look for; the rest is the header value.
  const auto nl = in.find('\n');
  const std::string_view name = nl == std::string_view::npos ? std::string_view("vc_refresh") : in.substr(0, nl);
  const std::string_view value = nl == std::string_view::npos ? in : in.substr(nl + 1);

  if (auto c = cookie_in(value, name)) {
    if (c->find(';') != std::string::npos) std::abort();
    if (value.find(*c) == std::string_view::npos) std::abort();
  }
  (void)accepts_coding(value, name);
  (void)accepts_coding(value, "br");
  (void)etag_matches(value, name);
  if (!name.empty() && name.find(',') == std::string_view::npos && name == vc::text::trim(name) &&
      !name.starts_with("W/") && name != "*")
    if (!etag_matches(std::string(name), name)) std::abort();
  const std::string_view host = origin_host(value);
  if (!host.empty() && value.find(host) == std::string_view::npos) std::abort();
  return 0;
}
