// In-process token buckets (the embedded RateLimiter backend).
//
// Tokens are kept as exact integers in "units": one token is `window_ms` units, so a bucket refills
// by exactly `limit` units per millisecond. No rounding ever creeps in, so "limit per window" holds
// to the millisecond however the calls are spaced.
#include "videocontrol/rate_limiter.hpp"

#include <algorithm>
#include <array>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

#include "videocontrol/clock.hpp"

namespace vc {
namespace {

// limit * window can exceed 64 bits for extreme arguments (e.g. 1e12 tokens per 1e9 ms); every
// intermediate below stays under 2^127.
__extension__ typedef __int128 Units;

// Sharding keeps threads that hit different keys from queueing on one mutex.
constexpr std::size_t shard_count = 16;
// A shard is swept when it has grown past this many buckets (and past twice its size after the
// previous sweep), which keeps sweeping amortised O(1) per new key.
constexpr std::size_t min_sweep_size = 1024;

struct Bucket {
  Units units = 0;            // tokens * window_ms
  std::int64_t updated_ms = 0;  // clock time `units` refers to
  std::int64_t limit = 0;     // parameters the units were counted in
  std::int64_t window_ms = 0;
};

// Brings a bucket's units up to `now_ms` (without storing anything).
Units refilled(const Bucket& b, std::int64_t now_ms) {
  const Units cap = Units{b.limit} * b.window_ms;
  // A clock that stepped back refills nothing: granting tokens for time that never passed is the
  // unsafe direction.
  if (now_ms <= b.updated_ms) return b.units;
  // After a whole window the bucket is full anyway; the cap also bounds the product below.
  const Units elapsed = std::min<Units>(Units{now_ms} - b.updated_ms, b.window_ms);
  return std::min(cap, b.units + elapsed * b.limit);
}

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

struct Shard {
  std::mutex mu;
  std::unordered_map<std::string, Bucket, StringHash, std::equal_to<>> buckets;
  std::size_t sweep_at = min_sweep_size;
};

class MemoryRateLimiter final : public RateLimiter {
 public:
  explicit MemoryRateLimiter(std::shared_ptr<const Clock> clock) : clock_(std::move(clock)) {}

  RateDecision check(std::string_view key, std::int64_t limit, std::chrono::milliseconds window,
                     std::int64_t cost) override {
    const std::int64_t window_ms = window.count();
    // Broken preconditions fail closed: a misconfigured limit must not turn into "unlimited".
    if (limit <= 0 || window_ms <= 0 || cost > limit || cost < -limit)
      return RateDecision{false, 0, std::max<std::int64_t>(window_ms, 1)};

    const std::int64_t now = clock_->now_ms();
    Shard& shard = shard_for(key);
    std::lock_guard lock(shard.mu);
    auto it = shard.buckets.find(key);
    if (it == shard.buckets.end()) {
      // A peek at an unknown key sees a full bucket; it must not create one (memory is for keys
      // that actually spend tokens).
      if (cost <= 0) return RateDecision{true, limit, 0};  // nothing taken, nothing to give back
      maybe_sweep(shard, now);
      const Units cap = Units{limit} * window_ms;
      it = shard.buckets.emplace(std::string(key), Bucket{cap, now, limit, window_ms}).first;
    }
    Bucket& b = it->second;
    Units units = refilled(b, now);
    if (b.limit != limit || b.window_ms != window_ms) {
      // Same key, new parameters (e.g. a configuration reload): keep the token count, not the
      // units. Split into whole and fractional tokens so the products stay within 127 bits.
      units = units / b.window_ms * window_ms + units % b.window_ms * window_ms / b.window_ms;
      units = std::min(units, Units{limit} * window_ms);
    }
    if (cost == 0) return RateDecision{true, static_cast<std::int64_t>(units / window_ms), 0};

    b.units = units;
    b.updated_ms = std::max(b.updated_ms, now);
    b.limit = limit;
    b.window_ms = window_ms;
    const Units need = Units{cost} * window_ms;
    if (units >= need) {
      b.units = std::min(units - need, Units{limit} * window_ms);  // a give-back (need < 0) stops at full
      return RateDecision{true, static_cast<std::int64_t>(b.units / window_ms), 0};
    }
    // Units come back at `limit` per ms; round up so retrying at exactly retry_after succeeds.
    const Units wait = (need - units + limit - 1) / limit;
    return RateDecision{false, static_cast<std::int64_t>(units / window_ms), static_cast<std::int64_t>(wait)};
  }

  bool healthy() const override { return true; }

  void reset(std::string_view key) override {
    Shard& shard = shard_for(key);
    std::lock_guard lock(shard.mu);
    if (auto it = shard.buckets.find(key); it != shard.buckets.end()) shard.buckets.erase(it);
  }

 private:
  Shard& shard_for(std::string_view key) { return shards_[StringHash{}(key) % shard_count]; }

  // A full bucket carries no information (a new one starts full), so dropping it is invisible.
  static void maybe_sweep(Shard& shard, std::int64_t now) {
    if (shard.buckets.size() < shard.sweep_at) return;
    std::erase_if(shard.buckets, [now](const auto& kv) {
      const Bucket& b = kv.second;
      return refilled(b, now) >= Units{b.limit} * b.window_ms;
    });
    shard.sweep_at = std::max(min_sweep_size, 2 * shard.buckets.size());
  }

  std::shared_ptr<const Clock> clock_;
  std::array<Shard, shard_count> shards_;
};

}  // namespace

std::unique_ptr<RateLimiter> make_memory_rate_limiter(std::shared_ptr<const Clock> clock) {
  // Production code passes the configured clock; a missing one means "real time", not a crash.
  if (!clock) clock = system_clock();
  return std::make_unique<MemoryRateLimiter>(std::move(clock));
}

}  // namespace vc
