// libFuzzer target for what webhooks parse from people: vc::parse_webhook_url (a webhook's URL),
// vc::HostAllowList::parse_text (the WEBHOOK_ALLOW_HOSTS setting) with allows(), and
// vc::classify_address. No name resolution happens here.
// Input layout: line 1 a URL; line 2 an allow-list; line 3 an address; the rest ignored.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "videocontrol/webhooks.hpp"

namespace {

#define FUZZ_CHECK(cond)                                                          \
  do {                                                                            \
    if (!(cond)) {                                                                \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                               \
    }                                                                             \
  } while (0)

std::string_view next_line(std::string_view& rest) {
  auto nl = rest.find('\n');
  auto line = rest.substr(0, nl);
  rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  const auto url_text = next_line(rest);
  const auto allow_text = next_line(rest);
  const auto ip = next_line(rest);

  auto url = vc::parse_webhook_url(url_text);
  if (url) {
    FUZZ_CHECK(url->scheme == "http" || url->scheme == "https");
    FUZZ_CHECK(!url->host.empty());
    FUZZ_CHECK(url->port >= 1 && url->port <= 65535);
    FUZZ_CHECK(!url->target.empty() && url->target[0] == '/');
    FUZZ_CHECK(url->host.find_first_of("@/?# ") == std::string::npos);
    FUZZ_CHECK(url_text.size() <= 2048);
  } else {
    FUZZ_CHECK(url.error().code == vc::ErrorCode::invalid);
  }

  const auto why = vc::classify_address(ip);
  FUZZ_CHECK(why.empty() || why == "invalid" || why == "loopback" || why == "private" || why == "cgnat" ||
             why == "link-local" || why == "unique-local" || why == "unspecified" || why == "multicast" ||
             why == "reserved");

  auto allow = vc::HostAllowList::parse_text(allow_text);
  if (allow) {
    (void)allow->allows(url ? std::string_view(url->host) : url_text, ip);
    if (why == "invalid" && allow->empty()) FUZZ_CHECK(!allow->allows("", ip));
  } else {
    FUZZ_CHECK(allow.error().code == vc::ErrorCode::invalid);
  }
  return 0;
}
