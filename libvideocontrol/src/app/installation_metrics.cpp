// The installation's metric families (metrics.hpp). Names follow Prometheus's conventions: base
// units (seconds, bytes), _total on counters, one family per name.
#include <chrono>

#include "videocontrol/cache.hpp"
#include "videocontrol/clock.hpp"
#include "videocontrol/event_bus.hpp"
#include "videocontrol/installation.hpp"
#include "videocontrol/jobs.hpp"
#include "videocontrol/log.hpp"
#include "videocontrol/metrics.hpp"
#include "videocontrol/pipeline.hpp"
#include "videocontrol/playback.hpp"
#include "videocontrol/realtime_hub.hpp"
#include "videocontrol/services.hpp"
#include "videocontrol/storage.hpp"
#include "videocontrol/version.hpp"

namespace vc {

namespace {

void write_storage(Storage& storage, MetricsWriter& out) {
  const auto s = storage.stats();
  out.family("videocontrol_db_pool_connections", "gauge", "Database connections in the pool.");
  out.sample("videocontrol_db_pool_connections", s.pool_size);
  out.family("videocontrol_db_pool_in_use", "gauge", "Database connections lent out now.");
  out.sample("videocontrol_db_pool_in_use", s.in_use);
  out.family("videocontrol_db_pool_waiting", "gauge", "Threads waiting for a database connection now.");
  out.sample("videocontrol_db_pool_waiting", s.waiting);
  out.family("videocontrol_db_pool_wait_seconds", "histogram", "Time to get a database connection from the pool.");
  out.histogram("videocontrol_db_pool_wait_seconds", {}, s.pool_wait);
  out.family("videocontrol_db_queries_total", "counter", "Database statements run.");
  out.sample("videocontrol_db_queries_total", static_cast<double>(s.queries));
  out.family("videocontrol_db_slow_queries_total", "counter",
             "Database statements slower than the slow-query threshold, by statement (verb and table).");
  for (const auto& [name, n] : s.slow_queries)
    out.sample("videocontrol_db_slow_queries_total", {{"statement", name}}, static_cast<double>(n));
  out.family("videocontrol_db_slow_query_threshold_seconds", "gauge", "The slow-query threshold (SLOW_QUERY_MS).");
  out.sample("videocontrol_db_slow_query_threshold_seconds", s.slow_query_threshold_seconds);
}

void write_cache(const Cache& cache, MetricsWriter& out) {
  const auto c = cache.stats();
  out.family("videocontrol_cache_hits_total", "counter", "Read-path cache hits, by kind of cached list.");
  for (const auto& k : c.kinds) out.sample("videocontrol_cache_hits_total", {{"kind", k.kind}}, static_cast<double>(k.hits));
  out.family("videocontrol_cache_misses_total", "counter", "Read-path cache misses, by kind of cached list.");
  for (const auto& k : c.kinds)
    out.sample("videocontrol_cache_misses_total", {{"kind", k.kind}}, static_cast<double>(k.misses));
  out.family("videocontrol_cache_evictions_total", "counter", "Entries evicted to stay within the byte budget.");
  out.sample("videocontrol_cache_evictions_total", static_cast<double>(c.evictions));
  out.family("videocontrol_cache_entries", "gauge", "Entries in the in-process cache.");
  out.sample("videocontrol_cache_entries", static_cast<double>(c.entries));
  out.family("videocontrol_cache_bytes", "gauge", "Bytes held by the in-process cache.");
  out.sample("videocontrol_cache_bytes", static_cast<double>(c.bytes));
}

void write_jobs(Installation& inst, MetricsWriter& out) {
  std::vector<JobKindCounts> counts;
  const auto now = inst.clock()->now_ms();
  auto r = inst.storage().read([&](StorageSession& s) -> Result<void> {
    auto c = s.jobs().counts(now);
    if (!c) return std::move(c).error();
    counts = std::move(*c);
    return {};
  });
  if (!r) log_warn("metrics: cannot count jobs", {{"error", r.error().message}});
  // The pipeline's kind is always present, so alerts and dashboards see zeros rather than nothing.
  const std::string pipeline_kind(ContentPipeline::kJobKind);
  bool has_pipeline_kind = false;
  for (const auto& c : counts) has_pipeline_kind = has_pipeline_kind || c.kind == pipeline_kind;
  if (!has_pipeline_kind && r) counts.push_back(JobKindCounts{pipeline_kind});
  out.family("videocontrol_jobs_queued", "gauge", "Jobs waiting and due now, by kind (every instance's).");
  for (const auto& c : counts) out.sample("videocontrol_jobs_queued", {{"kind", c.kind}}, static_cast<double>(c.queued));
  out.family("videocontrol_jobs_running", "gauge", "Jobs leased to a worker, by kind (every instance's).");
  for (const auto& c : counts) out.sample("videocontrol_jobs_running", {{"kind", c.kind}}, static_cast<double>(c.running));
  out.family("videocontrol_jobs_oldest_queued_seconds", "gauge",
             "How long the longest-waiting due job has waited, by kind; 0 when none waits.");
  for (const auto& c : counts)
    out.sample("videocontrol_jobs_oldest_queued_seconds", {{"kind", c.kind}}, static_cast<double>(c.oldest_queued_ms) / 1000.0);

  const auto p = inst.pipeline().stats();
  out.family("videocontrol_jobs_completed_total", "counter", "Jobs this instance finished successfully, by kind.");
  out.sample("videocontrol_jobs_completed_total", {{"kind", pipeline_kind}}, static_cast<double>(p.succeeded + p.reused));
  out.family("videocontrol_jobs_failures_total", "counter",
             "Job attempts that failed on this instance (queued again or failed for good), by kind.");
  out.sample("videocontrol_jobs_failures_total", {{"kind", pipeline_kind}}, static_cast<double>(p.failed + p.retried));
}

void write_realtime(Installation& inst, MetricsWriter& out) {
  const auto r = inst.realtime().stats();
  out.family("videocontrol_realtime_connections", "gauge", "Socket.IO connections.");
  out.sample("videocontrol_realtime_connections", static_cast<double>(r.connections));
  out.family("videocontrol_realtime_players", "gauge", "Connections registered as players.");
  out.sample("videocontrol_realtime_players", static_cast<double>(r.players));
  out.family("videocontrol_realtime_controls", "gauge", "Authenticated control connections.");
  out.sample("videocontrol_realtime_controls", static_cast<double>(r.controls));
  out.family("videocontrol_devices_online", "gauge", "Devices with at least one live player connection here.");
  out.sample("videocontrol_devices_online", static_cast<double>(r.online_devices));
  out.family("videocontrol_realtime_messages_received_total", "counter", "Socket.IO packets received.");
  out.sample("videocontrol_realtime_messages_received_total", static_cast<double>(r.messages_received));
  out.family("videocontrol_realtime_messages_sent_total", "counter", "Socket.IO packets sent.");
  out.sample("videocontrol_realtime_messages_sent_total", static_cast<double>(r.messages_sent));

  const auto c = inst.services().playback().command_stats();
  HistogramSnapshot h;
  std::uint64_t below = 0;
  for (std::size_t i = 0; i < c.kBoundsMs.size(); ++i) {
    h.bounds.push_back(c.kBoundsMs[i] / 1000.0);
    h.counts.push_back(c.within[i] - below);  // within[] is cumulative
    below = c.within[i];
  }
  h.counts.push_back(c.count - below);
  h.count = c.count;
  h.sum = c.ms_sum / 1000.0;
  out.family("videocontrol_realtime_command_seconds", "histogram",
             "Control commands (Socket.IO or REST), from arrival until the player events were handed to the players' "
             "connections (in-process) or the event bus: the wait for a worker, the stored state change and the "
             "delivery.");
  out.histogram("videocontrol_realtime_command_seconds", {}, h);
}

void write_bus(Installation& inst, MetricsWriter& out) {
  const auto b = inst.bus().stats();
  out.family("videocontrol_event_bus_published_total", "counter", "Messages published on the event bus.");
  out.sample("videocontrol_event_bus_published_total", static_cast<double>(b.published));
  out.family("videocontrol_event_bus_publish_failures_total", "counter",
             "Published messages that reached this instance only (Redis unreachable).");
  out.sample("videocontrol_event_bus_publish_failures_total", static_cast<double>(b.publish_failures));
  out.family("videocontrol_event_bus_delivered_total", "counter", "Event bus messages handed to this instance's subscribers.");
  out.sample("videocontrol_event_bus_delivered_total", static_cast<double>(b.delivered));
  const auto health = inst.health();
  out.family("videocontrol_redis_fallback", "gauge",
             "1 while Redis is configured but unreachable and in-process fallbacks serve; else 0.");
  out.sample("videocontrol_redis_fallback", health.redis_configured && !health.redis ? 1 : 0);
}

void write_process(Installation& inst, MetricsWriter& out) {
  const auto p = process_stats();
  out.family("process_cpu_seconds_total", "counter", "User and system CPU time spent.");
  out.sample("process_cpu_seconds_total", p.cpu_seconds);
  out.family("process_resident_memory_bytes", "gauge", "Resident memory size.");
  out.sample("process_resident_memory_bytes", static_cast<double>(p.resident_bytes));
  out.family("process_virtual_memory_bytes", "gauge", "Virtual memory size.");
  out.sample("process_virtual_memory_bytes", static_cast<double>(p.virtual_bytes));
  out.family("process_open_fds", "gauge", "Open file descriptors.");
  out.sample("process_open_fds", static_cast<double>(p.open_fds));
  out.family("process_max_fds", "gauge", "The limit on open file descriptors.");
  out.sample("process_max_fds", static_cast<double>(p.max_fds));
  out.family("process_threads", "gauge", "Threads of the process.");
  out.sample("process_threads", static_cast<double>(p.threads));
  out.family("process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch.");
  out.sample("process_start_time_seconds", p.start_time_seconds);
  const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  out.family("videocontrol_uptime_seconds", "gauge", "Seconds since the process started.");
  out.sample("videocontrol_uptime_seconds", p.start_time_seconds > 0 ? std::max(0.0, now - p.start_time_seconds) : 0.0);
  out.family("videocontrol_build_info", "gauge", "Always 1; the labels name the build and the database backend.");
  out.sample("videocontrol_build_info", {{"version", version()}, {"backend", std::string(inst.storage().backend_name())}}, 1);
}

}  // namespace

void write_installation_metrics(Installation& inst, MetricsWriter& out) {
  write_storage(inst.storage(), out);
  write_cache(inst.cache(), out);
  write_jobs(inst, out);
  write_realtime(inst, out);
  write_bus(inst, out);
  write_process(inst, out);
}

}  // namespace vc
