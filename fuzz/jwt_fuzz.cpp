// libFuzzer target for access tokens: vc::jwt::verify, base64url_decode and base64url_encode
// (libvideocontrol/src/auth/jwt.hpp, libvideocontrol/src/auth/jwt.cpp).
//
// The whole input is used three ways:
//   1. as a token, verified with a fixed key and time (almost always refused: it is not signed);
//   2. as base64url text and as raw bytes, checking that the codec round-trips in both directions;
//   3. with everything up to the last '.' taken as "header.payload" and signed here with the fixed
//      key, so the header and claim checks behind the signature are fuzzed too.
// Invariants: refusals are `unauthenticated` with a message; an accepted token is unexpired and
// re-signs to a token that verifies to the same claims; decoding accepts only canonical text.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "auth/jwt.hpp"

#include "fuzz_check.hpp"

namespace {

constexpr std::string_view key = "fuzz-signing-key";
constexpr std::int64_t now_s = 1'700'000'000;

void check_verify(std::string_view token) {
  auto r = vc::jwt::verify(token, key, now_s);
  if (!r) {
    FUZZ_CHECK(r.error().code == vc::ErrorCode::unauthenticated);
    FUZZ_CHECK(!r.error().message.empty());
    return;
  }
  FUZZ_CHECK(token.size() <= 8 * 1024);
  FUZZ_CHECK(r->exp > now_s);
  FUZZ_CHECK(!vc::jwt::verify(token, "another key", now_s).ok());
  FUZZ_CHECK(!vc::jwt::verify(token, key, r->exp).ok());
  // What verify returns, sign writes back in a form verify accepts with the same meaning.
  const std::string again = vc::jwt::sign(*r, key);
  auto r2 = vc::jwt::verify(again, key, now_s);
  if (again.size() <= 8 * 1024) {
    FUZZ_CHECK(r2.ok());
    FUZZ_CHECK(r2->sub == r->sub && r2->org == r->org && r2->role == r->role && r2->sid == r->sid);
    FUZZ_CHECK(r2->iat == r->iat && r2->exp == r->exp);
  }
}

void check_codec(std::string_view in) {
  const std::string encoded = vc::jwt::base64url_encode(in);
  FUZZ_CHECK(encoded.size() == (in.size() * 4 + 2) / 3);
  auto back = vc::jwt::base64url_decode(encoded);
  FUZZ_CHECK(back.ok());
  FUZZ_CHECK(*back == in);

  auto decoded = vc::jwt::base64url_decode(in);
  if (!decoded) {
    FUZZ_CHECK(decoded.error().code == vc::ErrorCode::invalid);
    return;
  }
  // Strict decoding: only the one canonical spelling of some bytes is accepted.
  FUZZ_CHECK(vc::jwt::base64url_encode(*decoded) == in);
}

std::string signature_for(std::string_view signing_input) {
  std::array<unsigned char, 32> mac{};
  unsigned int len = 0;
  FUZZ_CHECK(HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
                  reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(), mac.data(),
                  &len) != nullptr);
  return vc::jwt::base64url_encode(std::string_view(reinterpret_cast<const char*>(mac.data()), len));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  check_verify(in);
  check_codec(in);

  const auto last_dot = in.rfind('.');
  if (last_dot != std::string_view::npos) {
    const std::string_view signing_input = in.substr(0, last_dot);
    check_verify(std::string(signing_input) + "." + signature_for(signing_input));
  }
  return 0;
}
