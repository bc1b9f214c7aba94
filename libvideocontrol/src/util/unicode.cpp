#include "unicode.hpp"

#include <cstdlib>
#include <memory>
#include <new>

#include <fmt/format.h>
#include <uninorm.h>

#include "utf8.hpp"

namespace vc::unicode {

namespace {

// The code point of the well-formed sequence of length n at s[i].
char32_t decode(std::string_view s, std::size_t i, std::size_t n) {
  const auto b = [&](std::size_t k) { return static_cast<char32_t>(static_cast<unsigned char>(s[i + k])); };
  switch (n) {
    case 1: return b(0);
    case 2: return ((b(0) & 0x1f) << 6) | (b(1) & 0x3f);
    case 3: return ((b(0) & 0x0f) << 12) | ((b(1) & 0x3f) << 6) | (b(2) & 0x3f);
    default: return ((b(0) & 0x07) << 18) | ((b(1) & 0x3f) << 12) | ((b(2) & 0x3f) << 6) | (b(3) & 0x3f);
  }
}

// The first code point of well-formed UTF-8 `s` for which `pred` holds.
template <class Pred>
std::optional<char32_t> find_code_point(std::string_view s, Pred pred) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8::sequence_length(s, i);
    if (n == 0) return std::nullopt;  // not well-formed: the caller checked, so never here
    if (n > 1) {  // ASCII has none of what is looked for
      const char32_t c = decode(s, i, n);
      if (pred(c)) return c;
    }
    i += n;
  }
  return std::nullopt;
}

}  // namespace

std::optional<char32_t> first_bidi_control(std::string_view s) {
  return find_code_point(s, [](char32_t c) {
    return c == 0x061c || c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
  });
}

std::optional<char32_t> first_c1_control(std::string_view s) {
  return find_code_point(s, [](char32_t c) { return c >= 0x80 && c <= 0x9f; });
}

std::string nfc(std::string_view s) {
  bool ascii = true;
  for (unsigned char c : s)
    if (c >= 0x80) ascii = false;
  if (ascii) return std::string(s);  // already in every normal form
  std::size_t length = 0;
  std::unique_ptr<uint8_t, decltype(&std::free)> out(
      u8_normalize(UNINORM_NFC, reinterpret_cast<const uint8_t*>(s.data()), s.size(), nullptr, &length), &std::free);
  if (!out) throw std::bad_alloc();
  return std::string(reinterpret_cast<const char*>(out.get()), length);
}

std::string code_point_name(char32_t c) { return fmt::format("U+{:04X}", static_cast<std::uint32_t>(c)); }

}  // namespace vc::unicode
