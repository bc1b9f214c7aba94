#include "http_metrics.hpp"

#include <mutex>
#include <vector>

namespace vc::server {

namespace {

std::string_view status_class(int status) {
  static constexpr std::string_view kClasses[] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
  return status >= 100 && status < 600 ? kClasses[status / 100 - 1] : std::string_view("5xx");
}

// Methods outside the usual set share one label value, so a client cannot grow the series.
std::string_view method_label(std::string_view m) {
  for (std::string_view known : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
    if (m == known) return known;
  return "other";
}

}  // namespace

void HttpMetrics::request_finished(std::string_view method, std::string_view route, int status, double seconds) {
  in_flight_.fetch_sub(1, std::memory_order_relaxed);
  if (status == 0) return;
  std::string key;
  key.reserve(method.size() + route.size() + 6);
  key.append(method_label(method)).append("\t").append(route).append("\t").append(status_class(status));
  {
    std::shared_lock lock(mu_);
    if (auto it = series_.find(key); it != series_.end()) return it->second->observe(seconds);
  }
  std::unique_lock lock(mu_);
  auto& h = series_[key];
  if (!h) h = std::make_unique<Histogram>(latency_buckets());
  h->observe(seconds);
}

void HttpMetrics::write(MetricsWriter& out) const {
  out.family("videocontrol_http_requests_in_flight", "gauge", "HTTP requests being answered now.");
  out.sample("videocontrol_http_requests_in_flight", static_cast<double>(in_flight_.load(std::memory_order_relaxed)));
  out.family("videocontrol_http_request_duration_seconds", "histogram",
             "HTTP requests from their head's arrival until the answer was written, by method, route template "
             "and status class. Long-polls (/socket.io/) last up to the poll interval by design.");
  out.family("videocontrol_connections_dropped_total", "counter",
             "Connections the server closed to protect itself, by reason: slow_consumer (a WebSocket or "
             "long-polling client that does not read what it is sent, over REALTIME_MAX_QUEUED_BYTES), "
             "address_limit (over MAX_CONNECTIONS_PER_ADDRESS), no_descriptors (accepted and closed at once "
             "while the process is out of file descriptors).");
  static constexpr std::string_view kReasons[] = {"slow_consumer", "address_limit", "no_descriptors"};
  for (std::size_t i = 0; i < std::size(kReasons); ++i)
    out.sample("videocontrol_connections_dropped_total", {{"reason", std::string(kReasons[i])}},
               static_cast<double>(dropped_[i].load(std::memory_order_relaxed)));
  std::shared_lock lock(mu_);
  for (const auto& [key, h] : series_) {
    const auto a = key.find('\t'), b = key.rfind('\t');
    out.histogram("videocontrol_http_request_duration_seconds",
                  {{"method", key.substr(0, a)}, {"route", key.substr(a + 1, b - a - 1)}, {"status", key.substr(b + 1)}},
                  h->snapshot());
  }
}

}  // namespace vc::server
