// Password hashing (argon2id via libsodium) and the strength rule.
#pragma once

#include "videocontrol/export.hpp"

#include <string>
#include <string_view>

#include "videocontrol/result.hpp"

namespace vc {

// The minimum strength rule: at least 10 characters, with at least one letter and one digit or
// symbol, and not the username. Errors: invalid with a message that says what is missing.
VC_API Result<void> check_password_strength(std::string_view password, std::string_view username = {});

// An encoded argon2id hash (salt and parameters included). Errors: internal when out of memory.
VC_API Result<std::string> hash_password(std::string_view password);

// Constant-time check of `password` against an encoded hash.
VC_API bool verify_password(std::string_view password, const std::string& encoded_hash);

}  // namespace vc
