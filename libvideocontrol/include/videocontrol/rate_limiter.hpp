// RateLimiter: counts events per key in a token bucket (DESIGN.md principle 2).
//
// A bucket holds at most `limit` tokens and refills continuously at limit/window. check() takes
// `cost` tokens when that many are there; cost 0 only looks; a negative cost gives tokens back (up
// to the limit; always allowed): a caller that reserved a token for work that then did not count
// (a sign-in that succeeded) returns it. Implementations are safe for
// concurrent use from many threads. The in-memory backend is per process; the Redis backend
// (scale-out) shares buckets between instances.
#pragma once

#include "videocontrol/export.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>

namespace vc {

class Clock;

struct VC_API RateDecision {
  bool allowed = true;
  std::int64_t remaining = 0;       // whole tokens left after this call
  std::int64_t retry_after_ms = 0;  // when !allowed: time until `cost` tokens are back
};

class VC_API RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  // REQUIRES: limit > 0, window > 0, -limit <= cost <= limit.
  virtual RateDecision check(std::string_view key, std::int64_t limit, std::chrono::milliseconds window,
                             std::int64_t cost = 1) = 0;
  // Forgets the bucket (it starts full again).
  virtual void reset(std::string_view key) = 0;
  // False while a shared backend (Redis) is unreachable and the in-process fallback serves. Redis
  // PINGs an idle connection first, so the answer is fresh; it may block up to Redis's timeouts.
  virtual bool healthy() const = 0;
};

// In-process buckets; idle full buckets are dropped so memory stays bounded by active keys.
VC_API std::unique_ptr<RateLimiter> make_memory_rate_limiter(std::shared_ptr<const Clock> clock);

}  // namespace vc
