// Timeline computation (issue 13): one device-week and 10,000 device-weeks through
// vc::resolve_timeline, against a reference in the same run — a scheduler that ticks every minute
// of the week and asks each rule whether it is active then.
//
// Usage: build/bench/vc_bench_timeline [devices=10000]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "videocontrol/schedule.hpp"

using namespace vc;
using Clock = std::chrono::steady_clock;

namespace {

Schedule must(const char* json) {
  auto s = parse_schedule(json);
  if (!s) {
    std::fprintf(stderr, "bad schedule %s: %s\n", json, s.error().message.c_str());
    std::exit(1);
  }
  return *s;
}

// A device's rules: office hours, a lunch slot through a group, a weekend night, a cron promotion.
TimelineInput rules_for(int device) {
  TimelineInput in;
  const char* kSchedules[] = {
      R"({"kind":"weekly","ranges":[{"days":["mon","tue","wed","thu","fri"],"start":"08:00","end":"18:00"}]})",
      R"({"kind":"weekly","ranges":[{"start":"12:00","end":"13:00"}]})",
      R"({"kind":"weekly","ranges":[{"days":["fri","sat"],"start":"22:00","end":"02:00"}]})",
      R"({"kind":"cron","cron":"*/30 9-17 * * mon-fri","duration_minutes":5})",
  };
  for (int i = 0; i < 4; ++i) {
    ScheduleRule r;
    r.assignment_id = "a" + std::to_string(device) + "-" + std::to_string(i);
    r.playlist_id = "p" + std::to_string(i);
    r.priority = i;
    r.changed_at_ms = device + i;
    r.schedule = must(kSchedules[i]);
    in.rules.push_back(std::move(r));
  }
  in.default_playlist_id = "p-default";
  return in;
}

// The reference: a scheduler that ticks every minute and asks each rule whether it is active in
// that minute (the same evaluation, one minute at a time), keeping the highest priority.
std::size_t per_minute(const TimelineInput& in, const TimeZone& z, std::int64_t from, std::int64_t to) {
  std::size_t changes = 0;
  int last = -2;
  for (std::int64_t t = from; t < to; t += 60'000) {
    int win = -1;
    for (std::size_t i = 0; i < in.rules.size(); ++i) {
      if (active_spans(in.rules[i].schedule, z, t, t + 60'000).empty()) continue;
      if (win < 0 || in.rules[i].priority > in.rules[static_cast<std::size_t>(win)].priority) win = static_cast<int>(i);
    }
    if (win != last) ++changes;
    last = win;
  }
  return changes;
}

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

}  // namespace

int main(int argc, char** argv) {
  const int devices = argc > 1 ? std::atoi(argv[1]) : 10000;
  const auto z = *TimeZone::locate("Europe/Berlin");
  const std::int64_t from = 1'792'360'800'000;  // 2026-10-19T22:00Z: the week of Berlin's fall-back change
  const std::int64_t to = from + 7 * 86'400'000LL;

  std::vector<TimelineInput> inputs;
  inputs.reserve(static_cast<std::size_t>(devices));
  for (int d = 0; d < devices; ++d) inputs.push_back(rules_for(d));

  // Warm-up (tz data loaded once per process).
  std::size_t entries = resolve_timeline(inputs[0], z, from, to).size();
  std::size_t minute_changes = per_minute(inputs[0], z, from, to);

  // One device-week, repeated for a stable figure.
  constexpr int kRepeat = 200;
  auto t0 = Clock::now();
  for (int i = 0; i < kRepeat; ++i) entries = resolve_timeline(inputs[0], z, from, to).size();
  const double one = ms_since(t0) / kRepeat;
  t0 = Clock::now();
  for (int i = 0; i < 20; ++i) minute_changes = per_minute(inputs[0], z, from, to);
  const double one_minute = ms_since(t0) / 20;

  // Every device's week.
  t0 = Clock::now();
  std::size_t total = 0;
  for (const auto& in : inputs) total += resolve_timeline(in, z, from, to).size();
  const double all = ms_since(t0);

  std::printf("| measure | reference (a tick per minute) | resolve_timeline | ratio |\n| --- | --- | --- | --- |\n");
  std::printf("| one device-week (4 rules, Europe/Berlin, fall-back week) | %.3f ms (%zu changes) | %.3f ms (%zu entries) | %.3f |\n",
              one_minute, minute_changes, one, entries, one / one_minute);
  std::printf("| %d device-weeks, one thread | %.0f ms (estimated: %d × the above) | %.0f ms (%.1f µs per device, %zu entries) | %.3f |\n",
              devices, one_minute * devices, devices, all, all * 1000 / devices, total, all / (one_minute * devices));
  return 0;
}
