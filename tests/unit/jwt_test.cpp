// Tests for the HS256 access tokens (libvideocontrol/src/auth/jwt.cpp, a private header).
// Forged tokens are signed here with OpenSSL directly, so a refusal is known to come from the
// header or claim checks and not merely from a wrong signature.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <string>
#include <utility>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "auth/jwt.hpp"

using namespace vc;

namespace {

const std::string key = "test-signing-key-0123456789abcdef";
constexpr std::int64_t now_s = 1'700'000'000;

jwt::Claims sample_claims() {
  jwt::Claims c;
  c.sub = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
  c.org = "0190a1b2-0000-7000-8000-000000000001";
  c.role = "operator";
  c.sid = "0190a1b2-1111-7111-8111-111111111111";
  c.iat = now_s - 10;
  c.exp = now_s + 900;
  return c;
}

std::string b64(std::string_view s) { return jwt::base64url_encode(s); }

std::string hmac(std::string_view k, std::string_view data) {
  std::array<unsigned char, 32> mac{};
  unsigned int len = 0;
  static const unsigned char empty = 0;
  HMAC(EVP_sha256(), k.empty() ? static_cast<const void*>(&empty) : k.data(), static_cast<int>(k.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(), &len);
  return std::string(reinterpret_cast<const char*>(mac.data()), len);
}

// A correctly signed token with whatever header and payload JSON the test wants.
std::string forge(std::string_view header_json, std::string_view payload_json, std::string_view k = key) {
  std::string signing_input = b64(header_json) + "." + b64(payload_json);
  return signing_input + "." + b64(hmac(k, signing_input));
}

const std::string good_header = R"({"alg":"HS256","typ":"JWT"})";
const std::string good_payload =
    R"({"sub":"u1","org":"o1","role":"admin","sid":"s1","iat":1699999990,"exp":1700000900,"typ":"access"})";

// The refusal reason, or "" when the token verifies.
std::string refusal(std::string_view token, std::string_view k = key, std::int64_t now = now_s) {
  auto r = jwt::verify(token, k, now);
  if (r) return "";
  CHECK(r.error().code == ErrorCode::unauthenticated);
  CHECK_FALSE(r.error().message.empty());
  return r.error().message;
}

std::string part(const std::string& token, int index) {
  auto d1 = token.find('.');
  auto d2 = token.find('.', d1 + 1);
  if (index == 0) return token.substr(0, d1);
  if (index == 1) return token.substr(d1 + 1, d2 - d1 - 1);
  return token.substr(d2 + 1);
}

}  // namespace

TEST_CASE("base64url encodes the RFC 4648 vectors without padding") {
  CHECK(b64("") == "");
  CHECK(b64("f") == "Zg");
  CHECK(b64("fo") == "Zm8");
  CHECK(b64("foo") == "Zm9v");
  CHECK(b64("foob") == "Zm9vYg");
  CHECK(b64("fooba") == "Zm9vYmE");
  CHECK(b64("foobar") == "Zm9vYmFy");
  // RFC 4648 §9 examples, with '+' and '/' replaced by the url alphabet's '-' and '_'.
  CHECK(b64("\x14\xfb\x9c\x03\xd9\x7e") == "FPucA9l-");
  CHECK(b64("\x14\xfb\x9c\x03\xd9") == "FPucA9k");
  CHECK(b64("\x14\xfb\x9c\x03") == "FPucAw");
  CHECK(b64("\xfb\xff") == "-_8");
  CHECK(b64("\xff\xff\xff") == "____");
  CHECK(b64(std::string("\0\0\0", 3)) == "AAAA");
}

TEST_CASE("base64url decodes the RFC 4648 vectors back to their bytes") {
  const std::pair<const char*, std::string> vectors[] = {
      {"", ""},          {"Zg", "f"},         {"Zm8", "fo"},       {"Zm9v", "foo"},
      {"Zm9vYg", "foob"}, {"Zm9vYmE", "fooba"}, {"Zm9vYmFy", "foobar"}, {"FPucA9l-", "\x14\xfb\x9c\x03\xd9\x7e"},
      {"FPucA9k", "\x14\xfb\x9c\x03\xd9"}, {"FPucAw", "\x14\xfb\x9c\x03"}, {"-_8", "\xfb\xff"},
  };
  for (const auto& vector : vectors) {
    CAPTURE(vector.first);
    auto r = jwt::base64url_decode(vector.first);
    REQUIRE(r.ok());
    CHECK(*r == vector.second);
  }
}

TEST_CASE("base64url round-trips every byte value at every tail length") {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (std::size_t n = 0; n <= all.size(); n += 1) {
    auto r = jwt::base64url_decode(b64(all.substr(0, n)));
    REQUIRE(r.ok());
    CHECK(*r == all.substr(0, n));
  }
}

TEST_CASE("base64url decoding refuses padding, foreign characters, impossible lengths and stray bits") {
  for (const char* bad : {"Zg==", "Zm8=", "Zg=", "Zm9v+w", "Zm9v/w", "Zm 9", "Zm9\n", "Zm9\t", "Z", "Zm9vY", "Zm9vY.",
                          "Zh", "Zm9", "-_9"}) {
    CAPTURE(bad);
    auto r = jwt::base64url_decode(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::invalid);
  }
  CHECK_FALSE(jwt::base64url_decode(std::string("Zm9v\0\0\0\0", 8)).ok());
  CHECK_FALSE(jwt::base64url_decode("Zm9v\xc3\xa9").ok());
}

TEST_CASE("a signed token verifies and gives back the same claims") {
  const auto claims = sample_claims();
  const auto token = jwt::sign(claims, key);
  CHECK(std::count(token.begin(), token.end(), '.') == 2);
  CHECK(*jwt::base64url_decode(part(token, 0)) == R"({"alg":"HS256","typ":"JWT"})");
  CHECK(jwt::base64url_decode(part(token, 1))->find(R"("typ":"access")") != std::string::npos);
  auto r = jwt::verify(token, key, now_s);
  REQUIRE(r.ok());
  CHECK(r->sub == claims.sub);
  CHECK(r->org == claims.org);
  CHECK(r->role == claims.role);
  CHECK(r->sid == claims.sid);
  CHECK(r->iat == claims.iat);
  CHECK(r->exp == claims.exp);
}

TEST_CASE("claims with quotes, non-ASCII and NUL bytes survive a round trip") {
  auto claims = sample_claims();
  claims.sub = std::string("we\"ird\\\0sub", 11);
  claims.org = "";  // the superadmin has no organisation
  claims.role = "r\xc3\xb4le \xf0\x9f\x93\xba";
  claims.iat = -5;
  auto r = jwt::verify(jwt::sign(claims, key), key, now_s);
  REQUIRE(r.ok());
  CHECK(r->sub == claims.sub);
  CHECK(r->org.empty());
  CHECK(r->role == claims.role);
  CHECK(r->iat == -5);
}

TEST_CASE("a token is refused once its expiry second has come") {
  auto claims = sample_claims();
  claims.exp = now_s + 1;
  const auto token = jwt::sign(claims, key);
  CHECK(refusal(token, key, now_s) == "");
  CHECK(refusal(token, key, now_s + 1) == "token expired");
  CHECK(refusal(token, key, now_s + 100000) == "token expired");
}

TEST_CASE("a token signed with another key is refused") {
  const auto token = jwt::sign(sample_claims(), key);
  CHECK(refusal(token, "another-key") == "bad signature");
  CHECK(refusal(token, "") == "bad signature");
  // An empty key is still a key: it signs and verifies, and only itself.
  const auto empty_key_token = jwt::sign(sample_claims(), "");
  CHECK(refusal(empty_key_token, "") == "");
  CHECK(refusal(empty_key_token, key) == "bad signature");
}

TEST_CASE("changing the payload of a signed token invalidates it") {
  const auto token = jwt::sign(sample_claims(), key);
  auto promoted = sample_claims();
  promoted.role = "admin";
  const auto other = jwt::sign(promoted, key);
  // The promoted payload with the original signature.
  const auto spliced = part(token, 0) + "." + part(other, 1) + "." + part(token, 2);
  CHECK(refusal(spliced) == "bad signature");
  // A later expiry with the original signature.
  auto longer = sample_claims();
  longer.exp += 86400;
  CHECK(refusal(part(token, 0) + "." + part(jwt::sign(longer, key), 1) + "." + part(token, 2)) == "bad signature");
}

TEST_CASE("changing the signature of a token invalidates it") {
  const auto token = jwt::sign(sample_claims(), key);
  const auto sig = part(token, 2);
  REQUIRE(sig.size() == 43);
  for (std::size_t i = 0; i < sig.size(); ++i) {
    std::string changed = sig;
    changed[i] = changed[i] == 'A' ? 'B' : 'A';
    CAPTURE(i);
    CHECK(refusal(part(token, 0) + "." + part(token, 1) + "." + changed) != "");
  }
  // The last character carries two unused bits; setting one must not give a second valid spelling.
  std::string stray = sig;
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  stray.back() = alphabet[alphabet.find(stray.back()) ^ 1];
  CHECK(refusal(part(token, 0) + "." + part(token, 1) + "." + stray) == "bad signature");
  // Truncated, lengthened and padded signatures.
  CHECK(refusal(part(token, 0) + "." + part(token, 1) + "." + sig.substr(0, 42)) == "bad signature");
  CHECK(refusal(token + "AAAA") == "bad signature");
  CHECK(refusal(token + "=") == "bad signature");
}

TEST_CASE("alg none is refused, with or without a signature") {
  const std::string none_header = R"({"alg":"none","typ":"JWT"})";
  CHECK(refusal(b64(none_header) + "." + b64(good_payload) + ".") != "");
  CHECK(refusal(b64(R"({"alg":"none"})") + "." + b64(good_payload) + ".") != "");
  CHECK(refusal(forge(none_header, good_payload)) == "unsupported algorithm");
  CHECK(refusal(forge(R"({"alg":"None"})", good_payload)) == "unsupported algorithm");
}

TEST_CASE("only the exact algorithm name HS256 is accepted") {
  CHECK(refusal(forge(good_header, good_payload)) == "");
  CHECK(refusal(forge(R"({"alg":"HS256"})", good_payload)) == "");
  CHECK(refusal(forge(R"({"alg":"HS512","typ":"JWT"})", good_payload)) == "unsupported algorithm");
  CHECK(refusal(forge(R"({"alg":"RS256","typ":"JWT"})", good_payload)) == "unsupported algorithm");
  CHECK(refusal(forge(R"({"alg":"hs256","typ":"JWT"})", good_payload)) == "unsupported algorithm");
  CHECK(refusal(forge(R"({"alg":"HS256\u0000","typ":"JWT"})", good_payload)) == "unsupported algorithm");
  CHECK(refusal(forge(R"({"alg":["HS256"],"typ":"JWT"})", good_payload)) == "unsupported algorithm");
  CHECK(refusal(forge(R"({"typ":"JWT"})", good_payload)) == "unsupported algorithm");
  CHECK(refusal(forge(R"({"alg":"HS256","crit":["exp"]})", good_payload)) != "");
  CHECK(refusal(forge(R"({"alg":"HS256","typ":"JOSE+JSON"})", good_payload)) != "");
}

TEST_CASE("a correctly signed payload needs every claim with the right type") {
  CHECK(refusal(forge(good_header, good_payload)) == "");
  const char* bad_payloads[] = {
      R"({"org":"o1","role":"admin","sid":"s1","iat":1,"exp":1700000900,"typ":"access"})",
      R"({"sub":"u1","role":"admin","sid":"s1","iat":1,"exp":1700000900,"typ":"access"})",
      R"({"sub":"u1","org":"o1","sid":"s1","iat":1,"exp":1700000900,"typ":"access"})",
      R"({"sub":"u1","org":"o1","role":"admin","iat":1,"exp":1700000900,"typ":"access"})",
      R"({"sub":"u1","org":"o1","role":"admin","sid":"s1","exp":1700000900,"typ":"access"})",
      R"({"sub":"u1","org":"o1","role":"admin","sid":"s1","iat":1,"typ":"access"})",
      R"({"sub":7,"org":"o1","role":"admin","sid":"s1","iat":1,"exp":1700000900,"typ":"access"})",
      R"({"sub":"u1","org":null,"role":"admin","sid":"s1","iat":1,"exp":1700000900,"typ":"access"})",
      R"({"sub":"u1","org":"o1","role":"admin","sid":"s1","iat":"1","exp":1700000900,"typ":"access"})",
      R"({"sub":"u1","org":"o1","role":"admin","sid":"s1","iat":1,"exp":1700000900.5,"typ":"access"})",
      R"({"sub":"u1","org":"o1","role":"admin","sid":"s1","iat":1,"exp":1.7e9,"typ":"access"})",
      R"({"sub":"u1","org":"o1","role":"admin","sid":"s1","iat":1,"exp":99999999999999999999,"typ":"access"})",
      R"({"sub":"u1","org":"o1","role":"admin","sid":"s1","iat":1,"exp":true,"typ":"access"})",
  };
  for (const char* payload : bad_payloads) {
    CAPTURE(payload);
    CHECK(refusal(forge(good_header, payload)) == "invalid claims");
  }
}

TEST_CASE("only access tokens are accepted") {
  CHECK(refusal(forge(good_header,
                      R"({"sub":"u1","org":"o1","role":"admin","sid":"s1","iat":1,"exp":1700000900,"typ":"refresh"})")) ==
        "wrong token type");
  CHECK(refusal(forge(good_header, R"({"sub":"u1","org":"o1","role":"admin","sid":"s1","iat":1,"exp":1700000900})")) ==
        "wrong token type");
  CHECK(refusal(forge(good_header,
                      R"({"sub":"u1","org":"o1","role":"admin","sid":"s1","iat":1,"exp":1700000900,"typ":1})")) ==
        "wrong token type");
}

TEST_CASE("signed but malformed JSON is refused") {
  for (const char* payload : {"", "null", "[]", "\"s\"", "{", R"({"sub":"u1"} x)", "{\"sub\":\"u\\x\"}"}) {
    CAPTURE(payload);
    CHECK(refusal(forge(good_header, payload)) != "");
  }
  for (const char* header : {"", "[]", "{", "nul", R"({"alg":"HS256"}{})"}) {
    CAPTURE(header);
    CHECK(refusal(forge(header, good_payload)) != "");
  }
  // Deep nesting is refused without exhausting the stack.
  CHECK(refusal(forge(std::string(3000, '['), good_payload)) != "");
  CHECK(refusal(forge(good_header, std::string(3000, '['))) != "");
}

TEST_CASE("garbage in place of a token is refused") {
  const auto token = jwt::sign(sample_claims(), key);
  for (std::string bad : {std::string(), std::string("."), std::string(".."), std::string("..."),
                          std::string("abc"), std::string("a.b"), std::string("a.b.c"), std::string("a.b.c.d"),
                          std::string("Bearer ") + token, token + ".", "." + token, token + " ",
                          part(token, 0) + ".." + part(token, 2), "." + part(token, 1) + "." + part(token, 2),
                          part(token, 0) + "." + part(token, 1), token + "." + part(token, 2),
                          std::string("\0\0\0", 3), std::string("eyJ=.eyJ=.abc=")}) {
    CAPTURE(bad);
    CHECK(refusal(bad) != "");
  }
}

TEST_CASE("tokens longer than 8 KiB are refused before any parsing") {
  auto claims = sample_claims();
  claims.sub = std::string(7000, 'x');
  const auto big = jwt::sign(claims, key);
  REQUIRE(big.size() > 8192);
  CHECK(refusal(big) == "token too long");
  claims.sub = std::string(5000, 'x');
  const auto fits = jwt::sign(claims, key);
  REQUIRE(fits.size() <= 8192);
  CHECK(refusal(fits) == "");
}
