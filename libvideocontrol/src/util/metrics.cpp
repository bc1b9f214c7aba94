#include "videocontrol/metrics.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace vc {

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(new std::atomic<std::uint64_t>[bounds_.size() + 1]) {
  std::sort(bounds_.begin(), bounds_.end());
  for (std::size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::observe(double value) noexcept {
  if (!(value >= 0)) value = 0;  // NaN and negatives (a clock step) count as zero
  const auto i = static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_micros_.fetch_add(static_cast<std::uint64_t>(std::llround(std::min(value, 1e12) * 1e6)), std::memory_order_relaxed);
}

HistogramSnapshot Histogram::snapshot() const {
  HistogramSnapshot s;
  s.bounds = bounds_;
  s.counts.resize(bounds_.size() + 1);
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    s.counts[i] = buckets_[i].load(std::memory_order_relaxed);
    s.count += s.counts[i];  // consistent with the buckets even while observations race
  }
  s.sum = static_cast<double>(sum_micros_.load(std::memory_order_relaxed)) / 1e6;
  return s;
}

const std::vector<double>& latency_buckets() {
  static const std::vector<double> b{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  return b;
}

namespace {

// Label values: backslash, double quote and line feed escaped (the exposition format's rules).
void append_labels(std::string& out, const MetricLabels& labels, std::string_view extra_name = {},
                   std::string_view extra_value = {}) {
  if (labels.empty() && extra_name.empty()) return;
  out.push_back('{');
  bool first = true;
  auto add = [&](std::string_view name, std::string_view value) {
    if (!first) out.push_back(',');
    first = false;
    out.append(name);
    out.append("=\"");
    for (char c : value) {
      if (c == '\\') out.append("\\\\");
      else if (c == '"') out.append("\\\"");
      else if (c == '\n') out.append("\\n");
      else out.push_back(c);
    }
    out.push_back('"');
  };
  for (const auto& [n, v] : labels) add(n, v);
  if (!extra_name.empty()) add(extra_name, extra_value);
  out.push_back('}');
}

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  if (v == std::floor(v) && std::fabs(v) < 9e15) return fmt::format("{}", static_cast<long long>(v));
  return fmt::format("{}", v);
}

}  // namespace

void MetricsWriter::family(std::string_view name, std::string_view type, std::string_view help) {
  out_ += fmt::format("# HELP {} ", name);
  for (char c : help) {  // HELP escapes backslash and line feed
    if (c == '\\') out_.append("\\\\");
    else if (c == '\n') out_.append("\\n");
    else out_.push_back(c);
  }
  out_ += fmt::format("\n# TYPE {} {}\n", name, type);
}

void MetricsWriter::sample(std::string_view name, const MetricLabels& labels, double value) {
  out_.append(name);
  append_labels(out_, labels);
  out_.push_back(' ');
  out_ += number(value);
  out_.push_back('\n');
}

void MetricsWriter::histogram(std::string_view name, const MetricLabels& labels, const HistogramSnapshot& h) {
  std::uint64_t cumulative = 0;
  const std::string bucket = fmt::format("{}_bucket", name);
  for (std::size_t i = 0; i < h.counts.size(); ++i) {
    cumulative += h.counts[i];
    out_.append(bucket);
    append_labels(out_, labels, "le", i < h.bounds.size() ? number(h.bounds[i]) : "+Inf");
    out_ += fmt::format(" {}\n", cumulative);
  }
  sample(fmt::format("{}_sum", name), labels, h.sum);
  sample(fmt::format("{}_count", name), labels, static_cast<double>(cumulative));
}

ProcessStats process_stats() {
  ProcessStats s;
#if defined(__linux__)
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  if (std::ifstream stat("/proc/self/stat"); stat) {
    std::string line;
    std::getline(stat, line);
    // Fields after the command name, which is in parentheses and may hold spaces.
    if (auto close = line.rfind(')'); close != std::string::npos) {
      std::istringstream in(line.substr(close + 2));
      std::vector<std::string> f;
      for (std::string w; in >> w;) f.push_back(w);
      // f[0] is field 3 (state): utime 14, stime 15, num_threads 20, starttime 22, vsize 23, rss 24.
      auto field = [&](int n) { return static_cast<std::size_t>(n - 3) < f.size() ? std::stod(f[n - 3]) : 0.0; };
      if (f.size() >= 22) {
        s.cpu_seconds = (field(14) + field(15)) / ticks;
        s.threads = static_cast<std::uint64_t>(field(20));
        s.virtual_bytes = static_cast<std::uint64_t>(field(23));
        s.resident_bytes = static_cast<std::uint64_t>(field(24) * page);
        double boot = 0;
        if (std::ifstream st("/proc/stat"); st)
          for (std::string key; st >> key;) {
            if (key == "btime") {
              st >> boot;
              break;
            }
            st.ignore(1 << 20, '\n');
          }
        s.start_time_seconds = boot + field(22) / ticks;
      }
    }
  }
  if (DIR* d = opendir("/proc/self/fd")) {
    std::uint64_t n = 0;
    while (auto* e = readdir(d))
      if (e->d_name[0] != '.') ++n;
    closedir(d);
    s.open_fds = n > 0 ? n - 1 : 0;  // minus the one opendir holds
  }
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) s.max_fds = rl.rlim_cur == RLIM_INFINITY ? 0 : rl.rlim_cur;
#endif
  return s;
}

}  // namespace vc
