// Redis backends (hiredis) for the scale-out architecture: Cache, RateLimiter, EventBus and
// Presence shared by every instance. Each degrades to its in-process twin while Redis is
// unreachable — at start or later — logs the change once, reports healthy() == false, and
// reconnects by itself (at most every 1 s, backing off to 5 s) when Redis returns. No data is
// lost: Redis holds nothing durable.
//
// What degrading means per backend:
// - Cache: entries go to a private in-process LRU (forgotten when Redis is back); namespaces bumped
//   meanwhile are bumped in Redis on reconnect, so entries the outage made stale are not served
//   after it.
//   stats(): hits/misses count every get() of this object; entries/bytes/evictions describe the
//   in-process fallback only (Redis's own memory is Redis's business).
// - RateLimiter: buckets are per instance until Redis returns (then Redis's buckets count again).
// - EventBus: messages reach this instance's subscribers only; publish() returns false.
// - Presence: this instance's own devices only; its entries are written back on reconnect.
//
// Every object holds its own connection (the bus two: publish and subscribe), which serialises that
// object's calls; a call waits for Redis at most about connect_timeout_ms + 2 * command_timeout_ms
// (plus calls queued ahead of it), never longer while Redis is away.
#pragma once

#include "videocontrol/export.hpp"

#include <memory>
#include <string>

#include "videocontrol/cache.hpp"
#include "videocontrol/event_bus.hpp"
#include "videocontrol/presence.hpp"
#include "videocontrol/rate_limiter.hpp"
#include "videocontrol/result.hpp"

namespace vc {

class Clock;

struct VC_API RedisOptions {
  std::string url;                 // redis://[[user]:password@]host[:port][/db] (no TLS)
  std::string key_prefix = "vc:";  // every key and channel starts with this
  int connect_timeout_ms = 500;
  int command_timeout_ms = 500;
};

// Errors: invalid for a malformed URL. An unreachable server is not an error (fallback). Each
// factory tries to connect once before returning, so healthy() is meaningful at once.
VC_API Result<std::unique_ptr<Cache>> make_redis_cache(const RedisOptions& options, std::shared_ptr<const Clock> clock,
                                                std::size_t fallback_bytes = 64u << 20);
VC_API Result<std::unique_ptr<RateLimiter>> make_redis_rate_limiter(const RedisOptions& options,
                                                             std::shared_ptr<const Clock> clock);
VC_API Result<std::unique_ptr<EventBus>> make_redis_event_bus(const RedisOptions& options);
VC_API Result<std::unique_ptr<Presence>> make_redis_presence(const RedisOptions& options);

}  // namespace vc
