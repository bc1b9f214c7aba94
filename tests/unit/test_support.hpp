// Helpers shared by unit tests: a fresh folder per test, and a migrated SQLite storage in it.
#pragma once

#include <atomic>
#include <filesystem>
#include <string>

#include <doctest/doctest.h>
#include <unistd.h>

#include "videocontrol/storage.hpp"

namespace vc::test {

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

}  // namespace vc::test
