// Storage: durable state behind an interface (DESIGN.md principle 2).
//
// A Storage owns a pool of database connections. All access goes through transact() or read(),
// which lend one connection to a callback as a StorageSession; the repositories reached from the
// session act inside that one transaction. Storage is safe for concurrent use from many threads:
// concurrent transactions each get their own connection, and writers are serialised by the
// database (SQLite: BEGIN IMMEDIATE with a busy timeout; PostgreSQL: row locks).
//
// Backends: SQLite (embedded default) and PostgreSQL, both through SOCI; the schema is versioned by
// migrations that migrate() applies. A database written by a newer VideoControl is refused.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "videocontrol/domain.hpp"
#include "videocontrol/export.hpp"
#include "videocontrol/metrics.hpp"
#include "videocontrol/result.hpp"
#include "videocontrol/scheduling.hpp"

namespace vc {

struct VC_API DatabaseUrl {
  enum class Kind { sqlite, postgresql };
  Kind kind = Kind::sqlite;
  std::string sqlite_path;     // for sqlite: a filesystem path (":memory:" allowed)
  std::string postgresql_url;  // for postgresql: the URL as given
};

// Parses "sqlite:///abs/path", "sqlite://relative/path", "sqlite::memory:", "postgresql://…" or
// "postgres://…".
VC_API Result<DatabaseUrl> parse_database_url(std::string_view url);

// Repositories are thin: they store and fetch values; rules live in the services. Lists are
// ordered by id (UUIDv7, so by creation) and page with an exclusive "after this id" cursor.

class VC_API OrganizationRepository {
 public:
  virtual ~OrganizationRepository() = default;
  // Errors: conflict when the slug is taken.
  virtual Result<void> insert(const Organization& org) = 0;
  virtual Result<std::optional<Organization>> find(std::string_view id) = 0;
  virtual Result<std::vector<Organization>> list(std::string_view after_id, int limit) = 0;
  // Writes every field but id and created_at. Errors: conflict when the slug is taken.
  virtual Result<void> update(const Organization& org) = 0;
  // Deletes the organisation and, by cascade, everything it owns. Returns false when absent.
  virtual Result<bool> remove(std::string_view id) = 0;
  virtual Result<std::int64_t> count() = 0;
  // Serialises writers that check this organisation's limits (a no-op where the transaction
  // already holds the database's write lock, as on SQLite).
  virtual Result<void> lock(std::string_view id) = 0;
  virtual Result<std::int64_t> count_devices(std::string_view id) = 0;
  virtual Result<std::int64_t> storage_bytes(std::string_view id) = 0;
};

class VC_API UserRepository {
 public:
  virtual ~UserRepository() = default;
  // Errors: conflict when the username is taken.
  virtual Result<void> insert(const User& user) = 0;
  virtual Result<std::optional<User>> find(std::string_view id) = 0;
  virtual Result<std::optional<User>> find_by_username(std::string_view username) = 0;
  // organization_id empty = every organisation.
  virtual Result<std::vector<User>> list(std::string_view organization_id, std::string_view after_id, int limit) = 0;
  virtual Result<void> update(const User& user) = 0;
  virtual Result<bool> remove(std::string_view id) = 0;
  virtual Result<std::int64_t> count() = 0;
  virtual Result<std::int64_t> count_in(std::string_view organization_id) = 0;
};

class VC_API SessionRepository {
 public:
  virtual ~SessionRepository() = default;
  virtual Result<void> insert(const AuthSession& session) = 0;
  virtual Result<std::optional<AuthSession>> find_by_hash(std::string_view refresh_hash) = 0;
  // Marks the row used; returns false when it was used already (another refresh won the race).
  virtual Result<bool> mark_used(std::string_view id, std::int64_t at_ms) = 0;
  virtual Result<void> revoke_family(std::string_view family_id, std::int64_t at_ms) = 0;
  virtual Result<void> revoke_user(std::string_view user_id, std::int64_t at_ms) = 0;
  // True while the family has a row that is neither revoked nor expired.
  virtual Result<bool> family_active(std::string_view family_id, std::int64_t now_ms) = 0;
};

class VC_API ApiKeyRepository {
 public:
  virtual ~ApiKeyRepository() = default;
  virtual Result<void> insert(const ApiKey& key) = 0;
  virtual Result<std::optional<ApiKey>> find(std::string_view id) = 0;
  virtual Result<std::optional<ApiKey>> find_by_hash(std::string_view key_hash) = 0;
  virtual Result<std::vector<ApiKey>> list(std::string_view organization_id, std::string_view after_id, int limit) = 0;
  virtual Result<void> revoke(std::string_view id, std::int64_t at_ms) = 0;
  virtual Result<void> touch(std::string_view id, std::int64_t at_ms) = 0;
};

struct VC_API AuditQuery {
  std::string organization_id;  // empty = every organisation
  std::string action;           // exact, or a prefix ending in '.' ("auth.")
  std::string actor_id;
  std::string object_type;
  std::string object_id;
  std::int64_t since_ms = 0;    // inclusive; 0 = no bound
  std::int64_t until_ms = 0;    // exclusive; 0 = no bound
  std::int64_t before_id = 0;   // page cursor: entries with a smaller id; 0 = newest first
  int limit = 50;
};

class VC_API AuditRepository {
 public:
  virtual ~AuditRepository() = default;
  virtual Result<void> append(const AuditEntry& entry) = 0;
  // Newest first.
  virtual Result<std::vector<AuditEntry>> list(const AuditQuery& query) = 0;
  virtual Result<std::int64_t> count() = 0;
  // Deletes up to `max_rows` of the oldest entries recorded before `before_ms`; returns how many.
  virtual Result<std::int64_t> prune(std::int64_t before_ms, int max_rows) = 0;
};

class VC_API SettingRepository {
 public:
  virtual ~SettingRepository() = default;
  virtual Result<std::optional<std::string>> get(std::string_view key) = 0;
  // Stores value unless the key exists; returns the value now stored either way.
  virtual Result<std::string> put_if_absent(std::string_view key, std::string_view value, std::int64_t at_ms) = 0;
};

class VC_API DeviceRepository {
 public:
  virtual ~DeviceRepository() = default;
  // Errors: conflict when the device_id is taken (in any organisation).
  virtual Result<void> insert(const Device& device) = 0;
  virtual Result<std::optional<Device>> find_by_device_id(std::string_view device_id) = 0;
  // status empty = any. Ordered by device_id; after = exclusive device_id cursor.
  virtual Result<std::vector<Device>> list(std::string_view organization_id, std::string_view status,
                                           std::string_view after_device_id, int limit) = 0;
  virtual Result<void> update(const Device& device) = 0;
  virtual Result<bool> remove(std::string_view id) = 0;
  virtual Result<std::optional<NowPlaying>> state(std::string_view id) = 0;
  virtual Result<void> put_state(std::string_view id, const NowPlaying& state) = 0;
  // Stores `state` unless the stored one is newer (a later updated_at_ms); returns whether it stored.
  // The schedule engine writes a boundary's state after sending its plays, and must not replace a
  // command given in between. This default reads then writes (atomic inside the caller's write
  // transaction on SQLite); the library's repositories do it in one statement.
  virtual Result<bool> put_state_unless_newer(std::string_view id, const NowPlaying& state) {
    auto current = this->state(id);
    if (!current) return current.error();
    if (*current && (*current)->updated_at_ms > state.updated_at_ms) return false;
    if (auto put = put_state(id, state); !put) return put.error();
    return true;
  }
  // Devices (their public device_id) whose placeholder is this media.
  virtual Result<std::vector<std::string>> with_placeholder(std::string_view media_id) = 0;
  // Installation-wide: how many devices are legacy players (id-only registration), and how many
  // others have no credential (their players cannot register under `required`).
  struct IdentityCounts {
    std::int64_t legacy_players = 0;
    std::int64_t without_credential = 0;
  };
  virtual Result<IdentityCounts> identity_counts() = 0;
  virtual Result<void> clear_placeholder_for(std::string_view media_id) = 0;
};

class VC_API MediaRepository {
 public:
  virtual ~MediaRepository() = default;
  virtual Result<void> insert(const Media& media) = 0;
  virtual Result<std::optional<Media>> find(std::string_view id) = 0;
  virtual Result<std::optional<Media>> find_by_hash(std::string_view organization_id, std::string_view hash) = 0;
  // kind empty = any; ordered by id.
  virtual Result<std::vector<Media>> list(std::string_view organization_id, std::string_view kind,
                                          std::string_view after_id, int limit) = 0;
  virtual Result<void> update(const Media& media) = 0;
  virtual Result<bool> remove(std::string_view id) = 0;
  // Links media to a device under `name`, replacing what that name pointed to.
  virtual Result<void> link(std::string_view device_pk, std::string_view media_id, std::string_view name,
                            std::int64_t at_ms) = 0;
  virtual Result<bool> unlink(std::string_view device_pk, std::string_view name) = 0;
  virtual Result<std::optional<DeviceFile>> find_file(std::string_view device_pk, std::string_view name) = 0;
  // Ordered by name; after = exclusive name cursor; only those matching `filter`.
  virtual Result<std::vector<DeviceFile>> files(std::string_view device_pk, std::string_view after_name, int limit,
                                                const FileFilter& filter = {}) = 0;
  virtual Result<std::int64_t> link_count(std::string_view media_id) = 0;
  // Media linked to this device and to no other device.
  virtual Result<std::vector<std::string>> only_on(std::string_view device_pk) = 0;
  // Where a media item is offered: (the device's public id, the device's name for it), by device.
  virtual Result<std::vector<std::pair<std::string, std::string>>> links(std::string_view media_id) = 0;
  // The first (by name) of the device's names for a media item; nullopt when it does not hold it.
  virtual Result<std::optional<std::string>> name_on(std::string_view device_pk, std::string_view media_id) = 0;
};

class VC_API BlobRepository {
 public:
  virtual ~BlobRepository() = default;
  // Adds one reference, creating the row at refcount 1 when new.
  virtual Result<void> add_ref(std::string_view hash, std::int64_t size, std::int64_t at_ms) = 0;
  // Drops one reference; returns true when it was the last (the row is gone; delete the bytes).
  virtual Result<bool> release(std::string_view hash) = 0;
  virtual Result<std::int64_t> refcount(std::string_view hash) = 0;
  // Serialises, until this transaction ends, everything that adds a reference to these bytes or
  // deletes them (upload, collection, sweep), whether or not a row exists yet: an advisory lock on
  // PostgreSQL, a no-op on SQLite (BEGIN IMMEDIATE already holds the write lock).
  virtual Result<void> lock(std::string_view hash) = 0;
};

struct Job;
struct JobKindCounts;

class VC_API JobRepository {
 public:
  virtual ~JobRepository() = default;
  virtual Result<void> insert(const Job& job) = 0;
  virtual Result<std::optional<Job>> find(std::string_view id) = 0;
  // Leases the next due job of `kind` (empty = any kind) to `worker` (see jobs.hpp); skips rows
  // other transactions hold.
  virtual Result<std::optional<Job>> claim_next(std::string_view worker, std::int64_t now_ms,
                                                std::int64_t lease_expired_before_ms, std::string_view kind) = 0;
  // Updates a job still leased to `worker`; returns false when it is not (anymore).
  virtual Result<bool> update_owned(const Job& job, std::string_view worker) = 0;
  // Queued (due at now_ms) and running jobs per kind; kinds with neither are left out.
  virtual Result<std::vector<JobKindCounts>> counts(std::int64_t now_ms) = 0;
};

// Groups, playlists, assignments, device schedule settings and overrides (scheduling.hpp). Devices
// are named by their internal id (Device::id, "pk") going in; DeviceGroup::device_ids and
// Assignment::device_id come out as the public device ids.
class VC_API SchedulingRepository {
 public:
  virtual ~SchedulingRepository() = default;
  // Errors: conflict when the name is taken in the organisation.
  virtual Result<void> insert_group(const DeviceGroup& group) = 0;
  virtual Result<std::optional<DeviceGroup>> find_group(std::string_view id) = 0;
  virtual Result<std::vector<DeviceGroup>> list_groups(std::string_view organization_id) = 0;
  virtual Result<void> update_group(const DeviceGroup& group) = 0;  // name, updated_at
  virtual Result<bool> remove_group(std::string_view id) = 0;
  virtual Result<void> set_members(std::string_view group_id, const std::vector<std::string>& device_pks,
                                   std::int64_t at_ms) = 0;
  // The groups a device is in.
  virtual Result<std::vector<std::string>> group_ids_of(std::string_view device_pk) = 0;

