#include "auth/jwt.hpp"

#include <array>
#include <cstddef>
#include <limits>
#include <stdexcept>
#include <utility>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "videocontrol/text.hpp"

namespace vc::jwt {
namespace {

// Our tokens are a few hundred bytes; the cap keeps hostile input from costing more than a small,
// fixed amount of decoding and parsing before it is refused.
constexpr std::size_t max_token_bytes = 8 * 1024;
constexpr std::size_t hs256_bytes = 32;

using Digest = std::array<unsigned char, hs256_bytes>;

// Returns false only if OpenSSL cannot run HMAC-SHA256 at all (no provider, out of memory).
bool hmac_sha256(std::string_view key, std::string_view data, Digest& out) {
  if (key.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) return false;
  // HMAC() reads a null key as "no key given" and fails, so an empty key needs a real pointer.
  static const unsigned char empty_key = 0;
  const void* key_ptr = key.empty() ? static_cast<const void*>(&empty_key) : key.data();
  unsigned int len = 0;
  const unsigned char* r = HMAC(EVP_sha256(), key_ptr, static_cast<int>(key.size()),
                                reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &len);
  return r != nullptr && len == out.size();
}

Error refuse(std::string reason) { return make_error(ErrorCode::unauthenticated, std::move(reason)); }

// Parses one decoded JSON segment into `doc`; true if it is a JSON object.
bool parse_object(const std::string& json, rapidjson::Document& doc) {
  // Iterative parsing: a segment of nothing but '[' must not recurse thousands of frames deep.
  doc.Parse<rapidjson::kParseIterativeFlag>(json.data(), json.size());
  return !doc.HasParseError() && doc.IsObject();
}

bool get_string(const rapidjson::Value& obj, const char* name, std::string& out) {
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || !it->value.IsString()) return false;
  out.assign(it->value.GetString(), it->value.GetStringLength());
  return true;
}

bool get_int64(const rapidjson::Value& obj, const char* name, std::int64_t& out) {
  auto it = obj.FindMember(name);
  // IsInt64 is false for 1.5 or 1e3, so a claim is either an exact integer or refused.
  if (it == obj.MemberEnd() || !it->value.IsInt64()) return false;
  out = it->value.GetInt64();
  return true;
}

bool string_member_is(const rapidjson::Value& obj, const char* name, std::string_view expected) {
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || !it->value.IsString()) return false;
  // Compare with the length so "HS256\u0000x" is not taken for "HS256".
  return std::string_view(it->value.GetString(), it->value.GetStringLength()) == expected;
}

}  // namespace

std::string base64url_encode(std::string_view bytes) { return text::base64_encode(bytes, text::Base64::url_unpadded); }

// libsodium refuses padding, foreign characters, impossible lengths and non-zero leftover bits: a
// token has one spelling, so its signature cannot be altered without changing what it verifies as.
Result<std::string> base64url_decode(std::string_view text) { return text::base64_decode(text, text::Base64::url_unpadded); }

std::string sign(const Claims& claims, std::string_view key) {
  // The header never varies, so it is written once instead of through the JSON writer.
  static const std::string header = base64url_encode(R"({"alg":"HS256","typ":"JWT"})");

  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  auto str = [&w](const char* k, const std::string& v) {
    w.Key(k);
    w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  };
  w.StartObject();
  str("sub", claims.sub);
  str("org", claims.org);
  str("role", claims.role);
  str("sid", claims.sid);
  w.Key("iat");
  w.Int64(claims.iat);
  w.Key("exp");
  w.Int64(claims.exp);
  w.Key("typ");
  w.String("access");
  w.EndObject();

  std::string token = header;
  token += '.';
  token += base64url_encode(std::string_view(buf.GetString(), buf.GetSize()));
  Digest mac{};
  // No Result to return here: a token without a valid signature would only fail later and far
  // away, so the (practically impossible) failure is loud instead.
  if (!hmac_sha256(key, token, mac)) throw std::runtime_error("jwt: HMAC-SHA256 is unavailable in OpenSSL");
  token += '.';
  token += base64url_encode(std::string_view(reinterpret_cast<const char*>(mac.data()), mac.size()));
  return token;
}

Result<Claims> verify(std::string_view token, std::string_view key, std::int64_t now_s) {
  if (token.size() > max_token_bytes) return refuse("token too long");
  const auto dot1 = token.find('.');
  if (dot1 == std::string_view::npos) return refuse("malformed token");
  const auto dot2 = token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
    return refuse("malformed token");
  const std::string_view header_b64 = token.substr(0, dot1);
  const std::string_view payload_b64 = token.substr(dot1 + 1, dot2 - dot1 - 1);
  const std::string_view sig_b64 = token.substr(dot2 + 1);
  if (header_b64.empty() || payload_b64.empty()) return refuse("malformed token");
  // An empty signature is what "alg":"none" tokens carry; it is never valid here.
  if (sig_b64.empty()) return refuse("bad signature");

  // The header is the only part read before the signature is checked: it names the algorithm, and
  // anything but HS256 (notably "none") is refused rather than trusted.
  auto header_json = base64url_decode(header_b64);
  if (!header_json) return refuse("malformed token");
  rapidjson::Document header;
  if (!parse_object(*header_json, header)) return refuse("malformed token");
  if (!string_member_is(header, "alg", "HS256")) return refuse("unsupported algorithm");
  if (header.HasMember("typ") && !string_member_is(header, "typ", "JWT")) return refuse("malformed token");
  // RFC 7515 §4.1.11: extensions marked critical must be understood; we understand none.
  if (header.HasMember("crit")) return refuse("unsupported algorithm");

  auto sig = base64url_decode(sig_b64);
  if (!sig || sig->size() != hs256_bytes) return refuse("bad signature");
  Digest expected{};
  if (!hmac_sha256(key, token.substr(0, dot2), expected))
    return make_error(ErrorCode::internal, "HMAC-SHA256 is unavailable in OpenSSL");
  // Constant time, so response timing tells an attacker nothing about how many bytes matched.
  if (CRYPTO_memcmp(expected.data(), sig->data(), hs256_bytes) != 0) return refuse("bad signature");

  // Signed by us from here on; the checks still guard against a token from a different issuer
  // sharing the key, or from an older format.
  auto payload_json = base64url_decode(payload_b64);
  if (!payload_json) return refuse("malformed token");
  rapidjson::Document payload;
  if (!parse_object(*payload_json, payload)) return refuse("malformed token");
  if (!string_member_is(payload, "typ", "access")) return refuse("wrong token type");
  Claims c;
  if (!get_string(payload, "sub", c.sub) || !get_string(payload, "org", c.org) ||
      !get_string(payload, "role", c.role) || !get_string(payload, "sid", c.sid) ||
      !get_int64(payload, "iat", c.iat) || !get_int64(payload, "exp", c.exp))
    return refuse("invalid claims");
  if (c.exp <= now_s) return refuse("token expired");
  return c;
}

}  // namespace vc::jwt
