// Storage on SOCI, for SQLite and PostgreSQL. Every SOCI exception is caught in this file.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <thread>
#include <utility>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <fmt/format.h>

#include "connection_pool.hpp"
#include "soci_repositories.hpp"
#include "dialect.hpp"
#include "migrations.hpp"
#include "raw_access.hpp"
#include "videocontrol/clock.hpp"
#include "videocontrol/log.hpp"
#include "videocontrol/storage.hpp"

namespace vc {
namespace {

// SQLite's own in-commit checkpoint threshold, raised from its default of 1000 frames (~4 MiB of log).
constexpr int kInCommitCheckpointFrames = 16384;  // ~64 MiB

using storage::ConnectionPool;
using storage::db_error;
using storage::Dialect;
using storage::guarded;

class SociSession final : public StorageSession {
 public:
  SociSession(soci::session& s, Dialect d)
      : orgs_(s, d), users_(s), sessions_(s), keys_(s), audit_(s), settings_(s), devices_(s), media_(s), blobs_(s, d),
        jobs_(s, d), scheduling_(s), webhooks_(s) {}
  OrganizationRepository& organizations() override { return orgs_; }
  UserRepository& users() override { return users_; }
  SessionRepository& sessions() override { return sessions_; }
  ApiKeyRepository& api_keys() override { return keys_; }
  AuditRepository& audit() override { return audit_; }
  SettingRepository& settings() override { return settings_; }
  DeviceRepository& devices() override { return devices_; }
  MediaRepository& media() override { return media_; }
  BlobRepository& blobs() override { return blobs_; }
  JobRepository& jobs() override { return jobs_; }
  SchedulingRepository& scheduling() override { return scheduling_; }
  WebhookRepository& webhooks() override { return webhooks_; }

 private:
  storage::SociOrganizations orgs_;
  storage::SociUsers users_;
  storage::SociSessions sessions_;
  storage::SociApiKeys keys_;
  storage::SociAudit audit_;
  storage::SociSettings settings_;
  storage::SociDevices devices_;
  storage::SociMedia media_;
  storage::SociBlobs blobs_;
  storage::SociJobs jobs_;
  storage::SociScheduling scheduling_;
  storage::SociWebhooks webhooks_;
};

// Background maintenance of an SQLite write-ahead log, so that no commit has to wait for the disk.
//
// Commits (synchronous=NORMAL) only append to the log. What SQLite would otherwise do inside a
// commit happens here, on a connection and thread of its own:
//   - every `sync_interval` the log is flushed to disk (fdatasync) if anything was committed since,
//     which bounds what a power cut can take to that interval;
//   - once the log holds `checkpoint_frames` frames, a PASSIVE checkpoint copies it into the database
//     file (it waits for nobody and blocks nobody).
// Each pool connection reports its log size after every commit through sqlite3_wal_hook (which also
// switches SQLite's own in-commit checkpoint off). Checkpoints are deliberately rare: after one has
// caught up, the next commit restarts the log, and SQLite syncs the new log header inside that
// commit, which under other disk traffic took 100-250 ms here. The hook keeps a safety net: when the
// log reaches 4 x checkpoint_frames (this thread stuck?), the committing connection checkpoints itself.
class WalKeeper {
 public:
  WalKeeper(std::unique_ptr<soci::session> s, std::string wal_path, std::chrono::milliseconds sync_interval,
            int checkpoint_frames)
      : session_(std::move(s)),
        wal_path_(std::move(wal_path)),
        sync_interval_(sync_interval),
        checkpoint_frames_(std::max(1, checkpoint_frames)),
        thread_([this] { run(); }) {}

  ~WalKeeper() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
    if (wal_fd_ >= 0) ::close(wal_fd_);
    checkpoint("TRUNCATE");  // leave a short log behind; fails harmlessly while others still read
  }