  virtual Result<void> insert_playlist(const Playlist& playlist) = 0;
  virtual Result<std::optional<Playlist>> find_playlist(std::string_view id) = 0;
  virtual Result<std::vector<Playlist>> list_playlists(std::string_view organization_id) = 0;
  virtual Result<void> update_playlist(const Playlist& playlist) = 0;  // every field, items replaced
  virtual Result<bool> remove_playlist(std::string_view id) = 0;
  virtual Result<std::vector<std::pair<std::string, std::string>>> playlists_using(std::string_view media_id) = 0;
  virtual Result<void> remove_items_of(std::string_view media_id) = 0;

  virtual Result<void> insert_assignment(const Assignment& a, std::string_view device_pk) = 0;
  virtual Result<std::optional<Assignment>> find_assignment(std::string_view id) = 0;
  // device_pk / group_id empty = no condition.
  virtual Result<std::vector<Assignment>> list_assignments(std::string_view organization_id, std::string_view device_pk,
                                                           std::string_view group_id) = 0;
  // Those of the device itself and of every group it is in.
  virtual Result<std::vector<Assignment>> assignments_for(std::string_view device_pk) = 0;
  virtual Result<void> update_assignment(const Assignment& a, std::string_view device_pk) = 0;
  virtual Result<bool> remove_assignment(std::string_view id) = 0;

