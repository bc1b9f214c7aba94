#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "storage/soci_common.hpp"
#include "test_support.hpp"
#include "videocontrol/clock.hpp"
#include "videocontrol/id.hpp"
#include "videocontrol/storage.hpp"

using namespace vc;

TEST_CASE("concurrent write transactions from many threads all commit") {
  test::TempDir dir;
  auto storage = test::migrated_storage(dir.file("concurrent.db"), 4);
  ManualClock clock;
  constexpr int kThreads = 8, kPerThread = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        Organization o;
        o.id = new_id(clock);
        o.name = "org";
        o.slug = "org-" + std::to_string(t) + "-" + std::to_string(i);
        auto r = storage->transact([&](StorageSession& s) { return s.organizations().insert(o); });
        if (!r.ok()) failures.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(failures.load() == 0);
  std::int64_t n = 0;
  REQUIRE(storage->read([&](StorageSession& s) -> Result<void> {
    auto c = s.organizations().count();
    if (!c) return std::move(c).error();
    n = *c;
    return {};
  }).ok());
  CHECK(n == kThreads * kPerThread);
}

TEST_CASE("a transaction whose callback fails leaves nothing behind") {
  test::TempDir dir;
  auto storage = test::migrated_storage(dir.file("rollback.db"));
  ManualClock clock;
  Organization o;
  o.id = new_id(clock);
  o.name = "gone";
  o.slug = "gone";
  auto r = storage->transact([&](StorageSession& s) -> Result<void> {
    VC_TRY(s.organizations().insert(o));
    return make_error(ErrorCode::conflict, "changed my mind");
  });
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "changed my mind");
  Result<std::optional<Organization>> found = std::optional<Organization>{};
  REQUIRE(storage->read([&](StorageSession& s) -> Result<void> {
    found = s.organizations().find(o.id);
    return {};
  }).ok());
  REQUIRE(found.ok());
  CHECK_FALSE(found->has_value());
}

TEST_CASE("a throwing callback is rolled back and reported, not propagated") {
  test::TempDir dir;
  auto storage = test::migrated_storage(dir.file("throw.db"));
  auto r = storage->transact([&](StorageSession&) -> Result<void> { throw std::runtime_error("boom"); });
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::unavailable);  // "boom" itself goes to the log (db_error)
  CHECK(storage->ping().ok());  // the connection went back to the pool usable
}

TEST_CASE("a duplicate unique key is a conflict") {
  test::TempDir dir;
  auto storage = test::migrated_storage(dir.file("dup.db"));
  ManualClock clock;
  Organization a;
  a.id = new_id(clock);
  a.name = "A";
  a.slug = "same";
  Organization b = a;
  b.id = new_id(clock);
  REQUIRE(storage->transact([&](StorageSession& s) { return s.organizations().insert(a); }).ok());
  auto r = storage->transact([&](StorageSession& s) { return s.organizations().insert(b); });
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::conflict);
}

namespace {

// Writes n settings of ~2 KB each, one transaction apiece (each adds a few pages to the write-ahead log).
void write_settings(Storage& storage, int n, const std::string& prefix) {
  const std::string value(2000, 'v');
  for (int i = 0; i < n; ++i) {
    auto r = storage.transact([&](StorageSession& s) -> Result<void> {
      auto put = s.settings().put_if_absent(prefix + std::to_string(i), value, 0);
      if (!put) return std::move(put).error();
      return {};
    });
    REQUIRE(r.ok());
  }
}

// The write-ahead log's progress as SQLite's shared WAL index records it (https://sqlite.org/walformat.html):
// mxFrame, the frames in the log since it last started over (header offset 16), and nBackfill, how many
// of them a checkpoint has copied into the database file (offset 96). Native byte order; a 0/0 pair
// when the index cannot be read.
struct WalProgress {
  std::uint32_t frames = 0, backfilled = 0;
};
WalProgress wal_progress(const std::string& db_path) {
  WalProgress p;
  std::ifstream in(db_path + "-shm", std::ios::binary);
  char buf[100] = {};
  if (!in.read(buf, sizeof buf)) return p;
  std::memcpy(&p.frames, buf + 16, 4);
  std::memcpy(&p.backfilled, buf + 96, 4);
  return p;
}

// How many times the log has started over: the checkpoint sequence number in the WAL file's header
// (offset 12, big-endian), which each restart increments.
std::uint32_t wal_restarts(const std::string& db_path) {
  std::ifstream in(db_path + "-wal", std::ios::binary);
  unsigned char buf[16] = {};
  if (!in.read(reinterpret_cast<char*>(buf), sizeof buf)) return 0;
  return (std::uint32_t{buf[12]} << 24) | (std::uint32_t{buf[13]} << 16) | (std::uint32_t{buf[14]} << 8) | buf[15];
}

std::uintmax_t size_of(const std::string& path) {
  std::error_code ec;
  auto n = std::filesystem::file_size(path, ec);
  return ec ? 0 : n;
}

}  // namespace

