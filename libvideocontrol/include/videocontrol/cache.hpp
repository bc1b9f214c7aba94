// Cache: read-path cache with TTLs and generation-based invalidation (the seed's "Redis Caching").
//
// Keys embed a namespace generation (e.g. "devices:<org>"): a mutation bumps the generation, which
// makes every older key unreachable at once, in O(1) on any backend; stale entries then age out by
// TTL or LRU. Implementations are safe for concurrent use; counters feed the metrics (target hit
// rate > 80 %).
#pragma once

#include "videocontrol/export.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vc {

class Clock;

struct VC_API CacheKindStats {
  std::string kind;  // the key's first part: "devices", "media", "files"
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
};

struct VC_API CacheStats {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::uint64_t entries = 0;
  std::uint64_t bytes = 0;
  std::uint64_t evictions = 0;
  std::vector<CacheKindStats> kinds;  // hits and misses by kind (they add up to the totals)
};

class VC_API Cache {
 public:
  virtual ~Cache() = default;
  virtual std::optional<std::string> get(std::string_view key) = 0;
  virtual void put(std::string_view key, std::string value, std::chrono::milliseconds ttl) = 0;
  virtual std::uint64_t generation(std::string_view ns) = 0;
  virtual void bump(std::string_view ns) = 0;
  virtual CacheStats stats() const = 0;
  // False while a shared backend (Redis) is unreachable and the in-process fallback serves. Redis
  // PINGs an idle connection first, so the answer is fresh; it may block up to Redis's timeouts.
  virtual bool healthy() const = 0;
};

// In-process LRU holding at most byte_budget bytes of keys and values.
VC_API std::unique_ptr<Cache> make_memory_cache(std::shared_ptr<const Clock> clock, std::size_t byte_budget = 64u << 20);

// The seed's TTLs.
inline constexpr std::chrono::seconds kDeviceListTtl{60};
inline constexpr std::chrono::seconds kMediaListTtl{30};
inline constexpr std::chrono::seconds kPlaylistTtl{120};

}  // namespace vc