  virtual Result<DeviceScheduleSettings> device_settings(std::string_view device_pk) = 0;
  virtual Result<void> put_device_settings(std::string_view device_pk, const DeviceScheduleSettings& settings,
                                           std::int64_t at_ms) = 0;

  virtual Result<void> insert_override(const Override& o) = 0;
  virtual Result<std::optional<Override>> find_override(std::string_view id) = 0;
  // Not cleared and not ended at now_ms, oldest first.
  virtual Result<std::vector<Override>> active_overrides(std::string_view organization_id, std::int64_t now_ms) = 0;
  virtual Result<void> clear_override(std::string_view id, std::int64_t at_ms) = 0;
};

struct Webhook;
struct WebhookDelivery;

// Webhooks and their delivery log (webhooks.hpp).
class VC_API WebhookRepository {
 public:
  virtual ~WebhookRepository() = default;
  virtual Result<void> insert(const Webhook& webhook) = 0;
  virtual Result<std::optional<Webhook>> find(std::string_view id) = 0;
  virtual Result<std::vector<Webhook>> list(std::string_view organization_id, std::string_view after_id, int limit) = 0;
  // Enabled webhooks of the organisation (the fan-out filters by event).
  virtual Result<std::vector<Webhook>> enabled_in(std::string_view organization_id) = 0;
  // Every field but id, organization_id, created_by and created_at.
  virtual Result<void> update(const Webhook& webhook) = 0;
  virtual Result<bool> remove(std::string_view id) = 0;
  virtual Result<void> insert_delivery(const WebhookDelivery& delivery) = 0;
  virtual Result<std::optional<WebhookDelivery>> find_delivery(std::string_view id) = 0;
  // Newest first; before = exclusive id cursor (empty = from the newest).
  virtual Result<std::vector<WebhookDelivery>> deliveries(std::string_view webhook_id, std::string_view before_id,
                                                          int limit) = 0;
  // status, attempts, response, error, next attempt, job, updated_at.
  virtual Result<void> update_delivery(const WebhookDelivery& delivery) = 0;
};

// One connection inside one transaction. Valid only during the transact()/read() callback.
class VC_API StorageSession {
 public:
  virtual ~StorageSession() = default;
  virtual OrganizationRepository& organizations() = 0;
  virtual UserRepository& users() = 0;
  virtual SessionRepository& sessions() = 0;
  virtual ApiKeyRepository& api_keys() = 0;
  virtual AuditRepository& audit() = 0;
  virtual SettingRepository& settings() = 0;
  virtual DeviceRepository& devices() = 0;
  virtual MediaRepository& media() = 0;
  virtual BlobRepository& blobs() = 0;
  virtual JobRepository& jobs() = 0;
  virtual SchedulingRepository& scheduling() = 0;
  virtual WebhookRepository& webhooks() = 0;
};

struct VC_API MigrationReport {
  int from_version = 0;
  int to_version = 0;
  std::vector<std::string> applied;  // "0001_initial", … in order
};

struct VC_API StorageStats {
  unsigned pool_size = 0, in_use = 0, waiting = 0;  // connections; threads waiting for one
  HistogramSnapshot pool_wait;                      // seconds to get a connection
  std::uint64_t queries = 0;                        // statements run
  double slow_query_threshold_seconds = 0;
  std::vector<std::pair<std::string, std::uint64_t>> slow_queries;  // by statement name ("select devices")
};

class VC_API Storage {
 public:
  virtual ~Storage() = default;

