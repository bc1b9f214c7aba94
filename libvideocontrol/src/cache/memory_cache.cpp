#include <list>
#include <mutex>
#include <unordered_map>

#include "videocontrol/cache.hpp"
#include "kind_counters.hpp"
#include "videocontrol/clock.hpp"

namespace vc {
namespace {

class MemoryCache final : public Cache {
 public:
  MemoryCache(std::shared_ptr<const Clock> clock, std::size_t budget) : clock_(std::move(clock)), budget_(budget) {}

  std::optional<std::string> get(std::string_view key) override {
    std::lock_guard lock(mu_);
    auto it = index_.find(std::string(key));
    if (it == index_.end()) {
      ++stats_.misses;
      kinds_.count(key, false);
      return std::nullopt;
    }
    if (it->second->expires_ms <= clock_->now_ms()) {
      erase(it->second);
      ++stats_.misses;
      kinds_.count(key, false);
      return std::nullopt;
    }
    lru_.splice(lru_.begin(), lru_, it->second);  // most recently used first
    ++stats_.hits;
    kinds_.count(key, true);
    return it->second->value;
  }

  void put(std::string_view key, std::string value, std::chrono::milliseconds ttl) override {
    const std::size_t cost = key.size() + value.size() + kOverhead;
    std::lock_guard lock(mu_);
    if (auto it = index_.find(std::string(key)); it != index_.end()) erase(it->second);
    if (cost > budget_) return;  // would evict everything for one entry
    while (bytes_ + cost > budget_ && !lru_.empty()) {
      erase(std::prev(lru_.end()));
      ++stats_.evictions;
    }
    lru_.push_front(Entry{std::string(key), std::move(value), clock_->now_ms() + ttl.count(), cost});
    index_[lru_.front().key] = lru_.begin();
    bytes_ += cost;
  }

  std::uint64_t generation(std::string_view ns) override {
    std::lock_guard lock(mu_);
    return generations_[std::string(ns)];
  }

  void bump(std::string_view ns) override {
    std::lock_guard lock(mu_);
    ++generations_[std::string(ns)];
  }

  bool healthy() const override { return true; }

  CacheStats stats() const override {
    std::lock_guard lock(mu_);
    CacheStats s = stats_;
    s.entries = index_.size();
    s.bytes = bytes_;
    s.kinds = kinds_.snapshot();
    return s;
  }

 private:
  static constexpr std::size_t kOverhead = 64;  // list node, index slot, bookkeeping
  struct Entry {
    std::string key;
    std::string value;
    std::int64_t expires_ms;
    std::size_t cost;
  };
  using Iter = std::list<Entry>::iterator;

  void erase(Iter it) {
    bytes_ -= it->cost;
    index_.erase(it->key);
    lru_.erase(it);
  }

  std::shared_ptr<const Clock> clock_;
  const std::size_t budget_;
  mutable std::mutex mu_;
  std::list<Entry> lru_;
  std::unordered_map<std::string, Iter> index_;
  std::unordered_map<std::string, std::uint64_t> generations_;  // small: one per organisation and kind
  std::size_t bytes_ = 0;
  CacheStats stats_;
  cache_detail::KindCounters kinds_;
};

}  // namespace

std::unique_ptr<Cache> make_memory_cache(std::shared_ptr<const Clock> clock, std::size_t byte_budget) {
  if (!clock) clock = system_clock();
  return std::make_unique<MemoryCache>(std::move(clock), byte_budget);
}

}  // namespace vc
