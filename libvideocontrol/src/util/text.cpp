#include "videocontrol/text.hpp"

#include <sodium.h>

#include "utf8.hpp"

#include <algorithm>

namespace vc::text {

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::vector<std::string> split_list(std::string_view s, char sep) {
  std::vector<std::string> out;
  while (true) {
    const auto at = s.find(sep);
    if (auto item = trim(s.substr(0, at)); !item.empty()) out.emplace_back(item);
    if (at == std::string_view::npos) return out;
    s.remove_prefix(at + 1);
  }
}

std::string to_hex(std::string_view bytes) {
  std::string out(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  out.pop_back();  // the terminating NUL sodium writes
  return out;
}

namespace {

int sodium_variant(Base64 v) {
  return v == Base64::standard ? sodium_base64_VARIANT_ORIGINAL : sodium_base64_VARIANT_URLSAFE_NO_PADDING;
}

}  // namespace

std::string base64_encode(std::string_view bytes, Base64 variant) {
  const int v = sodium_variant(variant);
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), v), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), v);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

Result<std::string> base64_decode(std::string_view text, Base64 variant) {
  // libsodium 1.0.18 (Debian 12) decodes some bytes outside the alphabet (0xe0 among them) as if
  // they were letters; only its own alphabet may reach it.
  const bool standard = variant == Base64::standard;
  const bool in_alphabet = std::all_of(text.begin(), text.end(), [&](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           (standard ? (c == '+' || c == '/' || c == '=') : (c == '-' || c == '_'));
  });
  std::string out(text.size() / 4 * 3 + 3, '\0');
  std::size_t len = 0;
  // No characters to ignore and no end pointer: the whole text must be base64, nothing else. libsodium
  // also refuses missing or misplaced padding (per variant) and non-zero bits the padding drops.
  if (!in_alphabet ||
      sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(), nullptr,
                        &len, nullptr, sodium_variant(variant)) != 0)
    return make_error(ErrorCode::invalid, variant == Base64::standard
                                              ? "not valid base64 (RFC 4648 §4, padded)"
                                              : "not valid base64url (RFC 4648 §5, unpadded)");
  out.resize(len);
  return out;
}

std::string describe_byte(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u > 0x20 && u < 0x7f) return std::string("'") + c + "'";
  static constexpr char hex[] = "0123456789abcdef";
  return std::string("byte 0x") + hex[u >> 4] + hex[u & 0xf];
}

std::string url_encode_component(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

bool valid_utf8(std::string_view s) noexcept { return utf8::valid(s); }

}  // namespace vc::text
