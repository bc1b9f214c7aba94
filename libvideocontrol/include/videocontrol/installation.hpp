// Installation: the one entry point for a process that runs VideoControl (the server, vcctl's local
// mode, an integrator's program). open() opens and migrates the database, runs the first-run
// bootstrap, opens the blob store, picks in-process or Redis backends for the cache, rate limiter,
// event bus and presence, and builds the services and the realtime hub on them.
//
//   auto inst = vc::Installation::open({.data_dir = "data"});
//   auto& devices = (*inst)->services().devices();
//   (*inst)->events().subscribe([](const vc::DomainEvent& e) { ... });
//
// Everything it hands out lives as long as the Installation. Thread-safe as the services are.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "videocontrol/blob_store.hpp"
#include "videocontrol/domain.hpp"
#include "videocontrol/export.hpp"
#include "videocontrol/password.hpp"
#include "videocontrol/pipeline.hpp"
#include "videocontrol/schedule_engine.hpp"
#include "videocontrol/webhooks.hpp"
#include "videocontrol/result.hpp"

namespace vc {

class Cache;
class Clock;
class DomainEvents;
class EventBus;
class Presence;
class RateLimiter;
class RealtimeHub;
class Services;
class Storage;

struct VC_API InstallationOptions {
  std::string data_dir = "./data";
  std::string database_url;   // default: sqlite://<data_dir>/videocontrol.db; or postgresql://…
  unsigned db_pool_size = 4;
  // Statements slower than this are counted in the metrics and logged at WARN.
  std::chrono::milliseconds slow_query_threshold{250};
  // false: database statements are not timed (no statement counts or slow-query log in the metrics).
  bool measure_statements = true;
  std::string content_dir;    // media bytes; default: <data_dir>/content
  // The media bytes' store; default (null): the disk store under content_dir (make_disk_blob_store).
  // An integrator's store must keep BlobStore's contract (blob_store.hpp). Derived files stay under
  // <content_dir>/derived either way.
  std::shared_ptr<BlobStore> blob_store;
  // With no blob_store: media bytes in an S3-compatible bucket (blob_store.hpp) instead of on disk;
  // its cache_dir defaults to <content_dir>/s3.
  std::optional<S3Options> s3;
  // Redis for the cache, rate limits, event bus and presence (several instances); each falls back to
  // in-process while Redis is unreachable. Empty = in-process only (one instance).
  std::string redis_url;
  std::size_t cache_bytes = 64u << 20;  // in-process cache budget
  // First run only: the superadmin's password; empty = generated and reported by first_run().
  std::string admin_password;
  std::string jwt_secret;               // empty: generated once and kept in the database
  std::int64_t rate_limit_per_minute = 600;
  std::int64_t login_attempts = 5;
  // ServiceOptions::auth_cache_ttl: how long an authenticated credential is trusted without a
  // database read when no event says otherwise; 0 = every request reads.
  std::chrono::milliseconds auth_cache_ttl = std::chrono::seconds(5);
  unsigned password_hash_concurrency = 0;  // ServiceOptions: 0 = half the cores, at least 1
  PasswordHashCost password_hash;          // ServiceOptions::password_hash, also the first run's admin
  // Audit entries older than this are deleted (a second after open, then hourly); 0 = kept forever.
  std::chrono::hours audit_retention{24 * 365};
  bool prune_audit = true;  // false: this process never prunes (vcctl's local mode)
  // At open, warn when players may register by id alone (DEVICE_CREDENTIALS off or optional,
  // legacy players) and when devices without a credential cannot register; false: say nothing.
  bool warn_device_identity = true;
  std::uint64_t max_upload_bytes = 5ull << 30;
  // Players (ServiceOptions, players.hpp). `required` by default: a device needs its credential
  // unless it is flagged as a legacy (2.x) player; start-up warns when id-only registration is allowed.
  CredentialPolicy device_credentials = CredentialPolicy::required;
  std::int64_t player_requests_per_minute = 3000;  // per client address, 0 = unlimited
  std::int64_t device_auth_failures = 30;          // per client address in 5 minutes
  std::chrono::milliseconds player_timeout{30'000};  // a player silent this long is gone
  std::chrono::milliseconds realtime_connect_timeout{10'000};   // RealtimeOptions::connect_timeout
  std::chrono::milliseconds realtime_identify_timeout{30'000};  // RealtimeOptions::identify_timeout
  std::chrono::milliseconds presence_ttl{20'000};
  std::string instance_id;                // default: random
  std::shared_ptr<Clock> clock;           // default: the system clock
  bool remove_upload_leftovers = true;    // unfinished uploads of an earlier run (one instance per content dir)
  // At open, delete stored media bytes that no row references and that are older than this (what a
  // crash or a failed cleanup left; see MediaLibrary::sweep_blobs). Negative = no sweep.
  std::chrono::seconds sweep_blobs_min_age{3600};
  // The content pipeline (pipeline.hpp): uploads become processing jobs (derived files under
  // <content_dir>/derived), and, with run_pipeline, this process runs workers for the jobs of every
  // instance. A process that only administers (vcctl's local mode) runs none.
  bool process_media = true;
  bool run_pipeline = true;
  PipelineOptions pipeline;
  // The schedule engine (schedule_engine.hpp) drives the devices whose players connect here.
  bool drive_schedules = true;
  ScheduleEngineOptions schedule;
  // Signed webhooks (webhooks.hpp): events this process publishes are always fanned out into
  // deliveries; with run_webhooks its workers also deliver those of every instance.
  bool run_webhooks = true;
  WebhookOptions webhooks;
};

// What open() did on an empty database.
struct VC_API InstallationFirstRun {
  std::string organization_slug;   // "default"
  std::string admin_username;      // "admin"
  std::string generated_password;  // empty when InstallationOptions::admin_password was used
};

struct VC_API InstallationHealth {
  bool database = false;
  std::string database_error;
  bool redis_configured = false;
  bool redis = false;  // false while the in-process fallbacks are in use
  bool content = false;  // the blob store can take new bytes (BlobStore::healthy)
};

class VC_API Installation {
 public:
  // Errors: invalid (bad options, weak admin_password), unavailable (database, Redis URL, content
  // folder). Nothing is left half-open on error.
  static Result<std::unique_ptr<Installation>> open(InstallationOptions options);
  ~Installation();
  Installation(const Installation&) = delete;
  Installation& operator=(const Installation&) = delete;

  Services& services();
  RealtimeHub& realtime();    // attach a transport (RealtimeHub::attach) to serve Socket.IO
  DomainEvents& events();     // what changed (events.hpp)
  Storage& storage();
  BlobStore& blobs();
  Cache& cache();
  RateLimiter& limiter();
  EventBus& bus();
  Presence& presence();
  ContentPipeline& pipeline();  // its workers run when options().run_pipeline
  WebhookDispatcher& webhooks();  // its workers run when options().run_webhooks
  const std::shared_ptr<Clock>& clock() const;
  const InstallationOptions& options() const;  // with defaults filled in
  // Set when this open() created the installation.
  const std::optional<InstallationFirstRun>& first_run() const;
  // The migrations this open() applied, by name.
  const std::vector<std::string>& migrations_applied() const;
  InstallationHealth health() const;

 private:
  Installation();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vc
