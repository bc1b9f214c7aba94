// libFuzzer target for vcctl's saved sign-ins (apps/cli/session.cpp): parse_profiles over any bytes
// must not crash, and what it accepts must survive serialize_profiles → parse_profiles unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "session.hpp"

#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto p = vcctl::parse_profiles(text);
  if (!p) {
    FUZZ_CHECK(p.error().code == vc::ErrorCode::invalid);
    return 0;
  }
  const std::string once = vcctl::serialize_profiles(*p);
  auto again = vcctl::parse_profiles(once);
  FUZZ_CHECK(static_cast<bool>(again));
  FUZZ_CHECK(again->current == p->current);
  FUZZ_CHECK(again->items.size() == p->items.size());
  for (const auto& [name, pr] : p->items) {
    auto it = again->items.find(name);
    FUZZ_CHECK(it != again->items.end());
    FUZZ_CHECK(it->second.server == pr.server && it->second.username == pr.username &&
               it->second.refresh_token == pr.refresh_token && it->second.access_token == pr.access_token &&
               it->second.access_expires_at == pr.access_expires_at);
  }
  FUZZ_CHECK(vcctl::serialize_profiles(*again) == once);
  return 0;
}