  // Installs the commit hook on a pool connection. REQUIRES: the keeper outlives the connection's use.
  void watch(soci::session& s) {
    auto* backend = static_cast<soci::sqlite3_session_backend*>(s.get_backend());
    sqlite_api::sqlite3_wal_hook(backend->conn_, &WalKeeper::on_commit, this);
  }

 private:
  static int on_commit(void* self_ptr, sqlite_api::sqlite3* db, const char*, int frames) {
    auto* self = static_cast<WalKeeper*>(self_ptr);
    self->frames_.store(frames, std::memory_order_relaxed);
    self->dirty_.store(true, std::memory_order_relaxed);
    if (frames >= self->checkpoint_frames_) self->cv_.notify_one();
    if (frames >= 4 * self->checkpoint_frames_)
      sqlite_api::sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    return SQLITE_OK;
  }

  void run() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      cv_.wait_for(lock, sync_interval_, [this] {
        return stopping_ || frames_.load(std::memory_order_relaxed) >= checkpoint_frames_;
      });
      if (stopping_) break;
      lock.unlock();
      if (frames_.load(std::memory_order_relaxed) >= checkpoint_frames_) {
        frames_.store(0, std::memory_order_relaxed);  // the next commit reports the truth again
        dirty_.store(false, std::memory_order_relaxed);
        checkpoint("PASSIVE");  // syncs the log first, then copies it
      } else if (dirty_.exchange(false, std::memory_order_relaxed)) {
        sync_log();
      }
      lock.lock();
    }
  }

  void sync_log() {
    if (wal_fd_ < 0) wal_fd_ = ::open(wal_path_.c_str(), O_RDONLY | O_CLOEXEC);  // same file across restarts
    if (wal_fd_ >= 0 && ::fdatasync(wal_fd_) != 0)
      log_warn("SQLite log sync failed; retrying later", {{"error", std::strerror(errno)}});
  }

  void checkpoint(std::string_view mode) {
    try {
      int busy = 0, log_frames = 0, copied = 0;
      *session_ << fmt::format("PRAGMA wal_checkpoint({})", mode), soci::into(busy), soci::into(log_frames),
          soci::into(copied);
    } catch (const std::exception& e) {
      log_warn("SQLite checkpoint failed; retrying later", {{"error", e.what()}});
    }
  }

  std::unique_ptr<soci::session> session_;
  const std::string wal_path_;
  const std::chrono::milliseconds sync_interval_;
  const int checkpoint_frames_;
  int wal_fd_ = -1;  // this thread only
  std::atomic<int> frames_{0};
  std::atomic<bool> dirty_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once everything above exists
};

class SociStorage final : public Storage {
 public:
  SociStorage(Dialect d, std::unique_ptr<WalKeeper> wal, std::unique_ptr<ConnectionPool> pool, std::string file = {})
      : dialect_(d), wal_(std::move(wal)), pool_(std::move(pool)), file_(std::move(file)) {
    struct stat st {};
    if (!file_.empty() && ::stat(file_.c_str(), &st) == 0) identity_ = {st.st_dev, st.st_ino};
  }

  Result<void> check_writable() override {
    if (!file_.empty()) {  // SQLite: the open file must still be the one at its path
      struct stat st {};
      if (::stat(file_.c_str(), &st) != 0)
        return make_error(ErrorCode::unavailable, fmt::format("the database file {} is gone (removed while the server "
                                                              "runs); restart after restoring it", file_));
      if (std::pair{st.st_dev, st.st_ino} != identity_)
        return make_error(ErrorCode::unavailable, fmt::format("the database file {} was replaced while the server runs; "
                                                              "restart to use the new one", file_));
    }
    auto lease = pool_->acquire();
    soci::session& s = *lease;
    return guarded([&]() -> Result<void> {
      s << begin_write(dialect_);
      try {
        // Rewrites one row as it is: a real write and commit (journal, pages, log), no change.
        s << "UPDATE schema_migrations SET applied_at = applied_at WHERE version = "
             "(SELECT MAX(version) FROM schema_migrations)";
        s << "COMMIT";
      } catch (...) {
        try { s << "ROLLBACK"; } catch (...) {}
        throw;
      }
      return {};
    });
  }

