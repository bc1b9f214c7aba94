// Request metrics of the HTTP layer: a latency histogram per method, route template and status
// class, and the requests in flight. The route is the router's pattern ("/api/v1/devices/{id}"),
// never the path, so the label's values are as few as the routes. Thread-safe; observing takes a
// shared lock and an atomic add once the series exists.
//
// Also the connections the network layer drops to protect itself (connection_dropped): a reader too
// slow for what it is sent, an address over its connection cap, a connection accepted only to be
// closed while the process is out of descriptors.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>

#include "videocontrol/metrics.hpp"

namespace vc::server {

class HttpMetrics {
 public:
  void request_started() { in_flight_.fetch_add(1, std::memory_order_relaxed); }
  // The answer went out (or the request ended without one: status 0 counts as in flight only).
  void request_finished(std::string_view method, std::string_view route, int status, double seconds);
  void write(MetricsWriter& out) const;

  enum class Drop { slow_consumer, address_limit, no_descriptors, count_ };
  void connection_dropped(Drop reason) { dropped_[static_cast<std::size_t>(reason)].fetch_add(1, std::memory_order_relaxed); }
  std::uint64_t dropped(Drop reason) const { return dropped_[static_cast<std::size_t>(reason)].load(std::memory_order_relaxed); }

 private:
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(Drop::count_)> dropped_{};
  std::atomic<std::int64_t> in_flight_{0};
  mutable std::shared_mutex mu_;
  std::map<std::string, std::unique_ptr<Histogram>, std::less<>> series_;  // "method\troute\tclass"
};

}  // namespace vc::server
