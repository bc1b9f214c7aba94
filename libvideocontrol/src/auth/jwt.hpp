// Compact JWS (JWT) with HS256 only: sign and verify access tokens. Private to the library.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "videocontrol/result.hpp"

namespace vc::jwt {

struct Claims {
  std::string sub;   // user id
  std::string org;   // organisation id ("" for the superadmin)
  std::string role;  // role at issue time (informational; the server re-reads the user)
  std::string sid;   // session family id (revoking the family revokes the token)
  std::int64_t iat = 0;  // seconds since epoch
  std::int64_t exp = 0;  // seconds since epoch
};

// base64url without padding (RFC 7515 §2).
std::string base64url_encode(std::string_view bytes);
// Errors: invalid for characters outside the alphabet, padding, or an impossible length.
Result<std::string> base64url_decode(std::string_view text);

// header {"alg":"HS256","typ":"JWT"} . claims (plus "typ":"access") . HMAC-SHA256 signature.
std::string sign(const Claims& claims, std::string_view key);

// Verifies structure, algorithm (only HS256: "none" and others are refused), signature (constant
// time) and expiry against now_s (with no leeway). Errors: unauthenticated with a short reason
// ("malformed token", "bad signature", "token expired", …).
Result<Claims> verify(std::string_view token, std::string_view key, std::int64_t now_s);

}  // namespace vc::jwt
