// UTF-8 well-formedness (RFC 3629), for the JSON writer and the wire codecs. Private to the library.
#pragma once

#include <cstddef>
#include <string_view>

namespace vc::utf8 {

// Length of the well-formed UTF-8 sequence starting at s[i] (no overlong forms, no surrogates,
// nothing above U+10FFFF), or 0 when there is none.
inline std::size_t sequence_length(std::string_view s, std::size_t i) {
  auto at = [&](std::size_t k) { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0u; };
  auto cont = [&](std::size_t k, unsigned lo = 0x80, unsigned hi = 0xbf) {
    const unsigned b = at(k);
    return i + k < s.size() && b >= lo && b <= hi;
  };
  const unsigned b0 = at(0);
  if (b0 < 0x80) return 1;
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  if (b0 == 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if ((b0 >= 0xe1 && b0 <= 0xec) || b0 == 0xee || b0 == 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (b0 == 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (b0 == 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (b0 >= 0xf1 && b0 <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (b0 == 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

inline bool valid(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = sequence_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

// The longest prefix of at most `max` bytes that ends on a character boundary (for well-formed
// input; at the first malformed byte otherwise).
inline std::string_view prefix(std::string_view s, std::size_t max) {
  std::size_t i = 0;
  while (i < s.size()) {
    const std::size_t n = sequence_length(s, i);
    if (n == 0 || i + n > max) break;
    i += n;
  }
  return s.substr(0, i);
}

}  // namespace vc::utf8
