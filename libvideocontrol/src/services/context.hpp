// What the services share, and small helpers they all use. Private to the library.
#pragma once

#include <mutex>
#include <unordered_set>
#include <chrono>
#include <condition_variable>
#include <array>
#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "auth_cache.hpp"
#include "videocontrol/actor.hpp"
#include "videocontrol/blob_store.hpp"
#include "videocontrol/cache.hpp"
#include "videocontrol/media.hpp"
#include "videocontrol/playback.hpp"
#include "videocontrol/clock.hpp"
#include "videocontrol/events.hpp"
#include "videocontrol/rate_limiter.hpp"
#include "videocontrol/services.hpp"
#include "videocontrol/storage.hpp"

namespace vc {

// Control commands carried out and how long each took (Playback::command_stats).
struct CommandHistogram {
  std::array<std::atomic<std::uint64_t>, PlaybackCommandStats::kBoundsMs.size() + 1> buckets{};
  std::atomic<std::uint64_t> us_sum{0};
};

// Password hashing is slow on purpose (Argon2id, a core for ~0.1 s). The gate bounds the hashes
// running at once (`limit`), so sign-ins cannot take every core from the other requests; one
// account (or any key) has at most one hash in flight, so a client looping sign-ins on parallel
// connections is turned away at once (429, retry in a second) instead of holding worker threads;
// a sign-in that finds every place taken waits for one at most `max_wait`, then is turned away.
class HashGate {
 public:
  explicit HashGate(unsigned limit, std::chrono::milliseconds max_wait = std::chrono::seconds(10))
      : limit_(limit == 0 ? 1 : limit), max_wait_(max_wait) {}
  bool enter(const std::string& key) {
    std::unique_lock lock(mu_);
    if (!keys_.insert(key).second) return false;
    ++waiting_;
    const bool ok = cv_.wait_for(lock, max_wait_, [&] { return running_ < limit_; });
    --waiting_;
    if (!ok) {
      keys_.erase(key);
      return false;
    }
    ++running_;
    return true;
  }
  void leave(const std::string& key) {
    {
      std::lock_guard lock(mu_);
      --running_;
      keys_.erase(key);
    }
    cv_.notify_one();
  }
  unsigned waiting() {
    std::lock_guard lock(mu_);
    return waiting_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  const unsigned limit_;
  const std::chrono::milliseconds max_wait_;
  unsigned running_ = 0, waiting_ = 0;
  std::unordered_set<std::string> keys_;
};

// Holds a place at the gate for a scope (when `ok`).
struct HashGateHold {
  HashGateHold(HashGate& gate, std::string key) : gate_(gate), key_(std::move(key)), ok(gate.enter(key_)) {}
  ~HashGateHold() {
    if (ok) gate_.leave(key_);
  }
  HashGateHold(const HashGateHold&) = delete;
  HashGateHold& operator=(const HashGateHold&) = delete;

 private:
  HashGate& gate_;
  std::string key_;

 public:
  const bool ok;
};

struct ServiceContext {
  Storage& storage;
  RateLimiter& limiter;
  BlobStore& blobs;
  Cache& cache;
  std::shared_ptr<Clock> clock;
  ServiceOptions options;
  std::string signing_key;
  DomainEvents* events = nullptr;  // set by Services::create
  std::shared_ptr<struct CommandHistogram> commands = std::make_shared<CommandHistogram>();
  std::shared_ptr<HashGate> hash_gate = std::make_shared<HashGate>(options.password_hash_concurrency);
  // Authenticated credentials (auth_cache.hpp); Services feeds it the domain events.
  std::shared_ptr<AuthCache> auth_cache =
      std::make_shared<AuthCache>(options.auth_cache_entries, options.auth_cache_ttl);

  // Publishes after a commit: the event is stamped with now and, when not set, the actor.
  void publish(DomainEvent event, const Actor& actor) const;

