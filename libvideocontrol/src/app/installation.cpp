#include "videocontrol/installation.hpp"

#include <filesystem>
#include <fstream>
#include <thread>
#include <mutex>
#include <condition_variable>

#include <fmt/format.h>

#include "services/context.hpp"  // VC_ASSIGN

#include "videocontrol/audit.hpp"
#include "videocontrol/blob_store.hpp"
#include "videocontrol/bootstrap.hpp"
#include "videocontrol/cache.hpp"
#include "videocontrol/clock.hpp"
#include "videocontrol/event_bus.hpp"
#include "videocontrol/events.hpp"
#include "videocontrol/id.hpp"
#include "videocontrol/log.hpp"
#include "videocontrol/media.hpp"
#include "videocontrol/pipeline.hpp"
#include "videocontrol/webhooks.hpp"
#include "videocontrol/presence.hpp"
#include "videocontrol/rate_limiter.hpp"
#include "videocontrol/realtime_hub.hpp"
#include "videocontrol/redis.hpp"
#include "videocontrol/services.hpp"
#include "videocontrol/storage.hpp"

namespace vc {

namespace {

// Audit retention: a thread that prunes the audit log a second after the start and then hourly.
// Every instance runs one; pruning is idempotent.
class AuditPruner {
 public:
  AuditPruner(Services& services, std::chrono::milliseconds keep) : services_(services), keep_(keep) {
    thread_ = std::thread([this] { run(); });
  }
  ~AuditPruner() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  void run() {
    std::unique_lock lock(mu_);
    auto wait = std::chrono::milliseconds(1000);
    while (!cv_.wait_for(lock, wait, [&] { return stop_; })) {
      lock.unlock();
      auto n = services_.audit().prune(Actor::system(), keep_);
      if (!n) log_warn("audit retention: pruning failed", {{"error", n.error().message}});
      else if (*n > 0) log_info("audit retention: old entries deleted", {{"entries", *n}});
      lock.lock();
      wait = std::chrono::hours(1);
    }
  }

