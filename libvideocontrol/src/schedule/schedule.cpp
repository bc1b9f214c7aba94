// Schedules in time zones, the timeline and playlist positions (schedule.hpp). date/tz stays here.
#include <algorithm>
#include <map>
#include <set>

#include <date/date.h>
#include <date/tz.h>
#include <fmt/format.h>

#include "schedule/cron_access.hpp"

namespace vc {

namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
constexpr std::int64_t kMinuteMs = 60'000;
constexpr std::int64_t kDayMs = 86'400'000;

const date::time_zone* tz(const void* p) { return static_cast<const date::time_zone*>(p); }

std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

date::year_month_day ymd_of_day(std::int64_t day) {
  return date::year_month_day{date::sys_days{date::days{day}}};
}
int weekday_of_day(std::int64_t day) {
  return static_cast<int>(date::weekday{date::sys_days{date::days{day}}}.c_encoding());
}
LocalDate local_date(std::int64_t day) {
  const auto ymd = ymd_of_day(day);
  return {static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())),
          static_cast<int>(static_cast<unsigned>(ymd.day()))};
}
bool in_dates(const Schedule& s, std::int64_t day) {
  if (!s.from_date && !s.until_date) return true;
  const LocalDate d = local_date(day);
  if (s.from_date && d < *s.from_date) return false;
  if (s.until_date && *s.until_date < d) return false;
  return true;
}

// The instant of a local time (seconds since the local epoch): skipped → end of the gap,
// repeated → first occurrence.
std::int64_t instant_of(const date::time_zone* z, std::int64_t local_s) {
  const date::local_seconds lt{seconds{local_s}};
  const auto info = z->get_info(lt);
  switch (info.result) {
    case date::local_info::nonexistent:
      return std::chrono::duration_cast<milliseconds>(info.second.begin.time_since_epoch()).count();
    case date::local_info::ambiguous:
    case date::local_info::unique:
    default:
      return (local_s - info.first.offset.count()) * 1000;
  }
}

// Sorts and merges overlapping or touching spans.
std::vector<TimeSpan> merged(std::vector<TimeSpan> spans) {
  std::sort(spans.begin(), spans.end(), [](const TimeSpan& a, const TimeSpan& b) { return a.begin_ms < b.begin_ms; });
  std::vector<TimeSpan> out;
  for (const auto& s : spans) {
    if (s.end_ms <= s.begin_ms) continue;
    if (!out.empty() && s.begin_ms <= out.back().end_ms) out.back().end_ms = std::max(out.back().end_ms, s.end_ms);
    else out.push_back(s);
  }
  return out;
}

void clip_push(std::vector<TimeSpan>& out, std::int64_t a, std::int64_t b, std::int64_t lo, std::int64_t hi) {
  a = std::max(a, lo);
  b = std::min(b, hi);
  if (a < b) out.push_back({a, b});
}

// Time ranges: within each span of constant UTC offset, local time is the instant plus that
// offset, so a local range maps to one UTC range there (the wall-clock rule of the header).
std::vector<TimeSpan> weekly_spans(const Schedule& s, const date::time_zone* z, std::int64_t from, std::int64_t to,
                                   const std::vector<TimeOfDayRange>& ranges) {
  std::vector<TimeSpan> out;
  std::int64_t seg_begin = from;
  while (seg_begin < to) {
    const auto info = z->get_info(date::sys_time<milliseconds>{milliseconds{seg_begin}});
    // (the last span of a zone ends at the end of time: compare in seconds before converting)
    const std::int64_t end_s = info.end.time_since_epoch().count();
    const std::int64_t info_end = end_s >= to / 1000 + 1 ? to : end_s * 1000;
    const std::int64_t seg_end = std::min(to, std::max(info_end, seg_begin + 1));
    const std::int64_t off = info.offset.count() * 1000;
    const std::int64_t first_day = floor_div(seg_begin + off, kDayMs) - 1;
    const std::int64_t last_day = floor_div(seg_end - 1 + off, kDayMs);
    for (std::int64_t d = first_day; d <= last_day; ++d) {
      const int wd = weekday_of_day(d);
      const std::int64_t day0 = d * kDayMs - off;  // local midnight of d, as an instant in this segment
      for (const auto& r : ranges) {
        if (!(r.weekdays >> wd & 1u)) continue;
        const std::int64_t a = day0 + r.start_min * kMinuteMs;
        if (r.end_min == r.start_min) {
          if (in_dates(s, d)) clip_push(out, day0, day0 + kDayMs, seg_begin, seg_end);
        } else if (r.end_min > r.start_min) {
          if (in_dates(s, d)) clip_push(out, a, day0 + r.end_min * kMinuteMs, seg_begin, seg_end);
        } else {
          if (in_dates(s, d)) clip_push(out, a, day0 + kDayMs, seg_begin, seg_end);
          if (in_dates(s, d + 1)) clip_push(out, day0 + kDayMs, day0 + kDayMs + r.end_min * kMinuteMs, seg_begin, seg_end);
        }
      }
    }
    seg_begin = seg_end;
  }
  return merged(std::move(out));
}

