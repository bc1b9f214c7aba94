#include "soci_common.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>

#include "videocontrol/log.hpp"

namespace vc::storage {

Error db_error(const std::exception& e) {
  std::string_view what = e.what();
  if (what.find("UNIQUE constraint failed") != std::string_view::npos ||
      what.find("duplicate key value") != std::string_view::npos)
    return make_error(ErrorCode::conflict, std::string("already exists (") + e.what() + ")");
  // The driver's words (file names, SQL, "disk I/O error") are for the operator's log, not for
  // clients: they get one generic message. At most one line a second, with how many were skipped.
  static std::atomic<std::int64_t> last_ms{0};
  static std::atomic<std::uint64_t> skipped{0};
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now().time_since_epoch()).count();
  auto last = last_ms.load();
  if (now - last >= 1000 && last_ms.compare_exchange_strong(last, now))
    log_error("database error", {{"error", std::string(what)}, {"similar_errors_not_logged", skipped.exchange(0)}});
  else
    skipped.fetch_add(1);
  return make_error(ErrorCode::unavailable, "the database is unavailable or refused the change; try again later (the "
                                            "server log has the details)");
}

}  // namespace vc::storage
