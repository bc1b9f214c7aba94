#include "soci_common.hpp"

namespace vc::storage {

Error db_error(const std::exception& e) {
  std::string_view what = e.what();
  if (what.find("UNIQUE constraint failed") != std::string_view::npos ||
      what.find("duplicate key value") != std::string_view::npos)
    return make_error(ErrorCode::conflict, std::string("already exists (") + e.what() + ")");
  return make_error(ErrorCode::unavailable, std::string("database error: ") + e.what());
}

}  // namespace vc::storage
