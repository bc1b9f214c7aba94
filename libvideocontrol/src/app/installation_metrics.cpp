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
#include "videocontrol/webhooks.hpp"
#include "videocontrol/playback.hpp"
#include "videocontrol/realtime_hub.hpp"
#include "videocontrol/services.hpp"
#include "videocontrol/storage.hpp"
#include "videocontrol/version.hpp"

namespace vc {

namespace {

// A family with one sample.
void one(MetricsWriter& out, std::string_view name, std::string_view type, std::string_view help,
         const MetricLabels& labels, double value) {
  out.family(name, type, help);
  out.sample(name, labels, value);
}
void one(MetricsWriter& out, std::string_view name, std::string_view type, std::string_view help, double value) {
  one(out, name, type, help, {}, value);
}

void write_storage(Storage& storage, MetricsWriter& out) {
  const auto s = storage.stats();
  one(out, "videocontrol_db_pool_connections", "gauge", "Database connections in the pool.", s.pool_size);
  one(out, "videocontrol_db_pool_in_use", "gauge", "Database connections lent out now.", s.in_use);
  one(out, "videocontrol_db_pool_waiting", "gauge", "Threads waiting for a database connection now.", s.waiting);
  out.family("videocontrol_db_pool_wait_seconds", "histogram", "Time to get a database connection from the pool.");
  out.histogram("videocontrol_db_pool_wait_seconds", {}, s.pool_wait);
  one(out, "videocontrol_db_queries_total", "counter", "Database statements run.", static_cast<double>(s.queries));
  out.family("videocontrol_db_slow_queries_total", "counter",
             "Database statements slower than the slow-query threshold, by statement (verb and table).");
  for (const auto& [name, n] : s.slow_queries)
    out.sample("videocontrol_db_slow_queries_total", {{"statement", name}}, static_cast<double>(n));
  one(out, "videocontrol_db_slow_query_threshold_seconds", "gauge", "The slow-query threshold (SLOW_QUERY_MS).", s.slow_query_threshold_seconds);
}

void write_cache(const Cache& cache, MetricsWriter& out) {
  const auto c = cache.stats();
  out.family("videocontrol_cache_hits_total", "counter", "Read-path cache hits, by kind of cached list.");
  for (const auto& k : c.kinds) out.sample("videocontrol_cache_hits_total", {{"kind", k.kind}}, static_cast<double>(k.hits));
  out.family("videocontrol_cache_misses_total", "counter", "Read-path cache misses, by kind of cached list.");
  for (const auto& k : c.kinds)
    out.sample("videocontrol_cache_misses_total", {{"kind", k.kind}}, static_cast<double>(k.misses));
  one(out, "videocontrol_cache_evictions_total", "counter", "Entries evicted to stay within the byte budget.", static_cast<double>(c.evictions));
  one(out, "videocontrol_cache_entries", "gauge", "Entries in the in-process cache.", static_cast<double>(c.entries));
  one(out, "videocontrol_cache_bytes", "gauge", "Bytes held by the in-process cache.", static_cast<double>(c.bytes));
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
  // The pipeline's and the webhooks' kinds are always present, so alerts and dashboards see zeros
  // rather than nothing.
  const std::string pipeline_kind(ContentPipeline::kJobKind), webhook_kind(Webhooks::kJobKind);
  for (const auto& kind : {pipeline_kind, webhook_kind}) {
    bool present = false;
    for (const auto& c : counts) present = present || c.kind == kind;
    if (!present && r) counts.push_back(JobKindCounts{kind});
  }
  out.family("videocontrol_jobs_queued", "gauge", "Jobs waiting and due now, by kind (every instance's).");
  for (const auto& c : counts) out.sample("videocontrol_jobs_queued", {{"kind", c.kind}}, static_cast<double>(c.queued));
  out.family("videocontrol_jobs_running", "gauge", "Jobs leased to a worker, by kind (every instance's).");
  for (const auto& c : counts) out.sample("videocontrol_jobs_running", {{"kind", c.kind}}, static_cast<double>(c.running));
  out.family("videocontrol_jobs_oldest_queued_seconds", "gauge",
             "How long the longest-waiting due job has waited, by kind; 0 when none waits.");
  for (const auto& c : counts)
    out.sample("videocontrol_jobs_oldest_queued_seconds", {{"kind", c.kind}}, static_cast<double>(c.oldest_queued_ms) / 1000.0);

  // A webhook delivery is a job too: completed when the receiver answered 2xx, failed per attempt
  // that did not (retried later or failed for good).
  const auto p = inst.pipeline().stats();
  const auto w = inst.webhooks().stats();
  out.family("videocontrol_jobs_completed_total", "counter", "Jobs this instance finished successfully, by kind.");
  out.sample("videocontrol_jobs_completed_total", {{"kind", pipeline_kind}}, static_cast<double>(p.succeeded + p.reused));
  out.sample("videocontrol_jobs_completed_total", {{"kind", webhook_kind}}, static_cast<double>(w.succeeded));
  out.family("videocontrol_jobs_failures_total", "counter",
             "Job attempts that failed on this instance (queued again or failed for good), by kind.");
  out.sample("videocontrol_jobs_failures_total", {{"kind", pipeline_kind}}, static_cast<double>(p.failed + p.retried));
  out.sample("videocontrol_jobs_failures_total", {{"kind", webhook_kind}}, static_cast<double>(w.failed + w.retried));
}

void write_realtime(Installation& inst, MetricsWriter& out) {
  const auto r = inst.realtime().stats();
  one(out, "videocontrol_realtime_connections", "gauge", "Socket.IO connections.", static_cast<double>(r.connections));
  one(out, "videocontrol_realtime_players", "gauge", "Connections registered as players.", static_cast<double>(r.players));
  one(out, "videocontrol_realtime_controls", "gauge", "Authenticated control connections.", static_cast<double>(r.controls));
  one(out, "videocontrol_devices_online", "gauge", "Devices with at least one live player connection here.", static_cast<double>(r.online_devices));
  one(out, "videocontrol_realtime_messages_received_total", "counter", "Socket.IO packets received.", static_cast<double>(r.messages_received));
  one(out, "videocontrol_realtime_messages_sent_total", "counter", "Socket.IO packets sent.", static_cast<double>(r.messages_sent));

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
  one(out, "videocontrol_event_bus_published_total", "counter", "Messages published on the event bus.", static_cast<double>(b.published));
  one(out, "videocontrol_event_bus_publish_failures_total", "counter", "Published messages that reached this instance only (Redis unreachable).", static_cast<double>(b.publish_failures));
  one(out, "videocontrol_event_bus_delivered_total", "counter", "Event bus messages handed to this instance's subscribers.", static_cast<double>(b.delivered));
  const auto health = inst.health();
  one(out, "videocontrol_redis_fallback", "gauge", "1 while Redis is configured but unreachable and in-process fallbacks serve; else 0.", health.redis_configured && !health.redis ? 1 : 0);
}

void write_process(Installation& inst, MetricsWriter& out) {
  const auto p = process_stats();
  one(out, "process_cpu_seconds_total", "counter", "User and system CPU time spent.", p.cpu_seconds);
  one(out, "process_resident_memory_bytes", "gauge", "Resident memory size.", static_cast<double>(p.resident_bytes));
  one(out, "process_virtual_memory_bytes", "gauge", "Virtual memory size.", static_cast<double>(p.virtual_bytes));
  one(out, "process_open_fds", "gauge", "Open file descriptors.", static_cast<double>(p.open_fds));
  one(out, "process_max_fds", "gauge", "The limit on open file descriptors.", static_cast<double>(p.max_fds));
  one(out, "process_threads", "gauge", "Threads of the process.", static_cast<double>(p.threads));
  one(out, "process_start_time_seconds", "gauge", "Start time of the process since the Unix epoch.", p.start_time_seconds);
  const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  one(out, "videocontrol_uptime_seconds", "gauge", "Seconds since the process started.", p.start_time_seconds > 0 ? std::max(0.0, now - p.start_time_seconds) : 0.0);
  one(out, "videocontrol_build_info", "gauge", "Always 1; the labels name the build and the database backend.", {{"version", version()}, {"backend", std::string(inst.storage().backend_name())}}, 1);
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