  std::string_view backend_name() const noexcept override {
    return dialect_ == Dialect::sqlite ? "sqlite" : "postgresql";
  }

  Result<void> ping() override {
    auto lease = pool_->acquire();
    return guarded([&]() -> Result<void> {
      int one = 0;
      *lease << "SELECT 1", soci::into(one);
      if (one != 1) return make_error(ErrorCode::unavailable, "database answered SELECT 1 wrongly");
      return {};
    });
  }

  Result<int> schema_version() override {
    auto lease = pool_->acquire();
    return guarded([&]() { return version_on(*lease); });
  }

  Result<MigrationReport> migrate() override { return migrate_up_to(latest_schema_version()); }

  Result<MigrationReport> migrate_up_to(int target) {
    auto lease = pool_->acquire();
    soci::session& s = *lease;
    return guarded([&]() -> Result<MigrationReport> {
      s << "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
           "applied_at BIGINT NOT NULL)";
      MigrationReport report;
      auto start = version_on(s);
      if (!start) return std::move(start).error();
      report.from_version = report.to_version = *start;
      if (*start > latest_schema_version()) return newer_database(*start);
      for (const auto& m : storage::migrations()) {
        if (m.version <= report.to_version) continue;
        if (m.version > target) break;
        s << begin_write(dialect_);
        try {
          if (auto lock = storage::migration_lock(dialect_); !lock.empty()) s << lock;
          // Another instance may have applied it while we waited for the lock.
          auto current = version_on(s);
          if (!current) throw std::runtime_error(current.error().message);
          if (*current >= m.version) {
            s << "ROLLBACK";
            report.to_version = *current;
            if (*current > latest_schema_version()) return newer_database(*current);
            continue;
          }
          for (auto stmt : m.statements) s << storage::translate(dialect_, stmt);
          long long applied_at = system_clock()->now_ms();
          std::string name(m.name);
          s << "INSERT INTO schema_migrations (version, name, applied_at) VALUES (:v, :n, :t)", soci::use(m.version),
              soci::use(name), soci::use(applied_at);
          s << "COMMIT";
        } catch (const std::exception& e) {
          try { s << "ROLLBACK"; } catch (...) {}
          return make_error(ErrorCode::internal, fmt::format("migration {} failed and was rolled back: {}", m.name, e.what()));
        }
        report.applied.emplace_back(m.name);
        report.to_version = m.version;
      }
      return report;
    });
  }

  Result<void> transact(const std::function<Result<void>(StorageSession&)>& fn) override {
    return run(begin_write(dialect_), fn);
  }

  Result<void> read(const std::function<Result<void>(StorageSession&)>& fn) override {
    return run(begin_read(dialect_), fn);
  }

  StorageStats stats() const override {
    const auto p = pool_->stats();
    StorageStats s;
    s.pool_size = p.size;
    s.in_use = p.in_use;
    s.waiting = p.waiting;
    s.pool_wait = p.wait;
    s.queries = p.queries;
    s.slow_query_threshold_seconds = p.slow_threshold_seconds;
    s.slow_queries = p.slow;
    return s;
  }

  // One transaction on a pooled session: begun with `begin`, committed when fn returns ok, rolled
  // back when it returns an error or throws. transact() and read() run theirs through it too.
  Result<void> raw(std::string_view begin, const storage::RawFn& fn) {
    auto lease = pool_->acquire();
    soci::session& s = *lease;
    try {
      s << begin;
    } catch (const std::exception& e) {
      return db_error(e);
    }
    Result<void> result;
    try {
      result = fn(s, dialect_);
      if (result.ok()) {
        s << "COMMIT";
        return result;
      }
    } catch (const std::exception& e) {
      result = db_error(e);
    }
    try { s << "ROLLBACK"; } catch (const std::exception& e) {
      log_warn("rollback failed", {{"error", e.what()}});
    }
    return result;
  }

