#include "digest.hpp"

#include <openssl/evp.h>

#include "videocontrol/text.hpp"

namespace vc {

std::string sha256_hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  return text::to_hex(std::string_view(reinterpret_cast<const char*>(md), len));
}

}  // namespace vc
