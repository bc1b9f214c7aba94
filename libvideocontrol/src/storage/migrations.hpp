// The versioned schema. Each migration is a list of statements applied in one transaction.
#pragma once

#include <span>
#include <string_view>
#include <vector>

namespace vc::storage {

struct Migration {
  int version;
  std::string_view name;
  std::vector<std::string_view> statements;  // may use dialect placeholders, see dialect.hpp
};

std::span<const Migration> migrations();

}  // namespace vc::storage