  Dialect dialect() const { return dialect_; }

 private:
  static Error newer_database(int version) {
    return make_error(ErrorCode::unavailable,
                      fmt::format("the database has schema version {}, newer than the {} this VideoControl {} knows: "
                                  "it was written by a newer release; run that release or point DATABASE_URL elsewhere",
                                  version, latest_schema_version(), "build"));
  }

  Result<int> version_on(soci::session& s) {
    long long exists = 0;
    std::string table = "schema_migrations";
    s << storage::table_exists_query(dialect_), soci::into(exists), soci::use(table, "name");
    if (exists == 0) return 0;
    int v = 0;
    soci::indicator ind = soci::i_null;
    s << "SELECT max(version) FROM schema_migrations", soci::into(v, ind);
    return ind == soci::i_ok ? v : 0;
  }

  Result<void> run(std::string_view begin, const std::function<Result<void>(StorageSession&)>& fn) {
    return raw(begin, [&](soci::session& s, Dialect d) {
      SociSession session(s, d);
      return fn(session);
    });
  }

  Dialect dialect_;
  std::unique_ptr<WalKeeper> wal_;  // SQLite files only; destroyed after the pool, whose hooks point to it
  std::unique_ptr<ConnectionPool> pool_;
  const std::string file_;                // SQLite: the database file's path
  std::pair<dev_t, ino_t> identity_{};    // … and the file it named at open
};

Result<std::unique_ptr<soci::session>> connect_sqlite(const std::string& path, int busy_timeout_ms) {
  if (path != ":memory:") {
    std::error_code ec;
    auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    if (ec)
      return make_error(ErrorCode::unavailable,
                        fmt::format("DATABASE_URL: cannot create the folder '{}': {}", parent.string(), ec.message()));
  }
  try {
    auto s = std::make_unique<soci::session>(soci::sqlite3, fmt::format("db=\"{}\"", path));
    *s << fmt::format("PRAGMA busy_timeout = {}", busy_timeout_ms);
    std::string mode;
    *s << "PRAGMA journal_mode = WAL", soci::into(mode);
    *s << "PRAGMA synchronous = NORMAL";
    // Without a WalKeeper (see above; it replaces this with its own hook), SQLite checkpoints inside
    // commits, where a checkpoint's copying and fsyncs held a control command for up to 120 ms: at
    // a raised mark, so less often.
    *s << fmt::format("PRAGMA wal_autocheckpoint = {}", kInCommitCheckpointFrames);
    *s << "PRAGMA foreign_keys = ON";
    return s;
  } catch (const std::exception& e) {
    return make_error(ErrorCode::unavailable, fmt::format("DATABASE_URL: cannot open SQLite database '{}': {}", path, e.what()));
  }
}

// libpq keyword/value form of a postgresql:// URL (SOCI does not pass URLs through unchanged).
std::string quote_conninfo(std::string_view v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "'";
}

std::string percent_decoded(std::string_view in) {
  auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size() && hex(in[i + 1]) && hex(in[i + 2])) {
      out.push_back(static_cast<char>(std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

std::string postgres_conninfo(std::string_view url) {
  std::string_view rest = url.substr(url.find("://") + 3);
  std::string_view query;
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  std::string_view dbname;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    dbname = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  std::string out;
  auto add = [&](std::string_view key, std::string_view value) {
    if (!value.empty()) out += fmt::format("{}={} ", key, quote_conninfo(percent_decoded(value)));
  };
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    auto colon = userinfo.find(':');
    add("user", userinfo.substr(0, colon));
    if (colon != std::string_view::npos) add("password", userinfo.substr(colon + 1));
  }
  std::string_view host = rest, port;
  if (!host.empty() && host.front() == '[') {  // [IPv6]:port
    auto close = host.find(']');
    port = close != std::string_view::npos && close + 1 < host.size() ? host.substr(close + 2) : std::string_view{};
    host = host.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1);
  } else if (auto colon = host.rfind(':'); colon != std::string_view::npos) {
    port = host.substr(colon + 1);
    host = host.substr(0, colon);
  }
  add("host", host);
  add("port", port);
  add("dbname", dbname);
  while (!query.empty()) {  // e.g. sslmode=require, connect_timeout=5
    auto amp = query.find('&');
    auto kv = query.substr(0, amp);
    if (auto eq = kv.find('='); eq != std::string_view::npos) add(kv.substr(0, eq), kv.substr(eq + 1));
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
  }
  return out;
}

Result<std::unique_ptr<soci::session>> connect_postgresql(const std::string& url) {
  try {
    return std::make_unique<soci::session>(soci::postgresql, postgres_conninfo(url));
  } catch (const std::exception& e) {
    return make_error(ErrorCode::unavailable, fmt::format("DATABASE_URL: cannot connect to PostgreSQL: {}", e.what()));
  }
}

}  // namespace