TEST_CASE("SQLite: commits leave checkpoints to the background log keeper") {
  test::TempDir dir;
  constexpr int kWrites = 1500;                       // ~3 MB of values, well past SQLite's default 1000-frame mark
  constexpr std::uintmax_t kData = kWrites * 2000ull;

  std::uintmax_t one_round_of_log = 0;  // what kWrites commits leave in a log nothing checkpoints
  for (const bool keeper : {false, true}) {
    CAPTURE(keeper);
    // Below the checkpoint mark, nothing copies the log into the database file: not SQLite inside a
    // commit (its own mark is raised, or replaced by the keeper's hook), not the keeper.
    const std::string path = dir.file(keeper ? "kept-small.db" : "no-keeper.db");
    auto options = test::sqlite_options(path);
    options.wal_sync_interval = std::chrono::milliseconds(keeper ? 20 : 0);
    options.checkpoint_frames = 1'000'000;
    auto storage = open_storage(options);
    REQUIRE(storage.ok());
    REQUIRE((*storage)->migrate().ok());
    write_settings(**storage, kWrites, "k");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    CHECK(size_of(path + "-wal") > kData);
    CHECK(size_of(path) < kData / 4);  // still only what the first pages hold
    one_round_of_log = std::max(one_round_of_log, size_of(path + "-wal"));
  }

  SUBCASE("past the mark the keeper copies the log into the database file, and the log file is reused") {
    auto options = test::sqlite_options(dir.file("checkpointed.db"));
    options.wal_sync_interval = std::chrono::milliseconds(20);
    options.checkpoint_frames = 500;
    auto storage = open_storage(options);
    REQUIRE(storage.ok());
    REQUIRE((*storage)->migrate().ok());
    write_settings(**storage, kWrites, "a");
    for (int i = 0; i < 500 && size_of(dir.file("checkpointed.db")) < kData; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK(size_of(dir.file("checkpointed.db")) >= kData);
    // Each checkpoint that caught up lets the next commit start the log over, in the same file. With
    // the gaps real commands leave (here after every 100 commits, ~300 frames) the keeper catches up
    // between them, so the log keeps starting over, and the file does not take in the second round
    // (without reuse it would grow by about one_round_of_log). The first round, written without gaps,
    // sets the file's size. A gap lasts until the keeper, on its own, has copied a log past its mark
    // (bounded: a keeper that never does leaves the log growing and the checks below fail), not a
    // fixed time, which a busy machine can outlast. A restart can still miss (it needs the checkpoint
    // finished and no reader in the log); the next gap catches up again.
    const std::string db = dir.file("checkpointed.db");
    const auto file_after_first_round = size_of(db + "-wal");
    const auto restarts_before = wal_restarts(db);
    const auto mark = static_cast<std::uint32_t>(options.checkpoint_frames);
    for (int batch = 0; batch < kWrites / 100; ++batch) {
      write_settings(**storage, 100, "b" + std::to_string(batch) + "-");
      for (int i = 0; i < 250; ++i) {
        const auto wal = wal_progress(db);
        if (wal.frames < mark || wal.backfilled == wal.frames) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
    CHECK(wal_restarts(db) >= restarts_before + 3);  // ~7 when every checkpoint is met by a restart
    CHECK(size_of(db + "-wal") < file_after_first_round + one_round_of_log / 2);
    std::int64_t found = 0;
    REQUIRE((*storage)->read([&](StorageSession& s) -> Result<void> {
      for (const char* key : {"a0", "a1499", "b0-0", "b14-99"}) {
        auto v = s.settings().get(key);
        if (!v) return std::move(v).error();
        if (*v) ++found;
      }
      return {};
    }).ok());
    CHECK(found == 4);
  }
}

TEST_CASE("a schedule's state write leaves a newer state alone (put_state_unless_newer)") {
  test::TempDir dir;
  auto storage = test::migrated_storage(dir.file("state.db"), 2);
  ManualClock clock;
  Organization o;
  o.id = new_id(clock);
  o.name = "org";
  o.slug = "state-org";
  Device d;
  d.id = new_id(clock);
  d.organization_id = o.id;
  d.device_id = "lobby";
  d.name = "Lobby";
  REQUIRE(storage->transact([&](StorageSession& s) -> Result<void> {
    VC_TRY(s.organizations().insert(o));
    return s.devices().insert(d);
  }).ok());
  auto state = [](std::string file, std::int64_t at, bool scheduled) {
    NowPlaying n;
    n.type = "image";
    n.file = std::move(file);
    n.state = PlaybackState::playing;
    n.updated_at_ms = at;
    n.scheduled = scheduled;
    return n;
  };
  auto put = [&](const NowPlaying& n) {
    bool stored = false;
    REQUIRE(storage->transact([&](StorageSession& s) -> Result<void> {
      auto r = s.devices().put_state_unless_newer(d.id, n);
      if (!r) return r.error();
      stored = *r;
      return {};
    }).ok());
    return stored;
  };
  auto current = [&] {
    std::optional<NowPlaying> out;
    REQUIRE(storage->read([&](StorageSession& s) -> Result<void> {
      auto r = s.devices().state(d.id);
      if (!r) return r.error();
      out = *r;
      return {};
    }).ok());
    REQUIRE(out.has_value());
    return *out;
  };
  CHECK(put(state("first.png", 1000, true)));  // no row yet
  CHECK(current().file == "first.png");
  // A speaker's command at 2000; then the engine's write for its boundary at 1500 (sent before the
  // command, stored after it) must not replace it.
  REQUIRE(storage->transact([&](StorageSession& s) { return s.devices().put_state(d.id, state("manual.png", 2000, false)); }).ok());
  CHECK_FALSE(put(state("scheduled.png", 1500, true)));
  CHECK(current().file == "manual.png");
  CHECK_FALSE(current().scheduled);
  CHECK(put(state("later.png", 2500, true)));  // a later boundary does
  CHECK(current().file == "later.png");
  CHECK(put(state("same-time.png", 2500, true)));  // equal times: the write wins
  CHECK(current().file == "same-time.png");
}

TEST_CASE("check_writable commits a write, and notices a SQLite file replaced or removed under it") {
  test::TempDir dir;
  const std::string path = dir.file("probe.db");
  auto storage = test::migrated_sqlite(path, 2);
  REQUIRE(storage->check_writable().ok());
  REQUIRE(storage->check_writable().ok());  // again: it changes nothing
  // Another file at the same path (a copy moved over it, as a restore by hand would).
  std::filesystem::copy_file(path, path + ".copy");
  std::filesystem::rename(path + ".copy", path);
  auto replaced = storage->check_writable();
  REQUIRE_FALSE(replaced.ok());
  CHECK(replaced.error().code == ErrorCode::unavailable);
  CHECK(replaced.error().message.find("was replaced") != std::string::npos);
  std::filesystem::remove(path);
  auto gone = storage->check_writable();
  REQUIRE_FALSE(gone.ok());
  CHECK(gone.error().message.find("is gone") != std::string::npos);
}

TEST_CASE("a database error reaches callers as one generic message; the driver's words stay in the log") {
  const Error e = storage::db_error(std::runtime_error("disk I/O error: /var/lib/videocontrol/videocontrol.db-wal"));
  CHECK(e.code == ErrorCode::unavailable);
  CHECK(e.message.find("disk I/O") == std::string::npos);
  CHECK(e.message.find(".db") == std::string::npos);
  CHECK(e.message.find("try again later") != std::string::npos);
  CHECK(storage::db_error(std::runtime_error("UNIQUE constraint failed: devices.device_id")).code == ErrorCode::conflict);
}