  std::int64_t now_ms() const { return clock->now_ms(); }
};

// The context of a Services (for the library's own modules built on it, like the content pipeline).
ServiceContext& service_context(Services& services);

// A domain event of an organisation (see events.hpp for what each field means per kind).
inline DomainEvent domain_event(EventKind kind, std::string organization_id, std::string device_id = {},
                                std::string media_id = {}, std::string name = {},
                                std::vector<std::string> device_ids = {}) {
  DomainEvent e;
  e.kind = kind;
  e.organization_id = std::move(organization_id);
  e.device_id = std::move(device_id);
  e.media_id = std::move(media_id);
  e.name = std::move(name);
  e.device_ids = std::move(device_ids);
  return e;
}

// Runs f (StorageSession& → Result<T>) in a read transaction and returns its value.
template <class T, class F>
Result<T> read_value(Storage& storage, F&& f) {
  std::optional<Result<T>> out;
  auto r = storage.read([&](StorageSession& s) -> Result<void> {
    out.emplace(f(s));
    if (!out->ok()) return out->error();
    return {};
  });
  if (!r.ok()) return std::move(r).error();
  return std::move(*out);
}

// Same, in a write transaction: committed only when f succeeds.
template <class T, class F>
Result<T> write_value(Storage& storage, F&& f) {
  std::optional<Result<T>> out;
  auto r = storage.transact([&](StorageSession& s) -> Result<void> {
    out.emplace(f(s));
    if (!out->ok()) return out->error();
    return {};
  });
  if (!r.ok()) return std::move(r).error();
  return std::move(*out);
}

// An audit row for `actor` doing `action` now.
AuditEntry audit_entry(const ServiceContext& ctx, const Actor& actor, std::string_view action,
                       std::string_view object_type, std::string_view object_id, std::string_view organization_id,
                       std::string details_json = "{}");

// A device of the actor's organisation (or any, for the superadmin), else not_found.
Result<Device> load_visible_device(StorageSession& s, const Actor& actor, std::string_view device_id);
// A device group of the actor's organisation (or any, for the superadmin), else not_found.
Result<DeviceGroup> load_visible_group(StorageSession& s, const Actor& actor, std::string_view group_id);
// Deletes the bytes of `hash` when no row references them any more, inside a write transaction that
// holds the blob's lock (BlobRepository::lock): a concurrent upload of the same bytes either added
// its reference first (the bytes stay) or waits and stores them anew. Returns true when deleted.
// A failure leaves at worst an unreferenced file, which MediaLibrary::sweep_blobs removes.
Result<bool> collect_blob(const ServiceContext& ctx, std::string_view hash);
// collect_blob for each hash, after a commit that dropped their last references; failures are logged.
void collect_blobs(const ServiceContext& ctx, const std::vector<std::string>& hashes);
// A derived file of a media item (MediaLibrary::derived, Players::derived); not_found saying why.
Result<DerivedContent> locate_derived(const ServiceContext& ctx, const Media& media, std::string_view name,
                                      DerivedPart part, int n);
// The rendition players get for a media item, when the pipeline made one.
std::optional<BlobFile> rendition_of(const ServiceContext& ctx, const Media& media);
// Cache namespaces: bumping one invalidates every cached list of that kind for the organisation.
std::string devices_namespace(std::string_view organization_id);
std::string media_namespace(std::string_view organization_id);

}  // namespace vc

#define VC_CONCAT_INNER(a, b) a##b
#define VC_CONCAT(a, b) VC_CONCAT_INNER(a, b)
// Declares `lhs` from a Result expression, returning its error from the enclosing function.
#define VC_ASSIGN(lhs, expr)                                                    \
  auto VC_CONCAT(vc_assign_, __LINE__) = (expr);                                \
  if (!VC_CONCAT(vc_assign_, __LINE__).ok())                                    \
    return std::move(VC_CONCAT(vc_assign_, __LINE__)).error();                  \
  lhs = std::move(*VC_CONCAT(vc_assign_, __LINE__))
