// Helpers shared by unit tests: a fresh folder per test, and a migrated SQLite storage in it.
#pragma once

#include <atomic>
#include <filesystem>
#include <string>

#include <cstdlib>

#include <doctest/doctest.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <unistd.h>

#include "videocontrol/password.hpp"
#include "videocontrol/storage.hpp"

namespace vc::test {

// Password hashes for the suite's throwaway accounts: the cheapest argon2id (microseconds instead of
// ~0.1 s of a core each, which made most of the suite's time). Tests of hashing itself use the default.
inline constexpr PasswordHashCost kCheapHash = PasswordHashCost::minimum();

class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::path(VC_TEST_TMP) /
            ("t" + std::to_string(::getpid()) + "_" + std::to_string(counter.fetch_add(1)));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline StorageOptions sqlite_options(const std::string& path, unsigned pool = 4) {
  StorageOptions o;
  o.url.kind = DatabaseUrl::Kind::sqlite;
  o.url.sqlite_path = path;
  o.pool_size = pool;
  return o;
}

inline std::unique_ptr<Storage> migrated_sqlite(const std::string& path, unsigned pool = 4) {
  auto s = open_storage(sqlite_options(path, pool));
  REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.error().message));
  auto m = (*s)->migrate();
  REQUIRE_MESSAGE(m.ok(), (m.ok() ? "" : m.error().message));
  return std::move(*s);
}

// The storage under test: SQLite in `path`, or — when VC_TEST_POSTGRES_URL names a PostgreSQL
// server (postgresql://user@host:port/postgres) — a fresh database there, so the same tests run
// against both backends.
inline std::unique_ptr<Storage> migrated_storage(const std::string& sqlite_path, unsigned pool = 4) {
  const char* pg = std::getenv("VC_TEST_POSTGRES_URL");
  if (!pg || !*pg) return migrated_sqlite(sqlite_path, pool);
  static std::atomic<int> counter{0};
  const std::string db = "vct_" + std::to_string(::getpid()) + "_" + std::to_string(counter.fetch_add(1));
  std::string admin_url = pg;
  {
    auto conninfo = [](std::string url) {  // postgresql://user@host:port/db → libpq keywords
      url = url.substr(url.find("://") + 3);
      const auto at = url.find('@'), colon = url.find(':', at), slash = url.find('/', at);
      return "user=" + url.substr(0, at) + " host=" + url.substr(at + 1, colon - at - 1) +
             " port=" + url.substr(colon + 1, slash - colon - 1) + " dbname=" + url.substr(slash + 1);
    };
    soci::session admin(soci::postgresql, conninfo(admin_url));
    admin << "CREATE DATABASE " + db;
  }
  StorageOptions o;
  o.url.kind = DatabaseUrl::Kind::postgresql;
  o.url.postgresql_url = admin_url.substr(0, admin_url.rfind('/') + 1) + db;
  o.pool_size = pool;
  auto s = open_storage(o);
  REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.error().message));
  auto m = (*s)->migrate();
  REQUIRE_MESSAGE(m.ok(), (m.ok() ? "" : m.error().message));
  return std::move(*s);
}

}  // namespace vc::test