  Services& services_;
  const std::chrono::milliseconds keep_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};


// Start-up's word on device identity (issue 16): who may register by id alone, and which devices
// cannot register at all under `required`.
void warn_about_device_identity(Storage& storage, CredentialPolicy policy) {
  if (policy == CredentialPolicy::off) {
    log_warn("DEVICE_CREDENTIALS=off: every player registers by its device id alone, and anyone who knows an id "
             "can read that device's files and receive its commands; use required and flag 2.x players as legacy players");
    return;
  }
  DeviceRepository::IdentityCounts counts;
  auto r = storage.read([&](StorageSession& s) -> Result<void> {
    VC_ASSIGN(counts, s.devices().identity_counts());
    return {};
  });
  if (!r) return;  // a database in trouble says so elsewhere
  if (policy == CredentialPolicy::optional) {
    log_warn("DEVICE_CREDENTIALS=optional: devices without a credential register by their id alone",
             {{"devices_without_credential", counts.without_credential + counts.legacy_players}});
    return;
  }
  if (counts.legacy_players > 0)
    log_warn("some devices are legacy players and register by their device id alone (no credential)",
             {{"legacy_players", counts.legacy_players}});
  if (counts.without_credential > 0)
    log_warn("some devices have no credential and are not legacy players: their players cannot register until "
             "they get a credential or are flagged as legacy players",
             {{"devices", counts.without_credential}});
}

}  // namespace

// Members in dependency order: each is destroyed before what it uses.
struct Installation::Impl {
  InstallationOptions options;
  std::optional<InstallationFirstRun> first_run;
  std::vector<std::string> migrations;
  std::unique_ptr<Storage> storage;
  std::shared_ptr<BlobStore> blobs;  // options.blob_store, or the disk store
  std::unique_ptr<Cache> cache;
  std::unique_ptr<RateLimiter> limiter;
  std::unique_ptr<EventBus> bus;
  std::unique_ptr<Presence> presence;
  std::unique_ptr<Services> services;
  std::unique_ptr<ContentPipeline> pipeline;  // stopped (its tools killed) before the services go
  std::unique_ptr<WebhookDispatcher> webhooks;  // after the hub: fans out the hub's last events
  std::unique_ptr<RealtimeHub> hub;
  std::unique_ptr<AuditPruner> audit_pruner;  // uses the services: goes first
};

Installation::Installation() : impl_(std::make_unique<Impl>()) {}
Installation::~Installation() {
  if (impl_ && impl_->hub) impl_->hub->detach();
  if (impl_ && impl_->pipeline) impl_->pipeline->stop();
}

Result<std::unique_ptr<Installation>> Installation::open(InstallationOptions o) {
  if (o.data_dir.empty()) o.data_dir = ".";
  if (o.database_url.empty()) o.database_url = "sqlite://" + (std::filesystem::path(o.data_dir) / "videocontrol.db").string();
  if (o.content_dir.empty()) o.content_dir = (std::filesystem::path(o.data_dir) / "content").string();
  if (!o.clock) o.clock = system_clock();
  if (o.instance_id.empty()) o.instance_id = random_secret(12);
  if (o.db_pool_size == 0) return make_error(ErrorCode::invalid, "db_pool_size must be at least 1");

  VC_ASSIGN(auto url, parse_database_url(o.database_url));
  if (url.kind == DatabaseUrl::Kind::sqlite && url.sqlite_path != ":memory:") {
    std::error_code ec;
    const auto parent = std::filesystem::path(url.sqlite_path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    if (ec) return make_error(ErrorCode::unavailable, "cannot create " + parent.string() + ": " + ec.message());
  }

  std::unique_ptr<Installation> inst(new Installation());
  Impl& in = *inst->impl_;
  VC_ASSIGN(in.storage, open_storage({.url = url, .pool_size = o.db_pool_size, .slow_query_threshold = o.slow_query_threshold,
                                       .measure_statements = o.measure_statements}));
  VC_ASSIGN(auto migrated, in.storage->migrate());
  in.migrations = migrated.applied;
  // A SQLite database has a marker beside it once it holds an installation. A marker beside a
  // database without users means the file was removed or replaced (by hand, or by a disk problem):
  // setting up a new, empty installation over it would hide that, so opening stops and says so.
  std::filesystem::path marker;
  if (url.kind == DatabaseUrl::Kind::sqlite && url.sqlite_path != ":memory:") {
    marker = std::filesystem::path(url.sqlite_path);
    marker += ".installed";
  }
  if (!marker.empty() && std::filesystem::exists(marker)) {
    std::int64_t users = 0;
    VC_TRY(in.storage->read([&](StorageSession& s) -> Result<void> {
      VC_ASSIGN(users, s.users().count());
      return {};
    }));
    if (users == 0)
      return make_error(ErrorCode::unavailable,
                        fmt::format("{} held an installation (see {}) but now has no users: the database file was "
                                    "removed or replaced. Restore it (vcctl restore), or delete {} to set up a new, "
                                    "empty installation here",
                                    url.sqlite_path, marker.string(), marker.string()));
  }
  VC_ASSIGN(auto first, bootstrap_first_run(*in.storage, *o.clock, o.admin_password, o.password_hash));
  if (first) in.first_run = InstallationFirstRun{"default", first->admin_username, first->generated_password};
  if (o.warn_device_identity) warn_about_device_identity(*in.storage, o.device_credentials);
  if (!marker.empty() && !std::filesystem::exists(marker)) {
    std::ofstream out(marker);
    out << "This file marks " << url.sqlite_path << " as holding a VideoControl installation; see docs/operations.md.\n";
    if (!out) log_warn("cannot write the installation marker", {{"path", marker.string()}});
  }

  if (o.blob_store) {
    in.blobs = o.blob_store;
  } else if (o.s3) {
    S3Options s3 = *o.s3;
    if (s3.cache_dir.empty()) s3.cache_dir = (std::filesystem::path(o.content_dir) / "s3").string();
    VC_ASSIGN(in.blobs, make_s3_blob_store(s3));
  } else {
    VC_ASSIGN(in.blobs, make_disk_blob_store(o.content_dir));
  }
  if (o.remove_upload_leftovers)
    if (auto left = in.blobs->remove_leftovers(); left && *left > 0)
      log_warn("removed unfinished uploads left by an earlier run", {{"files", *left}});

  if (!o.redis_url.empty()) {
    // Each degrades to in-process while Redis is unreachable and recovers by itself.
    const RedisOptions redis{.url = o.redis_url};
    VC_ASSIGN(in.cache, make_redis_cache(redis, o.clock, o.cache_bytes));
    VC_ASSIGN(in.limiter, make_redis_rate_limiter(redis, o.clock));
    VC_ASSIGN(in.bus, make_redis_event_bus(redis));
    VC_ASSIGN(in.presence, make_redis_presence(redis));
  } else {
    in.cache = make_memory_cache(o.clock, o.cache_bytes);
    in.limiter = make_memory_rate_limiter(o.clock);
    in.bus = make_local_event_bus();
    in.presence = make_local_presence();
  }
  in.bus = make_counting_event_bus(std::move(in.bus));

  ServiceOptions so;
  so.clock = o.clock;
  so.jwt_secret = o.jwt_secret;
  so.api_requests_per_minute = o.rate_limit_per_minute;
  so.auth_cache_ttl = o.auth_cache_ttl;
  so.login_attempts = o.login_attempts;
  so.password_hash_concurrency = o.password_hash_concurrency;
  so.password_hash = o.password_hash;
  so.max_upload_bytes = o.max_upload_bytes;
  so.device_credentials = o.device_credentials;
  so.player_requests_per_minute = o.player_requests_per_minute;
  so.device_auth_failures = o.device_auth_failures;
  so.derived_dir = (std::filesystem::path(o.content_dir) / "derived").string();
  so.process_media = o.process_media;
  so.webhooks = o.webhooks;
  if (!o.run_webhooks) so.webhooks.workers = 0;
  VC_ASSIGN(in.services, Services::create({.storage = in.storage.get(),
                                           .limiter = in.limiter.get(),
                                           .blobs = in.blobs.get(),
                                           .cache = in.cache.get(),
                                           .bus = in.bus.get()},
                                          so));
  // Media bytes that no row references: left by a crash between a blob's rename and its row's
  // commit, or by a cleanup that failed. Only blobs older than the margin, so that another instance's
  // upload that is committing right now is not even considered (and its lock protects it anyway).
  if (o.sweep_blobs_min_age.count() >= 0) {
    auto swept = in.services->media().sweep_blobs(Actor::system(), o.sweep_blobs_min_age);
    if (!swept) log_warn("blob sweep failed", {{"error", swept.error().message}});
  }
  in.pipeline = std::make_unique<ContentPipeline>(*in.services, *in.storage, so.derived_dir, o.pipeline, o.instance_id);
  if (o.process_media && o.run_pipeline) in.pipeline->start();
  // Always fans out this process's events (vcctl's local mode too); delivers when run_webhooks.
  in.webhooks = std::make_unique<WebhookDispatcher>(*in.services, *in.storage, so.webhooks, o.instance_id);
  in.webhooks->start();
  if (o.audit_retention.count() > 0 && o.prune_audit)
    in.audit_pruner = std::make_unique<AuditPruner>(*in.services, o.audit_retention);
  RealtimeOptions ro;
  ro.player_timeout = o.player_timeout;
  ro.connect_timeout = o.realtime_connect_timeout;
  ro.identify_timeout = o.realtime_identify_timeout;
  ro.presence = in.presence.get();
  ro.instance_id = o.instance_id;
  ro.presence_ttl = o.presence_ttl;
  ro.drive_schedules = o.drive_schedules;
  ro.schedule = o.schedule;
  in.hub = std::make_unique<RealtimeHub>(*in.services, ro);
  in.options = std::move(o);
  return inst;
}

Services& Installation::services() { return *impl_->services; }
RealtimeHub& Installation::realtime() { return *impl_->hub; }
DomainEvents& Installation::events() { return impl_->services->events(); }
Storage& Installation::storage() { return *impl_->storage; }
BlobStore& Installation::blobs() { return *impl_->blobs; }
Cache& Installation::cache() { return *impl_->cache; }
RateLimiter& Installation::limiter() { return *impl_->limiter; }
EventBus& Installation::bus() { return *impl_->bus; }
Presence& Installation::presence() { return *impl_->presence; }
ContentPipeline& Installation::pipeline() { return *impl_->pipeline; }
WebhookDispatcher& Installation::webhooks() { return *impl_->webhooks; }
const std::shared_ptr<Clock>& Installation::clock() const { return impl_->options.clock; }
const InstallationOptions& Installation::options() const { return impl_->options; }
const std::optional<InstallationFirstRun>& Installation::first_run() const { return impl_->first_run; }
const std::vector<std::string>& Installation::migrations_applied() const { return impl_->migrations; }

InstallationHealth Installation::health() const {
  InstallationHealth h;
  if (auto db = impl_->storage->ping(); db) {
    h.database = true;
  } else {
    h.database_error = db.error().message;
  }
  h.redis_configured = !impl_->options.redis_url.empty();
  h.redis = h.redis_configured && impl_->cache->healthy() && impl_->bus->healthy() && impl_->presence->healthy();
  h.content = impl_->blobs->healthy();
  return h;
}

}  // namespace vc
