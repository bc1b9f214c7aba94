// Schedules: when a playlist is active, in an IANA time zone, and what plays on a screen at any
// instant (issue 13). Everything here is pure computation over the system's tz database (tzdata,
// read through Howard Hinnant's date/tz); no storage, no clock. Safe to call from any thread.
//
// What local times mean (docs/scheduling.md has the worked examples):
//  - A time range ("08:00"–"18:00" on some weekdays) is active whenever the wall clock of the zone
//    reads a time inside it on one of its days. So on a spring-forward day a range inside the
//    skipped hour (02:15–02:45 in Berlin) does not happen, and one reaching into it ends or starts
//    when the clock jumps; on a fall-back day a range inside the repeated hour happens twice.
//    An end at or before the start crosses midnight (22:00–06:00 belongs to the day it starts on);
//    an end equal to the start is the whole day.
//  - A cron run happens once per matching wall-clock time: a time the clock skips runs when the
//    skipped hour ends (02:30 on a Berlin spring-forward day runs at 03:00 CEST), a time the clock
//    shows twice runs at its first occurrence. Each run lasts the schedule's duration.
//  - A date range (from/until, inclusive local dates) limits every kind: a time range's pieces by
//    the local date of the instant, cron runs by the local date they start on.
#pragma once

#include "videocontrol/export.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "videocontrol/result.hpp"

namespace vc {

// The half-open span [begin_ms, end_ms) in Unix epoch milliseconds.
struct VC_API TimeSpan {
  std::int64_t begin_ms = 0;
  std::int64_t end_ms = 0;
  friend bool operator==(const TimeSpan&, const TimeSpan&) = default;
};

// A zone of the tz database. Cheap to copy; the zone data lives as long as the process.
class VC_API TimeZone {
 public:
  // Errors: invalid when `name` is not a zone of the system's tz database ("Europe/Berlin", "UTC").
  static Result<TimeZone> locate(std::string_view name);
  const std::string& name() const noexcept { return name_; }
  // The zone's UTC offset at an instant, in seconds (Moscow: 10800).
  int offset_s(std::int64_t at_ms) const;
  // The wall clock at an instant, "2026-03-29T03:00:00+02:00".
  std::string format_local(std::int64_t at_ms) const;
  // The instant a wall-clock time names, by the rules above: a skipped time → when the skipped
  // span ends; a repeated time → its first occurrence. `minute_of_day` in 0..1439.
  std::int64_t instant(int year, int month, int day, int minute_of_day) const;

 private:
  friend struct CronAccess;
  TimeZone() = default;
  const void* zone_ = nullptr;  // a date::time_zone owned by the tz database
  std::string name_;
};

// A 5-field cron expression: minute hour day-of-month month day-of-week, with lists (1,15), ranges
// (1-5), steps (*/15, 8-18/2), names (jan-dec, sun-sat, case-insensitive), 7 = Sunday, and the
// macros @yearly @annually @monthly @weekly @daily @midnight @hourly. When both day fields are
// restricted a day matches either (as in Vixie cron).
class VC_API CronExpression {
 public:
  // Errors: invalid, naming the field and what it accepts.
  static Result<CronExpression> parse(std::string_view text);
  const std::string& text() const noexcept { return text_; }
  // Run instants in [from_ms, to_ms), oldest first, at most `limit`.
  std::vector<std::int64_t> runs(const TimeZone& zone, std::int64_t from_ms, std::int64_t to_ms,
                                 std::size_t limit = 100000) const;
  // The next `n` runs after `after_ms` (looking at most 5 years ahead).
  std::vector<std::int64_t> next_runs(const TimeZone& zone, std::int64_t after_ms, std::size_t n) const;
  // Whether a local date matches the day fields (weekday: 0 = Sunday … 6 = Saturday).
  bool matches_day(int month, int day, int weekday) const noexcept;

