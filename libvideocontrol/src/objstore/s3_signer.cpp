#include "objstore/s3_signer.hpp"

#include <algorithm>
#include <ctime>

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "videocontrol/text.hpp"

namespace vc::s3 {
namespace {

std::string hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& ch : out)
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  return out;
}

// Header values: leading and trailing blanks dropped, inner runs of blanks made one space.
std::string trim_value(std::string_view v) {
  std::string out;
  bool blank = false;
  for (char ch : v) {
    if (ch == ' ' || ch == '\t') {
      blank = !out.empty();
      continue;
    }
    if (blank) out.push_back(' ');
    blank = false;
    out.push_back(ch);
  }
  return out;
}

std::string scope(const Credentials& c, std::string_view amz) {
  return fmt::format("{}/{}/{}/aws4_request", amz.substr(0, 8), c.region, c.service);
}

}  // namespace

std::string uri_encode(std::string_view s, bool keep_slash) {
  if (!keep_slash) return text::url_encode_component(s);
  std::string out;
  for (std::size_t from = 0;;) {
    const auto slash = s.find('/', from);
    out += text::url_encode_component(s.substr(from, slash == std::string_view::npos ? slash : slash - from));
    if (slash == std::string_view::npos) return out;
    out.push_back('/');
    from = slash + 1;
  }
}

std::string sha256_hex(std::string_view bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr);
  return text::to_hex(std::string_view(reinterpret_cast<const char*>(md), len));
}

std::string amz_date(std::int64_t epoch_seconds) {
  std::time_t t = static_cast<std::time_t>(epoch_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string canonical_query(const Pairs& query) {
  std::vector<std::pair<std::string, std::string>> enc;
  enc.reserve(query.size());
  for (const auto& [k, v] : query) enc.emplace_back(uri_encode(k, false), uri_encode(v, false));
  std::sort(enc.begin(), enc.end());
  std::string out;
  for (const auto& [k, v] : enc) {
    if (!out.empty()) out.push_back('&');
    out += k;
    out.push_back('=');
    out += v;
  }
  return out;
}

std::string canonical_request(const SignedRequest& r, std::string* signed_headers) {
  std::vector<std::pair<std::string, std::string>> hs;
  hs.reserve(r.headers.size());
  for (const auto& [k, v] : r.headers) hs.emplace_back(lower(k), trim_value(v));
  std::sort(hs.begin(), hs.end());
  std::string canon_headers, names;
  for (const auto& [k, v] : hs) {
    canon_headers += k;
    canon_headers.push_back(':');
    canon_headers += v;
    canon_headers.push_back('\n');
    if (!names.empty()) names.push_back(';');
    names += k;
  }
  if (signed_headers) *signed_headers = names;
  return fmt::format("{}\n{}\n{}\n{}\n{}\n{}", r.method, uri_encode(r.path.empty() ? "/" : r.path, true),
                     canonical_query(r.query), canon_headers, names, r.payload_sha256);
}

std::string string_to_sign(const Credentials& c, std::string_view amz, std::string_view canonical) {
  return fmt::format("AWS4-HMAC-SHA256\n{}\n{}\n{}", amz, scope(c, amz), sha256_hex(canonical));
}

std::string signature(const Credentials& c, std::string_view amz, std::string_view to_sign) {
  std::string key = hmac("AWS4" + c.secret_access_key, amz.substr(0, 8));
  key = hmac(key, c.region);
  key = hmac(key, c.service);
  key = hmac(key, "aws4_request");
  return text::to_hex(hmac(key, to_sign));
}

std::string authorization(const Credentials& c, const SignedRequest& r, std::int64_t epoch_seconds) {
  const std::string amz = amz_date(epoch_seconds);
  std::string names;
  const std::string canon = canonical_request(r, &names);
  return fmt::format("AWS4-HMAC-SHA256 Credential={}/{}, SignedHeaders={}, Signature={}", c.access_key_id,
                     scope(c, amz), names, signature(c, amz, string_to_sign(c, amz, canon)));
}

std::string presigned_query(const Credentials& c, SignedRequest r, std::int64_t epoch_seconds, std::int64_t expires_seconds) {
  const std::string amz = amz_date(epoch_seconds);
  r.query.emplace_back("X-Amz-Algorithm", "AWS4-HMAC-SHA256");
  r.query.emplace_back("X-Amz-Credential", c.access_key_id + "/" + scope(c, amz));
  r.query.emplace_back("X-Amz-Date", amz);
  r.query.emplace_back("X-Amz-Expires", std::to_string(expires_seconds));
  std::vector<std::string> lowered;
  for (const auto& h : r.headers) lowered.push_back(lower(h.first));
  std::sort(lowered.begin(), lowered.end());
  std::string names;
  for (const auto& n : lowered) names += (names.empty() ? "" : ";") + n;
  r.query.emplace_back("X-Amz-SignedHeaders", names);
  r.payload_sha256 = "UNSIGNED-PAYLOAD";
  const std::string canon = canonical_request(r);
  const std::string sig = signature(c, amz, string_to_sign(c, amz, canon));
  return canonical_query(r.query) + "&X-Amz-Signature=" + sig;
}

}  // namespace vc::s3
