// SHA-256 for storing tokens and keys: they are long random strings, so a fast hash is enough
// (passwords, which are guessable, use argon2id instead).
#pragma once

#include <string>
#include <string_view>

namespace vc {

std::string sha256_hex(std::string_view data);

}  // namespace vc