std::vector<std::int64_t> cron_runs(const CronExpression& c, const date::time_zone* z, std::int64_t from,
                                    std::int64_t to, std::size_t limit, const Schedule* dates) {
  std::vector<std::int64_t> out;
  if (from >= to || limit == 0) return out;
  // Local days that can hold a run in [from, to): the offset is within ±1 day.
  const std::int64_t first_day = floor_div(from, kDayMs) - 1;
  const std::int64_t last_day = floor_div(to, kDayMs) + 1;
  std::int64_t last = INT64_MIN;
  for (std::int64_t d = first_day; d <= last_day && out.size() < limit; ++d) {
    const auto ymd = ymd_of_day(d);
    if (!c.matches_day(static_cast<int>(static_cast<unsigned>(ymd.month())),
                       static_cast<int>(static_cast<unsigned>(ymd.day())), weekday_of_day(d)))
      continue;
    if (dates && !in_dates(*dates, d)) continue;
    for (int h = 0; h < 24 && out.size() < limit; ++h) {
      if (!CronAccess::hour(c, h)) continue;
      for (int m = 0; m < 60; ++m) {
        if (!CronAccess::minute(c, m)) continue;
        const std::int64_t at = instant_of(z, d * 86'400 + h * 3'600 + m * 60);
        if (at < from || at >= to || at == last) continue;  // several skipped times run once
        if (at < last) continue;                             // a repeated time runs once
        out.push_back(at);
        last = at;
        if (out.size() >= limit) break;
      }
    }
  }
  return out;
}

}  // namespace

// ---- TimeZone -----------------------------------------------------------------------------------

Result<TimeZone> TimeZone::locate(std::string_view name) {
  if (name.empty() || name.size() > 64)
    return make_error(ErrorCode::invalid, "a time zone is an IANA name like Europe/Berlin");
  try {
    const date::time_zone* z = date::locate_zone(name);
    TimeZone out;
    out.zone_ = z;
    out.name_ = std::string(z->name());
    return out;
  } catch (const std::exception&) {
    return make_error(ErrorCode::invalid, fmt::format("time zone '{}' is unknown; use an IANA name like Europe/Berlin", name));
  }
}

int TimeZone::offset_s(std::int64_t at_ms) const {
  const auto info = tz(zone_)->get_info(date::sys_time<milliseconds>{milliseconds{at_ms}});
  return static_cast<int>(info.offset.count());
}

std::string TimeZone::format_local(std::int64_t at_ms) const {
  const int off = offset_s(at_ms);
  const std::int64_t local_s = floor_div(at_ms, 1000) + off;
  const std::int64_t day = floor_div(local_s, 86'400);
  const std::int64_t sod = local_s - day * 86'400;
  const LocalDate d = local_date(day);
  const int aoff = off < 0 ? -off : off;
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}{:02}:{:02}", d.year, d.month, d.day, sod / 3600,
                     sod / 60 % 60, sod % 60, off < 0 ? '-' : '+', aoff / 3600, aoff / 60 % 60);
}

