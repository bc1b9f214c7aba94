// Password hashing (argon2id via libsodium) and the strength rule.
#pragma once

#include "videocontrol/export.hpp"

#include <cstdint>
#include <string>
#include <string_view>

#include "videocontrol/result.hpp"

namespace vc {

// The minimum strength rule: at least 10 characters, with at least one letter and one digit or
// symbol, and not the username. Errors: invalid with a message that says what is missing.
VC_API Result<void> check_password_strength(std::string_view password, std::string_view username = {});

// What one argon2id hash costs: passes over memory and the memory itself. The default is
// libsodium's "interactive" level (2 passes, 64 MiB, ~0.1 s of a core); less is weaker against an
// offline attack on a stolen database, more slows every sign-in. Hashes record their own cost, so
// changing it keeps existing passwords working (they are re-hashed at the next sign-in).
struct VC_API PasswordHashCost {
  std::uint32_t ops = 2;              // passes, 1 … 16
  std::uint32_t memory_kib = 65'536;  // 8 KiB … 4 GiB
  // The cheapest libsodium allows: for tests and tools that create many throwaway accounts, never
  // for an installation people sign in to.
  static constexpr PasswordHashCost minimum() { return {1, 8}; }
  // Below the default (start-up warns).
  bool weaker_than_default() const { return ops < PasswordHashCost{}.ops || memory_kib < PasswordHashCost{}.memory_kib; }
};

// Errors: invalid with the bounds when `cost` is outside them.
VC_API Result<void> check_password_hash_cost(const PasswordHashCost& cost);

// An encoded argon2id hash (salt and parameters included). Errors: invalid for a cost out of
// bounds; internal when out of memory.
VC_API Result<std::string> hash_password(std::string_view password, const PasswordHashCost& cost = {});

// Whether `encoded_hash` was made with another cost than `cost` (or is not an argon2id hash we
// can read): a correct password should then be hashed again.
VC_API bool password_needs_rehash(const std::string& encoded_hash, const PasswordHashCost& cost);

// Constant-time check of `password` against an encoded hash.
VC_API bool verify_password(std::string_view password, const std::string& encoded_hash);

}  // namespace vc
