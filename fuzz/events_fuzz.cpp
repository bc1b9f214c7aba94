// libFuzzer target for the domain event codec (videocontrol/events.hpp, src/core/events.cpp): every
// instance decodes what arrives on the event bus's "domain" channel, which with Redis is whatever
// anyone who can reach Redis publishes there.
// Invariants:
//   - a refusal is `invalid` with a message starting "domain event: ";
//   - an accepted event re-encodes to JSON that decodes to an equal event, and encoding that again
//     gives the same text (encode is a fixed point after one round);
//   - devices() never repeats a device.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "videocontrol/events.hpp"

#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto e = vc::decode_event(in);
  if (!e) {
    FUZZ_CHECK(e.error().code == vc::ErrorCode::invalid);
    FUZZ_CHECK(e.error().message.rfind("domain event: ", 0) == 0);
    return 0;
  }
  const std::string once = vc::encode_event(*e);
  auto again = vc::decode_event(once);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(*again == *e);
  FUZZ_CHECK(vc::encode_event(*again) == once);
  const auto devices = e->devices();
  FUZZ_CHECK(std::set<std::string>(devices.begin(), devices.end()).size() == devices.size());
  return 0;
}
