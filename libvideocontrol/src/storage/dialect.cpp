#include "dialect.hpp"

namespace vc::storage {

std::string translate(Dialect d, std::string_view sql) {
  static constexpr std::string_view kSerial = "{serial_pk}";
  const std::string_view serial =
      d == Dialect::sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGSERIAL PRIMARY KEY";
  std::string out(sql);
  for (auto pos = out.find(kSerial); pos != std::string::npos; pos = out.find(kSerial, pos + serial.size()))
    out.replace(pos, kSerial.size(), serial);
  return out;
}

std::string_view begin_write(Dialect d) { return d == Dialect::sqlite ? "BEGIN IMMEDIATE" : "BEGIN"; }
std::string_view begin_read(Dialect d) { return d == Dialect::sqlite ? "BEGIN" : "BEGIN READ ONLY"; }

std::string_view migration_lock(Dialect d) {
  return d == Dialect::sqlite ? std::string_view{} : "SELECT pg_advisory_xact_lock(7436001)";
}

std::string_view table_exists_query(Dialect d) {
  return d == Dialect::sqlite
             ? "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = :name"
             : "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = :name";
}

std::string_view skip_locked(Dialect d) { return d == Dialect::sqlite ? "" : " FOR UPDATE SKIP LOCKED"; }

}  // namespace vc::storage