std::int64_t TimeZone::instant(int year, int month, int day, int minute_of_day) const {
  const auto days = date::sys_days{date::year{year} / date::month{static_cast<unsigned>(month)} /
                                   date::day{static_cast<unsigned>(day)}}
                        .time_since_epoch()
                        .count();
  return instant_of(tz(zone_), static_cast<std::int64_t>(days) * 86'400 + minute_of_day * 60);
}

// ---- cron runs ----------------------------------------------------------------------------------

std::vector<std::int64_t> CronExpression::runs(const TimeZone& zone, std::int64_t from_ms, std::int64_t to_ms,
                                               std::size_t limit) const {
  return cron_runs(*this, tz(CronAccess::zone(zone)), from_ms, to_ms, limit, nullptr);
}

std::vector<std::int64_t> CronExpression::next_runs(const TimeZone& zone, std::int64_t after_ms, std::size_t n) const {
  std::vector<std::int64_t> out;
  std::int64_t from = after_ms + 1;
  // A month at a time, so a frequent expression stops early and a rare one (29 Feb) is still found.
  for (int i = 0; i < 61 && out.size() < n; ++i) {
    const std::int64_t to = from + 31 * kDayMs;
    auto part = cron_runs(*this, tz(CronAccess::zone(zone)), from, to, n - out.size(), nullptr);
    out.insert(out.end(), part.begin(), part.end());
    from = to;
  }
  return out;
}

// ---- spans --------------------------------------------------------------------------------------

std::vector<TimeSpan> active_spans(const Schedule& schedule, const TimeZone& zone, std::int64_t from_ms,
                                   std::int64_t to_ms) {
  if (from_ms >= to_ms) return {};
  const date::time_zone* z = tz(CronAccess::zone(zone));
  switch (schedule.kind) {
    case Schedule::Kind::always:
      if (!schedule.from_date && !schedule.until_date) return {{from_ms, to_ms}};
      return weekly_spans(schedule, z, from_ms, to_ms, {TimeOfDayRange{0, 0, 0x7f}});
    case Schedule::Kind::weekly:
      return weekly_spans(schedule, z, from_ms, to_ms, schedule.ranges);
    case Schedule::Kind::cron: {
      if (!schedule.cron) return {};
      const std::int64_t dur = std::int64_t{schedule.duration_min} * kMinuteMs;
      std::vector<TimeSpan> out;
      for (std::int64_t at : cron_runs(*schedule.cron, z, from_ms - dur + 1, to_ms, 1'000'000, &schedule))
        clip_push(out, at, at + dur, from_ms, to_ms);
      return merged(std::move(out));
    }
  }
  return {};
}

// ---- the timeline -------------------------------------------------------------------------------

std::string_view to_string(TimelineSource source) noexcept {
  switch (source) {
    case TimelineSource::override_: return "override";
    case TimelineSource::assignment: return "assignment";
    case TimelineSource::default_playlist: return "default_playlist";
    case TimelineSource::placeholder: return "placeholder";
    case TimelineSource::nothing: return "nothing";
  }
  return "nothing";
}

std::vector<TimelineEntry> resolve_timeline(const TimelineInput& input, const TimeZone& zone, std::int64_t from_ms,
                                            std::int64_t to_ms) {
  std::vector<TimelineEntry> out;
  if (from_ms >= to_ms) return out;
  // Each cause's spans; every span edge is a point where the winner may change.
  std::vector<std::vector<TimeSpan>> rule_spans;
  std::set<std::int64_t> edges{from_ms, to_ms};
  for (const auto& r : input.rules) {
    rule_spans.push_back(active_spans(r.schedule, zone, from_ms, to_ms));
    for (const auto& s : rule_spans.back()) edges.insert({s.begin_ms, s.end_ms});
  }
  for (const auto& o : input.overrides) {
    const std::int64_t a = std::max(o.starts_ms, from_ms);
    const std::int64_t b = o.ends_ms > 0 ? std::min(o.ends_ms, to_ms) : to_ms;
    if (a < b) edges.insert({a, b});
  }
  // Rules in the order of preference, so the first active one wins.
  std::vector<std::size_t> order(input.rules.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
    const auto& a = input.rules[x];
    const auto& b = input.rules[y];
    if (a.priority != b.priority) return a.priority > b.priority;
    if (a.changed_at_ms != b.changed_at_ms) return a.changed_at_ms > b.changed_at_ms;
    return a.assignment_id > b.assignment_id;
  });
  std::vector<std::size_t> cursor(input.rules.size(), 0);
  std::int64_t prev = from_ms;
  for (auto it = std::next(edges.begin()); it != edges.end() && *it <= to_ms; ++it) {
    const std::int64_t a = prev, b = *it;
    prev = b;
    if (a < from_ms || a >= b) continue;
    TimelineEntry e;
    e.span = {a, b};
    const OverrideRule* best_override = nullptr;
    for (const auto& o : input.overrides) {
      const bool on = o.starts_ms <= a && (o.ends_ms == 0 || a < o.ends_ms);
      if (on && (!best_override || o.starts_ms > best_override->starts_ms ||
                 (o.starts_ms == best_override->starts_ms && o.override_id > best_override->override_id)))
        best_override = &o;
    }
    if (best_override) {
      e.source = TimelineSource::override_;
      e.override_id = best_override->override_id;
      e.media_id = best_override->media_id;
      e.message = best_override->message;
      e.group_id = best_override->group_id;
    } else {
      const ScheduleRule* win = nullptr;
      for (std::size_t i : order) {
        auto& spans = rule_spans[i];
        auto& c = cursor[i];
        while (c < spans.size() && spans[c].end_ms <= a) ++c;
        if (c < spans.size() && spans[c].begin_ms <= a) {
          win = &input.rules[i];
          break;
        }
      }
      if (win) {
        e.source = TimelineSource::assignment;
        e.playlist_id = win->playlist_id;
        e.assignment_id = win->assignment_id;
        e.group_id = win->group_id;
        e.priority = win->priority;
      } else if (!input.default_playlist_id.empty()) {
        e.source = TimelineSource::default_playlist;
        e.playlist_id = input.default_playlist_id;
      } else if (!input.placeholder_media_id.empty()) {
        e.source = TimelineSource::placeholder;
        e.media_id = input.placeholder_media_id;
      }
    }
    if (!out.empty()) {
      TimelineEntry& last = out.back();
      TimelineEntry probe = e;
      probe.span = last.span;
      if (probe == last && last.span.end_ms == a) {
        last.span.end_ms = b;
        continue;
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

// ---- playlist positions -------------------------------------------------------------------------

namespace {
std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
}  // namespace

std::vector<std::size_t> shuffle_order(std::size_t n, std::uint64_t seed, std::uint64_t cycle) {
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  std::uint64_t state = seed ^ (cycle * 0xd1b54a32d192ed03ull);
  for (std::size_t i = n; i > 1; --i) {
    const std::size_t j = static_cast<std::size_t>(splitmix64(state) % i);
    std::swap(order[i - 1], order[j]);
  }
  return order;
}

std::optional<PlaylistPosition> playlist_position(const std::vector<std::int64_t>& durations_ms, bool loop,
                                                  bool shuffle, std::uint64_t seed, std::int64_t since_ms,
                                                  std::int64_t at_ms) {
  if (durations_ms.empty() || at_ms < since_ms) return std::nullopt;
  std::int64_t total = 0;
  for (std::int64_t d : durations_ms) total += std::max<std::int64_t>(d, 1);
  const std::int64_t elapsed = at_ms - since_ms;
  const std::uint64_t cycle = static_cast<std::uint64_t>(elapsed / total);
  if (!loop && cycle > 0) return std::nullopt;
  std::int64_t into = elapsed % total;
  const std::int64_t cycle_begin = since_ms + static_cast<std::int64_t>(cycle) * total;
  std::vector<std::size_t> order;
  if (shuffle) order = shuffle_order(durations_ms.size(), seed, cycle);
  std::int64_t begin = cycle_begin;
  for (std::size_t k = 0; k < durations_ms.size(); ++k) {
    const std::size_t step = shuffle ? order[k] : k;
    const std::int64_t d = std::max<std::int64_t>(durations_ms[step], 1);
    if (into < d) return PlaylistPosition{step, into, begin, begin + d, cycle};
    into -= d;
    begin += d;
  }
  return std::nullopt;  // not reached
}

}  // namespace vc