 private:
  friend struct CronAccess;
  std::uint64_t minutes_ = 0;   // bit m: minute m
  std::uint32_t hours_ = 0;     // bit h
  std::uint32_t days_ = 0;      // bit d (1..31)
  std::uint16_t months_ = 0;    // bit m (1..12)
  std::uint8_t weekdays_ = 0;   // bit w (0 = Sunday)
  bool any_day_ = true, any_weekday_ = true;
  std::string text_;
};

struct VC_API LocalDate {
  int year = 1970, month = 1, day = 1;
  friend auto operator<=>(const LocalDate&, const LocalDate&) = default;
};

// A time range on some weekdays, in minutes since local midnight.
struct VC_API TimeOfDayRange {
  int start_min = 0;              // 0..1439
  int end_min = 0;                // 0..1440; ≤ start crosses midnight; = start is the whole day
  std::uint8_t weekdays = 0x7f;   // bit 0 = Sunday … bit 6 = Saturday
  friend bool operator==(const TimeOfDayRange&, const TimeOfDayRange&) = default;
};

struct VC_API Schedule {
  enum class Kind { always, weekly, cron };
  Kind kind = Kind::always;
  std::vector<TimeOfDayRange> ranges;  // weekly: one or more
  std::optional<CronExpression> cron;  // cron
  int duration_min = 60;               // cron: how long each run lasts (1..10080)
  std::optional<LocalDate> from_date;  // inclusive
  std::optional<LocalDate> until_date; // inclusive
};

// The JSON form used by the REST API, the CLI and the database:
//   {"kind":"always"}
//   {"kind":"weekly","ranges":[{"days":["mon","tue"],"start":"08:00","end":"18:00"}]}  (days omitted: every day)
//   {"kind":"cron","cron":"30 2 * * *","duration_minutes":30}
// each optionally with "from_date":"2026-12-01" and/or "until_date":"2026-12-31".
// Errors: invalid, naming the field.
VC_API Result<Schedule> parse_schedule(std::string_view json);
VC_API std::string schedule_json(const Schedule& schedule);
// A short human description in English ("Mon–Fri 08:00–18:00", "cron 30 2 * * * for 30 min").
VC_API std::string describe(const Schedule& schedule);

// The spans in [from_ms, to_ms) during which the schedule is active, sorted and disjoint.
VC_API std::vector<TimeSpan> active_spans(const Schedule& schedule, const TimeZone& zone, std::int64_t from_ms,
                                          std::int64_t to_ms);

// ---- what plays when ----------------------------------------------------------------------------

// A playlist assigned to a device (directly or through a group) under a schedule.
struct VC_API ScheduleRule {
  std::string assignment_id;
  std::string playlist_id;
  std::string group_id;     // empty: assigned to the device itself
  int priority = 0;         // higher wins
  std::int64_t changed_at_ms = 0;  // ties: the most recently changed wins, then the larger id
  Schedule schedule;
};

// An emergency override: shown above every schedule from starts_ms until ends_ms (0 = until cleared).
struct VC_API OverrideRule {
  std::string override_id;
  std::string media_id;     // what to show, or empty with a message
  std::string message;
  std::string group_id;     // empty: organisation-wide
  std::int64_t starts_ms = 0;
  std::int64_t ends_ms = 0;
};

struct VC_API TimelineInput {
  std::vector<ScheduleRule> rules;
  std::vector<OverrideRule> overrides;
  std::string default_playlist_id;   // the device's, shown when no rule is active
  std::string placeholder_media_id;  // the device's idle content, when there is no default playlist
};

enum class TimelineSource { override_, assignment, default_playlist, placeholder, nothing };
// "override", "assignment", "default_playlist", "placeholder", "nothing".
VC_API std::string_view to_string(TimelineSource source) noexcept;

// One span of the timeline and why it plays.
struct VC_API TimelineEntry {
  TimeSpan span;
  TimelineSource source = TimelineSource::nothing;
  std::string playlist_id;    // assignment, default_playlist
  std::string assignment_id;  // assignment
  std::string group_id;       // assignment through a group, or a group's override
  int priority = 0;           // assignment
  std::string override_id;    // override
  std::string media_id;       // override (its media), placeholder
  std::string message;        // override
  friend bool operator==(const TimelineEntry&, const TimelineEntry&) = default;
};

// What plays in [from_ms, to_ms): an active override (the most recently started) > the active rule
// of the highest priority (ties: the most recently changed, then the larger assignment id) > the
// default playlist > the placeholder > nothing. Adjacent spans with the same cause are merged.
VC_API std::vector<TimelineEntry> resolve_timeline(const TimelineInput& input, const TimeZone& zone,
                                                   std::int64_t from_ms, std::int64_t to_ms);

// ---- where in a playlist ------------------------------------------------------------------------

// The step of a playlist that plays at `at_ms` when it started at `since_ms`, computed rather than
// remembered so that any instance (after a restart or a failover) continues at the same place.
struct VC_API PlaylistPosition {
  std::size_t step = 0;          // index into the steps as given
  std::int64_t offset_ms = 0;    // into that step
  std::int64_t step_begin_ms = 0;
  std::int64_t step_end_ms = 0;  // the next boundary
  std::uint64_t cycle = 0;       // 0 for the first pass
};
// `durations_ms`: each step's length (> 0). `loop`: start again after the last step; otherwise
// nullopt once the playlist has ended. `shuffle`: each cycle plays the steps in an order drawn from
// (seed, cycle), the same on every instance. nullopt as well when there are no steps or at_ms < since_ms.
VC_API std::optional<PlaylistPosition> playlist_position(const std::vector<std::int64_t>& durations_ms, bool loop,
                                                         bool shuffle, std::uint64_t seed, std::int64_t since_ms,
                                                         std::int64_t at_ms);
// The order of a shuffled cycle: a permutation of 0..n-1 drawn from (seed, cycle).
VC_API std::vector<std::size_t> shuffle_order(std::size_t n, std::uint64_t seed, std::uint64_t cycle);

}  // namespace vc
