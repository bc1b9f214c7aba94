#include "videocontrol/id.hpp"

#include "videocontrol/text.hpp"

#include <array>
#include <cstdint>

#include <sodium.h>

#include "videocontrol/clock.hpp"

namespace vc {
namespace {

void ensure_sodium() {
  // sodium_init() is idempotent and thread-safe; it fails only when no entropy source exists.
  static const int rc = sodium_init();
  (void)rc;
}

}  // namespace

std::string new_id(const Clock& clock) {
  ensure_sodium();
  std::array<unsigned char, 16> b{};
  randombytes_buf(b.data(), b.size());
  const auto ms = static_cast<std::uint64_t>(clock.now_ms());
  for (int i = 0; i < 6; ++i) b[i] = static_cast<unsigned char>(ms >> (8 * (5 - i)));
  b[6] = static_cast<unsigned char>(0x70 | (b[6] & 0x0F));  // version 7
  b[8] = static_cast<unsigned char>(0x80 | (b[8] & 0x3F));  // RFC 9562 variant
  const std::string hex = text::to_hex(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
  // 8-4-4-4-12
  return hex.substr(0, 8) + '-' + hex.substr(8, 4) + '-' + hex.substr(12, 4) + '-' + hex.substr(16, 4) + '-' +
         hex.substr(20);
}

std::string random_secret(std::size_t length) {
  ensure_sodium();
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out(length, '\0');
  for (auto& c : out) c = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
  return out;
}

}  // namespace vc