namespace storage {

Result<void> snapshot_read(Storage& st, const RawFn& fn) {
  auto* soci_storage = dynamic_cast<SociStorage*>(&st);
  if (!soci_storage) return make_error(ErrorCode::invalid, "backup needs the library's own storage");
  return soci_storage->raw(soci_storage->dialect() == Dialect::sqlite
                               ? std::string_view("BEGIN")
                               : std::string_view("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"),
                           fn);
}

Result<void> raw_transact(Storage& st, const RawFn& fn) {
  auto* soci_storage = dynamic_cast<SociStorage*>(&st);
  if (!soci_storage) return make_error(ErrorCode::invalid, "restore needs the library's own storage");
  return soci_storage->raw(begin_write(soci_storage->dialect()), fn);
}

Result<MigrationReport> migrate_up_to(Storage& st, int version) {
  auto* soci_storage = dynamic_cast<SociStorage*>(&st);
  if (!soci_storage) return make_error(ErrorCode::invalid, "restore needs the library's own storage");
  return soci_storage->migrate_up_to(version);
}

}  // namespace storage

int latest_schema_version() noexcept {
  auto all = storage::migrations();
  return all.empty() ? 0 : all.back().version;
}

Result<std::unique_ptr<Storage>> open_storage(const StorageOptions& options) {
  const bool sqlite = options.url.kind == DatabaseUrl::Kind::sqlite;
  if (sqlite && options.url.sqlite_path.empty()) return make_error(ErrorCode::invalid, "DATABASE_URL: no SQLite path given");
  // An in-memory SQLite database exists per connection, so it gets exactly one.
  const unsigned n = (sqlite && options.url.sqlite_path == ":memory:") ? 1 : std::max(1u, options.pool_size);
  std::vector<std::unique_ptr<soci::session>> sessions;
  for (unsigned i = 0; i < n; ++i) {
    auto s = sqlite ? connect_sqlite(options.url.sqlite_path, options.busy_timeout_ms)
                    : connect_postgresql(options.url.postgresql_url);
    if (!s) return std::move(s).error();
    sessions.push_back(std::move(*s));
  }
  std::unique_ptr<WalKeeper> wal;
  if (sqlite && options.url.sqlite_path != ":memory:" && options.wal_sync_interval.count() > 0) {
    auto s = connect_sqlite(options.url.sqlite_path, options.busy_timeout_ms);
    if (!s) return std::move(s).error();
    wal = std::make_unique<WalKeeper>(std::move(*s), options.url.sqlite_path + "-wal", options.wal_sync_interval,
                                      options.checkpoint_frames);
    for (auto& session : sessions) wal->watch(*session);
  }
  auto pool = std::make_unique<ConnectionPool>(std::move(sessions), options.slow_query_threshold,
                                               options.measure_statements);
  return std::unique_ptr<Storage>(std::make_unique<SociStorage>(
      sqlite ? Dialect::sqlite : Dialect::postgresql, std::move(wal), std::move(pool),
      sqlite && options.url.sqlite_path != ":memory:" ? options.url.sqlite_path : std::string()));
}

}  // namespace vc
