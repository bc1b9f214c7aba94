// A fixed set of SOCI sessions, lent out one at a time. Blocking: acquire() waits for a free one,
// so the pool bounds how many transactions run at once. Thread-safe.
//
// It also measures (for /metrics): connections in use and waiting, the wait for a connection, and
// every statement's time through a SOCI logger on each session. A statement slower than the
// threshold is counted under its name ("select devices", "commit") and logged at WARN with its SQL
// text (placeholders only: values are never logged).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <soci/soci.h>

#include "videocontrol/metrics.hpp"

namespace vc::storage {

// "select devices", "insert into media" → "insert media", "begin", "pragma": what a statement does
// and to which table, for a label of bounded cardinality.
std::string statement_name(std::string_view sql);

class QueryTimer;
struct QueryTimerState;

class ConnectionPool {
 public:
  // measure_statements off: no logger on the sessions (no statement counts, no slow-query log).
  ConnectionPool(std::vector<std::unique_ptr<soci::session>> sessions,
                 std::chrono::milliseconds slow_query_threshold = std::chrono::milliseconds(250),
                 bool measure_statements = true);
  ~ConnectionPool();

  class Lease {
   public:
    Lease(ConnectionPool& pool, std::unique_ptr<soci::session> s) : pool_(&pool), s_(std::move(s)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() { if (s_) pool_->release(std::move(s_)); }
    soci::session& operator*() { return *s_; }
    soci::session* operator->() { return s_.get(); }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<soci::session> s_;
  };

  Lease acquire();

  struct Stats {
    unsigned size = 0, in_use = 0, waiting = 0;
    HistogramSnapshot wait;
    std::uint64_t queries = 0;
    double slow_threshold_seconds = 0;
    std::vector<std::pair<std::string, std::uint64_t>> slow;  // by statement name
  };
  Stats stats() const;

 private:
  friend class QueryTimer;
  void release(std::unique_ptr<soci::session> s);
  void record_slow(const std::string& sql, std::chrono::steady_clock::duration took);

  const unsigned size_;
  const std::chrono::steady_clock::duration slow_threshold_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<soci::session>> free_;
  std::map<soci::session*, std::shared_ptr<QueryTimerState>> timers_;  // fixed after construction
  unsigned waiting_ = 0;
  Histogram wait_{latency_buckets()};
  std::atomic<std::uint64_t> queries_{0};
  mutable std::mutex slow_mu_;
  std::map<std::string, std::uint64_t> slow_;
};

}  // namespace vc::storage
