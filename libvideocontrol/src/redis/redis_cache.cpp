// Redis Cache backend: entries are `prefix + "cache:" + key` strings with a PX TTL, generations are
// `prefix + "gen:" + ns` counters (INCR), so a bump on any instance is seen by all.
//
// While Redis is unreachable an in-process LRU serves instead. Its generations are reported as
// kFallbackBase + n, so keys built during an outage can never name a Redis entry: a put() that
// straddles the reconnect lands under a key nobody reads, and ages out. Namespaces bumped during
// the outage are INCRed in Redis as soon as it is back (before any read), because the data they
// cover changed while Redis could not be told. The fallback is emptied whenever it is entered, so
// entries from an earlier outage never resurface.
#include <atomic>
#include <charconv>
#include <mutex>
#include <set>

#include "cache/kind_counters.hpp"
#include "redis/redis_connection.hpp"
#include "videocontrol/clock.hpp"
#include "videocontrol/redis.hpp"

namespace vc {
namespace {

constexpr std::uint64_t kFallbackBase = std::uint64_t{1} << 62;

class RedisCache final : public Cache {
 public:
  RedisCache(const RedisOptions& options, redis::Endpoint endpoint, std::shared_ptr<const Clock> clock,
             std::size_t fallback_bytes)
      : prefix_(options.key_prefix),
        clock_(std::move(clock)),
        fallback_bytes_(fallback_bytes),
        conn_(std::make_unique<redis::Connection>(std::move(endpoint), "cache", options.connect_timeout_ms,
                                                  options.command_timeout_ms)) {}

  std::optional<std::string> get(std::string_view key) override {
    flush_pending_bumps();
    auto r = conn_->command({"GET", entry_key(key)});
    if (r && (r->is_string() || r->is_nil())) {
      leave_fallback();
      count(key, r->is_string());
      if (r->is_string()) return std::move(r->str);
      return std::nullopt;
    }
    auto v = fallback()->get(key);
    count(key, v.has_value());
    return v;
  }

  void put(std::string_view key, std::string value, std::chrono::milliseconds ttl) override {
    flush_pending_bumps();
    // PX must be positive; a non-positive TTL means "already expired", i.e. drop the entry.
    auto r = ttl.count() > 0 ? conn_->command({"SET", entry_key(key), value, "PX", std::to_string(ttl.count())})
                             : conn_->command({"DEL", entry_key(key)});
    if (r && !r->is_error()) {
      leave_fallback();
      return;
    }
    fallback()->put(key, std::move(value), ttl);
  }

  std::uint64_t generation(std::string_view ns) override {
    flush_pending_bumps();
    auto r = conn_->command({"GET", generation_key(ns)});
    if (r && r->is_nil()) {
      leave_fallback();
      return 0;
    }
    if (r && r->is_string()) {
      std::uint64_t g = 0;
      auto [end, ec] = std::from_chars(r->str.data(), r->str.data() + r->str.size(), g);
      if (ec == std::errc{} && end == r->str.data() + r->str.size()) {
        leave_fallback();
        return g;
      }
    }
    return kFallbackBase + fallback()->generation(ns);
  }

  void bump(std::string_view ns) override {
    flush_pending_bumps();
    auto r = conn_->command({"INCR", generation_key(ns)});
    if (r && r->is_integer()) {
      leave_fallback();
      return;
    }
    // Invalidate what this instance can reach now, and tell Redis once it is back.
    fallback()->bump(ns);
    std::lock_guard lock(pending_mu_);
    pending_.insert(std::string(ns));
    has_pending_ = true;
  }

  CacheStats stats() const override {
    CacheStats s;
    {
      std::lock_guard lock(fallback_mu_);
      if (fallback_) s = fallback_->stats();  // what is held in-process during an outage
    }
    s.hits = hits_.load();
    s.misses = misses_.load();
    s.kinds = kinds_.snapshot();
    return s;
  }

  // /readyz polls this: after an outage it is also the moment to tell Redis about the bumps.
  bool healthy() const override {
    if (conn_->check()) flush_pending_bumps();
    return conn_->healthy();
  }

 private:
  std::string entry_key(std::string_view key) const { return prefix_ + "cache:" + std::string(key); }
  std::string generation_key(std::string_view ns) const { return prefix_ + "gen:" + std::string(ns); }

  void count(std::string_view key, bool hit) {
    (hit ? hits_ : misses_).fetch_add(1, std::memory_order_relaxed);
    kinds_.count(key, hit);
  }

  void flush_pending_bumps() const {
    if (!has_pending_.load()) return;
    std::lock_guard lock(pending_mu_);
    for (auto it = pending_.begin(); it != pending_.end();) {
      auto r = conn_->command({"INCR", generation_key(*it)});
      if (!r || !r->is_integer()) return;  // still down: keep them for the next call
      it = pending_.erase(it);
    }
    has_pending_ = false;
  }

  std::shared_ptr<Cache> fallback() {
    std::lock_guard lock(fallback_mu_);
    if (!fallback_) {
      fallback_ = make_memory_cache(clock_, fallback_bytes_);
      fallback_active_ = true;
    }
    return fallback_;
  }

  // Redis answered: whatever the fallback holds is forgotten (a thread still holding it from just
  // before keeps a private copy, which is harmless).
  void leave_fallback() {
    if (!fallback_active_.load(std::memory_order_relaxed)) return;
    std::lock_guard lock(fallback_mu_);
    fallback_.reset();
    fallback_active_ = false;
  }

  const std::string prefix_;
  const std::shared_ptr<const Clock> clock_;
  const std::size_t fallback_bytes_;
  std::unique_ptr<redis::Connection> conn_;

  mutable std::mutex fallback_mu_;
  std::shared_ptr<Cache> fallback_;  // non-null only during an outage
  std::atomic<bool> fallback_active_{false};

  mutable std::mutex pending_mu_;
  mutable std::set<std::string> pending_;  // namespaces bumped while Redis was unreachable
  mutable std::atomic<bool> has_pending_{false};

  std::atomic<std::uint64_t> hits_{0};
  std::atomic<std::uint64_t> misses_{0};
  cache_detail::KindCounters kinds_;
};

}  // namespace

Result<std::unique_ptr<Cache>> make_redis_cache(const RedisOptions& options, std::shared_ptr<const Clock> clock,
                                                std::size_t fallback_bytes) {
  auto endpoint = redis::parse_url(options.url);
  if (!endpoint) return endpoint.error();
  if (!clock) clock = system_clock();
  return std::unique_ptr<Cache>(std::make_unique<RedisCache>(options, std::move(*endpoint), std::move(clock), fallback_bytes));
}


}  // namespace vc
