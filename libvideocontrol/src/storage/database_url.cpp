// DATABASE_URL → which backend and where (videocontrol/storage.hpp).
#include <fmt/format.h>

#include "videocontrol/storage.hpp"

namespace vc {

Result<DatabaseUrl> parse_database_url(std::string_view url) {
  DatabaseUrl out;
  if (url == "sqlite::memory:" || url == "sqlite://:memory:") {
    out.sqlite_path = ":memory:";
    return out;
  }
  if (url.starts_with("sqlite://")) {
    std::string_view path = url.substr(9);  // "/abs/path" or "rel/path"
    if (path.empty() || path == "/") return make_error(ErrorCode::invalid, fmt::format("'{}' names no file; use sqlite:///path/to/videocontrol.db", url));
    if (path.find('\0') != std::string_view::npos) return make_error(ErrorCode::invalid, "the path contains a NUL byte");
    out.sqlite_path = std::string(path);
    return out;
  }
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    auto rest = url.substr(url.find("://") + 3);
    if (rest.empty()) return make_error(ErrorCode::invalid, fmt::format("'{}' names no server; use postgresql://user:password@host:5432/dbname", url));
    out.kind = DatabaseUrl::Kind::postgresql;
    out.postgresql_url = std::string(url);
    return out;
  }
  return make_error(ErrorCode::invalid,
                    fmt::format("unsupported database URL '{}': use sqlite:///path/to/file.db or postgresql://user:password@host:5432/dbname", url));
}

}  // namespace vc
