// Hits and misses per kind of cached value: the key's text before its first ':' ("devices",
// "media", "files"). Kinds are few and fixed by the code, so a short list under a mutex will do.
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "videocontrol/cache.hpp"

namespace vc::cache_detail {

class KindCounters {
 public:
  void count(std::string_view key, bool hit) {
    const auto kind = key.substr(0, key.find(':'));
    std::lock_guard lock(mu_);
    for (auto& k : kinds_)
      if (k.kind == kind) return void(++(hit ? k.hits : k.misses));
    if (kinds_.size() >= kMaxKinds) return;  // keys without a kind prefix must not grow the list
    kinds_.push_back(CacheKindStats{std::string(kind), hit ? 1u : 0u, hit ? 0u : 1u});
  }

  std::vector<CacheKindStats> snapshot() const {
    std::lock_guard lock(mu_);
    return kinds_;
  }

 private:
  static constexpr std::size_t kMaxKinds = 32;
  mutable std::mutex mu_;
  std::vector<CacheKindStats> kinds_;
};

}  // namespace vc::cache_detail