  virtual std::string_view backend_name() const noexcept = 0;  // "sqlite" or "postgresql"

  // A cheap round trip to the database. Errors: unavailable.
  virtual Result<void> ping() = 0;

  // The highest applied migration (0 for an empty database).
  virtual Result<int> schema_version() = 0;
  // Whether a write commits now: a small write in its own transaction, so a read-only or full disk,
  // an unwritable log or a database file removed or replaced under the running process shows
  // (readiness). Default: ping() (a store that cannot tell).
  virtual Result<void> check_writable() { return ping(); }

  // Applies every migration newer than schema_version(), each in its own transaction; re-running
  // is a no-op. Errors: unavailable when the database was written by a newer version (its schema
  // version is above latest_schema_version()); internal when a migration fails (nothing of it kept).
  virtual Result<MigrationReport> migrate() = 0;

  // Runs fn inside one write transaction: committed when fn returns ok, rolled back when it returns
  // an error or throws. Errors from the database map to unavailable/conflict.
  virtual Result<void> transact(const std::function<Result<void>(StorageSession&)>& fn) = 0;

  // Runs fn inside a read-only transaction (no write lock taken).
  virtual Result<void> read(const std::function<Result<void>(StorageSession&)>& fn) = 0;

  // The connection pool and statements, for metrics (empty for stores without a pool).
  virtual StorageStats stats() const { return {}; }
};


struct VC_API StorageOptions {
  DatabaseUrl url;
  unsigned pool_size = 4;
  int busy_timeout_ms = 5000;
  // SQLite files: a background thread flushes the write-ahead log to disk this often when something
  // was committed (what a power cut can take), and copies it into the database file once it holds
  // checkpoint_frames pages (~32 MiB), so commits never wait for either. 0 = no background thread:
  // SQLite checkpoints inside commits, at 16384 frames.
  std::chrono::milliseconds wal_sync_interval{1000};
  int checkpoint_frames = 8192;
  // A statement that takes longer is counted (StorageStats::slow_queries) and logged at WARN.
  std::chrono::milliseconds slow_query_threshold{250};
  bool measure_statements = true;  // false: no statement counts nor slow-query log (StorageStats)
};

// Opens (and for SQLite creates) the database. Does not migrate.
// Errors: invalid for an unusable URL, unavailable when the database cannot be reached.
VC_API Result<std::unique_ptr<Storage>> open_storage(const StorageOptions& options);

// The schema version this build writes.
VC_API int latest_schema_version() noexcept;

}  // namespace vc
