#include "videocontrol/password.hpp"

#include <cctype>

#include <sodium.h>

namespace vc {

Result<void> check_password_strength(std::string_view password, std::string_view username) {
  if (password.size() < 10)
    return make_error(ErrorCode::invalid, "password is too short: use at least 10 characters");
  if (password.size() > 1024)
    return make_error(ErrorCode::invalid, "password is too long: use at most 1024 characters");
  bool letter = false, other = false;
  for (unsigned char c : password) {
    if (std::isalpha(c)) letter = true;
    else other = true;  // digits, symbols, spaces and non-ASCII all count
  }
  if (!letter || !other)
    return make_error(ErrorCode::invalid, "password is too simple: mix letters with digits or symbols");
  if (!username.empty() && password == username)
    return make_error(ErrorCode::invalid, "password must not be the username");
  return {};
}

static_assert(crypto_pwhash_OPSLIMIT_INTERACTIVE == 2 && crypto_pwhash_MEMLIMIT_INTERACTIVE == 65'536u * 1024,
              "PasswordHashCost's default is libsodium's interactive level");

Result<void> check_password_hash_cost(const PasswordHashCost& cost) {
  if (cost.ops < 1 || cost.ops > 16)
    return make_error(ErrorCode::invalid, "password hash passes must be 1 … 16");
  if (cost.memory_kib < 8 || cost.memory_kib > 4u * 1024 * 1024)
    return make_error(ErrorCode::invalid, "password hash memory must be 8 KiB … 4 GiB");
  return {};
}

Result<std::string> hash_password(std::string_view password, const PasswordHashCost& cost) {
  VC_TRY(check_password_hash_cost(cost));
  if (sodium_init() < 0) return make_error(ErrorCode::internal, "libsodium could not be initialised");
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), cost.ops, std::size_t{cost.memory_kib} * 1024,
                            crypto_pwhash_ALG_ARGON2ID13) != 0)
    return make_error(ErrorCode::internal, "password hashing ran out of memory");
  return std::string(out);
}

bool password_needs_rehash(const std::string& encoded_hash, const PasswordHashCost& cost) {
  if (sodium_init() < 0 || !check_password_hash_cost(cost)) return false;
  return crypto_pwhash_str_needs_rehash(encoded_hash.c_str(), cost.ops, std::size_t{cost.memory_kib} * 1024) != 0;
}

bool verify_password(std::string_view password, const std::string& encoded_hash) {
  if (sodium_init() < 0 || encoded_hash.empty()) return false;
  return crypto_pwhash_str_verify(encoded_hash.c_str(), password.data(), password.size()) == 0;
}

}  // namespace vc
