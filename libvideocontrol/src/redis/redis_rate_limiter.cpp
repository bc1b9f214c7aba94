// Redis RateLimiter backend: the in-memory token bucket (memory_rate_limiter.cpp), moved into one
// Lua script so read-refill-take is atomic across every instance sharing the bucket.
//
// Buckets are hashes `prefix + "rl:" + key` holding units (tokens * window_ms, as in memory),
// the clock time they refer to, and the limit/window they were counted in. "Now" comes from the
// injected Clock as an argument, never from Redis's TIME, so behaviour matches the in-memory
// limiter exactly (and tests with a ManualClock work). A bucket idle for a window is full, which
// is what a missing key means, so the hash expires after two windows.
//
// While Redis is unreachable each instance counts in its own in-memory buckets (per-process limits
// are the documented degradation); they are not merged back. A reset() made meanwhile is applied
// to Redis once it answers again.
#include <atomic>
#include <mutex>
#include <set>

#include "redis/redis_connection.hpp"
#include "videocontrol/clock.hpp"
#include "videocontrol/redis.hpp"

namespace vc {
namespace {

// Numbers are Lua doubles: exact up to 2^53 units (e.g. 1e6 tokens per 1e9 ms). Values go back
// through string.format('%.0f') because tostring() would switch to exponent notation.
constexpr const char* kScript = R"lua(
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
local cap = limit * window
local b = redis.call('HMGET', KEYS[1], 'u', 't', 'l', 'w')
local units, updated
if b[1] and b[2] and b[3] and b[4] then
  units = tonumber(b[1]); updated = tonumber(b[2])
  local bl = tonumber(b[3]); local bw = tonumber(b[4])
  if now > updated then
    units = math.min(bl * bw, units + math.min(now - updated, bw) * bl)
  end
  if bl ~= limit or bw ~= window then
    units = math.floor(units / bw) * window + math.floor((units % bw) * window / bw)
    units = math.min(units, cap)
  end
else
  if cost <= 0 then return {1, limit, 0} end
  units = cap; updated = now
end
if cost == 0 then return {1, math.floor(units / window), 0} end
if now > updated then updated = now end
local need = cost * window
local allowed, wait = 0, 0
if units >= need then
  units = math.min(cap, units - need)
  allowed = 1
else
  wait = math.ceil((need - units) / limit)
end
redis.call('HSET', KEYS[1], 'u', string.format('%.0f', units), 't', string.format('%.0f', updated),
           'l', string.format('%.0f', limit), 'w', string.format('%.0f', window))
redis.call('PEXPIRE', KEYS[1], string.format('%.0f', window * 2))
return {allowed, math.floor(units / window), wait}
)lua";

class RedisRateLimiter final : public RateLimiter {
 public:
  RedisRateLimiter(const RedisOptions& options, redis::Endpoint endpoint, std::shared_ptr<const Clock> clock)
      : prefix_(options.key_prefix),
        clock_(std::move(clock)),
        fallback_(make_memory_rate_limiter(clock_)),
        conn_(std::make_unique<redis::Connection>(std::move(endpoint), "rate_limiter", options.connect_timeout_ms,
                                                  options.command_timeout_ms)) {}

  RateDecision check(std::string_view key, std::int64_t limit, std::chrono::milliseconds window,
                     std::int64_t cost) override {
    const std::int64_t window_ms = window.count();
    // Same fail-closed answer as the in-memory limiter for broken preconditions.
    if (limit <= 0 || window_ms <= 0 || cost > limit || cost < -limit)
      return RateDecision{false, 0, std::max<std::int64_t>(window_ms, 1)};

    flush_pending_resets();
    const std::string bucket = bucket_key(key);
    const std::string now = std::to_string(clock_->now_ms());
    const redis::Command args{std::to_string(limit), std::to_string(window_ms), std::to_string(cost), now};
    if (auto d = run_script(bucket, args)) return *d;
    return fallback_->check(key, limit, window, cost);
  }

  void reset(std::string_view key) override {
    fallback_->reset(key);
    auto r = conn_->command({"DEL", bucket_key(key)});
    if (r && r->is_integer()) return;
    // Redis keeps the old bucket: forget it there as soon as Redis answers again.
    std::lock_guard lock(pending_mu_);
    pending_resets_.insert(std::string(key));
    has_pending_ = true;
  }

  // /readyz polls this: after an outage it is also the moment to apply the resets made meanwhile.
  bool healthy() const override {
    if (conn_->check()) flush_pending_resets();
    return conn_->healthy();
  }

 private:
  std::string bucket_key(std::string_view key) const { return prefix_ + "rl:" + std::string(key); }

  void flush_pending_resets() const {
    if (!has_pending_.load()) return;
    std::lock_guard lock(pending_mu_);
    for (auto it = pending_resets_.begin(); it != pending_resets_.end();) {
      auto r = conn_->command({"DEL", bucket_key(*it)});
      if (!r || !r->is_integer()) return;
      it = pending_resets_.erase(it);
    }
    has_pending_ = false;
  }

  std::optional<RateDecision> run_script(const std::string& bucket, const redis::Command& args) {
    std::string sha = script_sha();
    std::optional<redis::Reply> r;
    if (!sha.empty()) r = conn_->command(with_args({"EVALSHA", sha, "1", bucket}, args));
    // NOSCRIPT after a Redis restart (scripts are not persisted), or no SHA yet: EVAL loads it too.
    if (sha.empty() || (r && r->is_error() && r->str.starts_with("NOSCRIPT")))
      r = conn_->command(with_args({"EVAL", kScript, "1", bucket}, args));
    if (!r || !r->is_array() || r->elements.size() != 3) return std::nullopt;
    for (const auto& e : r->elements)
      if (!e.is_integer()) return std::nullopt;
    return RateDecision{r->elements[0].integer == 1, r->elements[1].integer, r->elements[2].integer};
  }

  std::string script_sha() {
    std::lock_guard lock(sha_mu_);
    if (sha_.empty()) {
      auto r = conn_->command({"SCRIPT", "LOAD", kScript});
      if (r && r->is_string()) sha_ = r->str;
    }
    return sha_;
  }

  static redis::Command with_args(redis::Command head, const redis::Command& args) {
    head.insert(head.end(), args.begin(), args.end());
    return head;
  }

  const std::string prefix_;
  const std::shared_ptr<const Clock> clock_;
  std::unique_ptr<RateLimiter> fallback_;
  std::unique_ptr<redis::Connection> conn_;
  std::mutex sha_mu_;
  std::string sha_;
  mutable std::mutex pending_mu_;
  mutable std::set<std::string> pending_resets_;  // reset() while Redis was unreachable
  mutable std::atomic<bool> has_pending_{false};
};

}  // namespace

Result<std::unique_ptr<RateLimiter>> make_redis_rate_limiter(const RedisOptions& options,
                                                             std::shared_ptr<const Clock> clock) {
  auto endpoint = redis::parse_url(options.url);
  if (!endpoint) return endpoint.error();
  if (!clock) clock = system_clock();
  return std::unique_ptr<RateLimiter>(std::make_unique<RedisRateLimiter>(options, std::move(*endpoint), std::move(clock)));
}


}  // namespace vc
