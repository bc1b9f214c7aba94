// Metrics in the Prometheus text exposition format (version 0.0.4): a lock-free histogram for
// latencies, a writer that renders families with labels, and the installation's own families
// (database pool and queries, cache, jobs, realtime, event bus, process, build) so an integrator
// serves the same numbers as videocontrol-server's GET /metrics. docs/operations.md lists them.
#pragma once

#include "videocontrol/export.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vc {

class Installation;

struct VC_API HistogramSnapshot {
  std::vector<double> bounds;         // upper bounds of the buckets, ascending (+Inf implied)
  std::vector<std::uint64_t> counts;  // per bucket, not cumulative; one more than bounds (+Inf)
  std::uint64_t count = 0;
  double sum = 0;
};

// Observations in seconds (or any unit), counted in fixed buckets. observe() is wait-free; safe
// from any thread. A snapshot taken during observations may be off by the ones in flight.
class VC_API Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;
  void observe(double value) noexcept;
  HistogramSnapshot snapshot() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_micros_{0};  // sum × 10⁶, so adding stays an integer fetch_add
};

// 1 ms … 10 s: request and query latencies.
VC_API const std::vector<double>& latency_buckets();

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

// Renders families. Call family() once per name, then its samples; label values are escaped.
class VC_API MetricsWriter {
 public:
  // type: "counter", "gauge" or "histogram".
  void family(std::string_view name, std::string_view type, std::string_view help);
  void sample(std::string_view name, const MetricLabels& labels, double value);
  void sample(std::string_view name, double value) { sample(name, {}, value); }
  // One family() plus the _bucket/_sum/_count lines for each labelled snapshot.
  void histogram(std::string_view name, const MetricLabels& labels, const HistogramSnapshot& h);
  const std::string& text() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

// The process as the kernel sees it (Linux /proc; zeros elsewhere).
struct VC_API ProcessStats {
  double cpu_seconds = 0;
  std::uint64_t resident_bytes = 0, virtual_bytes = 0;
  std::uint64_t open_fds = 0, max_fds = 0, threads = 0;
  double start_time_seconds = 0;  // since the epoch
};
VC_API ProcessStats process_stats();

// Writes the library's families for this installation: videocontrol_db_*, videocontrol_cache_*,
// videocontrol_jobs_*, videocontrol_realtime_* (with videocontrol_devices_online),
// videocontrol_event_bus_*, videocontrol_redis_fallback, process_*, videocontrol_uptime_seconds and
// videocontrol_build_info. Reads the jobs table once (indexed); may wait for Redis's PING.
VC_API void write_installation_metrics(Installation& installation, MetricsWriter& out);

}  // namespace vc
