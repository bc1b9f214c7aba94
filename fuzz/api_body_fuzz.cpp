// libFuzzer target for what the /api/v1 routes read from a request: the JSON body
// (vc::server::JsonBody, apps/server/json_reader.*) and RFC 3339 times (vc::server::parse_rfc3339,
// apps/server/rfc3339.*).
//
// Input layout: the whole input is the body; its first line (up to '\n') is also parsed as a time.
// An odd first byte parses with allow_empty.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "json_reader.hpp"
#include "rfc3339.hpp"
#include "videocontrol/clock.hpp"

#include "fuzz_check.hpp"

namespace {

using vc::server::JsonBody;

// Each getter agrees with kind(): it succeeds exactly for the kinds it accepts.
void check_field(const JsonBody& body, std::string_view f) {
  const auto k = body.kind(f);
  FUZZ_CHECK(body.has(f) == (k != JsonBody::Kind::absent));
  auto s = body.opt_string(f);
  FUZZ_CHECK(s.ok() == (k == JsonBody::Kind::absent || k == JsonBody::Kind::string));
  if (s.ok()) FUZZ_CHECK(s->has_value() == (k == JsonBody::Kind::string));
  auto i = body.opt_integer(f);
  FUZZ_CHECK(i.ok() == (k == JsonBody::Kind::absent || k == JsonBody::Kind::integer));
  auto b = body.opt_boolean(f);
  FUZZ_CHECK(b.ok() == (k == JsonBody::Kind::absent || k == JsonBody::Kind::boolean));
  auto n = body.nullable_integer(f);
  FUZZ_CHECK(n.ok() == (k == JsonBody::Kind::absent || k == JsonBody::Kind::null || k == JsonBody::Kind::integer));
  if (n.ok()) FUZZ_CHECK(n->has_value() == (k != JsonBody::Kind::absent));
  auto a = body.opt_string_array(f);
  if (a.ok() && k != JsonBody::Kind::absent) FUZZ_CHECK(k == JsonBody::Kind::array);
  FUZZ_CHECK(body.string(f).ok() == (k == JsonBody::Kind::string));
  FUZZ_CHECK(body.integer(f).ok() == (k == JsonBody::Kind::integer));
  if (!s.ok()) FUZZ_CHECK(s.error().message.find(f) != std::string::npos);  // errors name the field
}

void check_time(std::string_view text) {
  auto ms = vc::server::parse_rfc3339(text);
  if (!ms) return;
  FUZZ_CHECK(text.size() >= 20);
  // Inside the years the formatter writes, formatting and parsing again gives the same instant.
  constexpr std::int64_t kYear10000 = 253402300800000;
  if (*ms >= 0 && *ms < kYear10000) FUZZ_CHECK(vc::server::parse_rfc3339(vc::format_rfc3339(*ms)) == ms);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const bool allow_empty = size > 0 && (data[0] & 1);
  auto body = JsonBody::parse(in, allow_empty);
  if (body) {
    for (std::string_view f : {"username", "password", "scopes", "max_users", "active", "expires_at", "", "a"})
      check_field(*body, f);
  } else {
    FUZZ_CHECK(body.error().code == vc::ErrorCode::invalid);
  }
  check_time(in.substr(0, in.find('\n')));
  return 0;
}
