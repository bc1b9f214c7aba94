#include <doctest/doctest.h>

#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include "test_support.hpp"
#include "videocontrol/storage.hpp"

using namespace vc;

TEST_CASE("a fresh database is migrated to the latest schema") {
  test::TempDir dir;
  auto s = open_storage(test::sqlite_options(dir.file("fresh.db")));
  REQUIRE(s.ok());
  auto before = (*s)->schema_version();
  REQUIRE(before.ok());
  CHECK(*before == 0);
  auto report = (*s)->migrate();
  REQUIRE(report.ok());
  CHECK(report->from_version == 0);
  CHECK(report->to_version == latest_schema_version());
  CHECK_FALSE(report->applied.empty());
  CHECK(report->applied.front() == "0001_initial");
  CHECK(*(*s)->schema_version() == latest_schema_version());
}

TEST_CASE("the migrated schema covers the whole domain") {
  test::TempDir dir;
  test::migrated_sqlite(dir.file("schema.db"));
  soci::session raw(soci::sqlite3, "db=" + dir.file("schema.db"));
  for (const char* table : {"organizations", "users", "sessions", "api_keys", "devices", "device_state", "media",
                            "device_media", "blobs", "playlists", "playlist_items", "assignments", "device_groups",
                            "device_group_members", "device_schedule", "overrides", "jobs", "audit_log", "settings", "schema_migrations"}) {
    int n = 0;
    std::string name = table;
    raw << "SELECT count(*) FROM sqlite_master WHERE type='table' AND name=:n", soci::into(n), soci::use(name);
    INFO(table);
    CHECK(n == 1);
  }
  // 0004 replaced the never-used schedules table by assignments with a schedule each.
  int old = -1;
  raw << "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='schedules'", soci::into(old);
  CHECK(old == 0);
}

TEST_CASE("re-running migrations is a no-op") {
  test::TempDir dir;
  test::migrated_sqlite(dir.file("rerun.db"));
  auto s = open_storage(test::sqlite_options(dir.file("rerun.db")));
  REQUIRE(s.ok());
  auto again = (*s)->migrate();
  REQUIRE(again.ok());
  CHECK(again->applied.empty());
  CHECK(again->from_version == latest_schema_version());
  CHECK(again->to_version == latest_schema_version());
  soci::session raw(soci::sqlite3, "db=" + dir.file("rerun.db"));
  int rows = 0;
  raw << "SELECT count(*) FROM schema_migrations", soci::into(rows);
  CHECK(rows == latest_schema_version());
}

TEST_CASE("a database written by a newer version is refused with a clear error") {
  test::TempDir dir;
  test::migrated_sqlite(dir.file("newer.db"));
  {
    soci::session raw(soci::sqlite3, "db=" + dir.file("newer.db"));
    raw << "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', 0)";
  }
  auto s = open_storage(test::sqlite_options(dir.file("newer.db")));
  REQUIRE(s.ok());
  auto r = (*s)->migrate();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::unavailable);
  CHECK(r.error().message.find("9999") != std::string::npos);
  CHECK(r.error().message.find("newer") != std::string::npos);
}

TEST_CASE("the database runs in WAL mode with foreign keys on") {
  test::TempDir dir;
  test::migrated_sqlite(dir.file("wal.db"));
  soci::session raw(soci::sqlite3, "db=" + dir.file("wal.db"));
  std::string mode;
  raw << "PRAGMA journal_mode", soci::into(mode);
  CHECK(mode == "wal");
}

TEST_CASE("an unreachable database path gives an error naming DATABASE_URL") {
  auto r = open_storage(test::sqlite_options("/proc/definitely/not/here.db"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::unavailable);
  CHECK(r.error().message.find("DATABASE_URL") != std::string::npos);
}
