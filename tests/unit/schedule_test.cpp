// Schedules in time zones (libvideocontrol/src/schedule/): the DST matrix with every expected
// interval written out by hand in UTC, cron parsing and runs on change days, the timeline's order of
// preference, and playlist positions.
#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

#include "videocontrol/schedule.hpp"

using namespace vc;

namespace {

// Days since 1970-01-01 of a civil date (Howard Hinnant's days_from_civil), kept independent of
// the library under test.
std::int64_t days_from_civil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return static_cast<std::int64_t>(era) * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// A UTC instant in ms: utc(2026, 3, 29, 1, 0) = 2026-03-29T01:00Z.
std::int64_t utc(int y, unsigned mo, unsigned d, int h, int mi = 0) {
  return (days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60) * 1000;
}

TimeZone zone(const char* name) {
  auto z = TimeZone::locate(name);
  REQUIRE_MESSAGE(z.ok(), (z.ok() ? "" : z.error().message));
  return *z;
}

Schedule parsed(const std::string& json) {
  auto s = parse_schedule(json);
  REQUIRE_MESSAGE(s.ok(), (s.ok() ? "" : s.error().message));
  return *s;
}

Schedule daily(const char* start, const char* end) {
  return parsed(std::string(R"({"kind":"daily","ranges":[{"start":")") + start + R"(","end":")" + end + R"("}]})");
}

// The spans as "begin..end" in UTC for readable failures.
std::string show(const std::vector<TimeSpan>& spans) {
  std::string out;
  for (const auto& s : spans) out += std::to_string(s.begin_ms) + ".." + std::to_string(s.end_ms) + " ";
  return out;
}

void expect_spans(const std::vector<TimeSpan>& got, const std::vector<TimeSpan>& want) {
  INFO("got  " << show(got));
  INFO("want " << show(want));
  CHECK(got == want);
}

constexpr std::int64_t kHour = 3'600'000;

}  // namespace

TEST_SUITE("schedule") {

TEST_CASE("Europe/Berlin spring forward (2026-03-29, 02:00 CET → 03:00 CEST at 01:00Z)") {
  const auto berlin = zone("Europe/Berlin");
  const auto day_from = utc(2026, 3, 28, 23);  // local midnight, CET
  const auto day_to = utc(2026, 3, 29, 22);    // next local midnight, CEST: a 23-hour day
  // 01:00–03:00: from 01:00 CET until the clock jumps from 02:00 to 03:00, which ends it.
  expect_spans(active_spans(daily("01:00", "03:00"), berlin, day_from, day_to), {{utc(2026, 3, 29, 0), utc(2026, 3, 29, 1)}});
  // 02:15–02:45 lies inside the skipped hour: it does not happen that day.
  CHECK(active_spans(daily("02:15", "02:45"), berlin, day_from, day_to).empty());
  // 02:30–04:00 starts when the clock jumps to 03:00 CEST and ends at 04:00 CEST.
  expect_spans(active_spans(daily("02:30", "04:00"), berlin, day_from, day_to), {{utc(2026, 3, 29, 1), utc(2026, 3, 29, 2)}});
  // The whole day is 23 hours long.
  expect_spans(active_spans(daily("00:00", "24:00"), berlin, day_from, day_to), {{day_from, day_to}});
  CHECK(berlin.offset_s(utc(2026, 3, 29, 0, 59)) == 3600);
  CHECK(berlin.offset_s(utc(2026, 3, 29, 1)) == 7200);
  CHECK(berlin.format_local(utc(2026, 3, 29, 1)) == "2026-03-29T03:00:00+02:00");
}

TEST_CASE("Europe/Berlin fall back (2026-10-25, 03:00 CEST → 02:00 CET at 01:00Z)") {
  const auto berlin = zone("Europe/Berlin");
  const auto day_from = utc(2026, 10, 24, 22);  // local midnight, CEST
  const auto day_to = utc(2026, 10, 25, 23);    // next local midnight, CET: a 25-hour day
  // 02:00–02:30 happens twice: once in CEST, once in CET.
  expect_spans(active_spans(daily("02:00", "02:30"), berlin, day_from, day_to),
               {{utc(2026, 10, 25, 0), utc(2026, 10, 25, 0, 30)}, {utc(2026, 10, 25, 1), utc(2026, 10, 25, 1, 30)}});
  // 01:00–03:00 runs from 01:00 CEST to 03:00 CET: three real hours.
  expect_spans(active_spans(daily("01:00", "03:00"), berlin, day_from, day_to),
               {{utc(2026, 10, 24, 23), utc(2026, 10, 25, 2)}});
  // 02:30–02:00 (crossing midnight) on the change day: the clock reads 02:00–02:30 twice (inactive
  // both times), and 02:30–03:00 twice (active both times).
  const auto cross = active_spans(daily("02:30", "02:00"), berlin, day_from, day_to);
  expect_spans(cross, {{day_from, utc(2026, 10, 25, 0)},
                       {utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1)},
                       {utc(2026, 10, 25, 1, 30), day_to}});
  expect_spans(active_spans(daily("00:00", "24:00"), berlin, day_from, day_to), {{day_from, day_to}});
  CHECK(day_to - day_from == 25 * kHour);
}

TEST_CASE("America/New_York: a range crossing midnight on both change days") {
  const auto ny = zone("America/New_York");
  // Saturday 22:00 → Sunday 06:00, on Saturdays only: 7 real hours across the spring change
  // (2026-03-08 02:00 EST → 03:00 EDT at 07:00Z) and 9 across the fall change (2026-11-01 02:00 EDT
  // → 01:00 EST at 06:00Z).
  const auto sat_night = parsed(R"({"kind":"weekly","ranges":[{"days":["sat"],"start":"22:00","end":"06:00"}]})");
  expect_spans(active_spans(sat_night, ny, utc(2026, 3, 7, 12), utc(2026, 3, 8, 20)),
               {{utc(2026, 3, 8, 3), utc(2026, 3, 8, 10)}});
  expect_spans(active_spans(sat_night, ny, utc(2026, 10, 31, 12), utc(2026, 11, 1, 20)),
               {{utc(2026, 11, 1, 2), utc(2026, 11, 1, 11)}});
  // 01:00–02:00 on the fall day happens twice, back to back: two real hours.
  expect_spans(active_spans(daily("01:00", "02:00"), ny, utc(2026, 11, 1, 4), utc(2026, 11, 2, 5)),
               {{utc(2026, 11, 1, 5), utc(2026, 11, 1, 7)}});
  // …and on the spring day 02:00–03:00 does not exist.
  CHECK(active_spans(daily("02:00", "03:00"), ny, utc(2026, 3, 8, 5), utc(2026, 3, 9, 4)).empty());
}

TEST_CASE("Australia/Lord_Howe: a 30-minute shift") {
  const auto lh = zone("Australia/Lord_Howe");
  // Spring (2026-10-04 02:00 +10:30 → 02:30 +11:00 at 2026-10-03T15:30Z): 01:00–03:00 runs from
  // 01:00 +10:30 (14:30Z) to 03:00 +11:00 (16:00Z), 90 minutes.
  expect_spans(active_spans(daily("01:00", "03:00"), lh, utc(2026, 10, 3, 12), utc(2026, 10, 3, 20)),
               {{utc(2026, 10, 3, 14, 30), utc(2026, 10, 3, 16)}});
  // 02:00–02:30 is skipped.
  CHECK(active_spans(daily("02:00", "02:30"), lh, utc(2026, 10, 3, 12), utc(2026, 10, 3, 20)).empty());
  // Fall (2026-04-05 02:00 +11:00 → 01:30 +10:30 at 2026-04-04T15:00Z): 01:30–02:00 happens twice,
  // back to back (14:30Z–15:30Z); 01:00–03:00 lasts 150 minutes.
  expect_spans(active_spans(daily("01:30", "02:00"), lh, utc(2026, 4, 4, 10), utc(2026, 4, 4, 20)),
               {{utc(2026, 4, 4, 14, 30), utc(2026, 4, 4, 15, 30)}});
  expect_spans(active_spans(daily("01:00", "03:00"), lh, utc(2026, 4, 4, 10), utc(2026, 4, 4, 20)),
               {{utc(2026, 4, 4, 14), utc(2026, 4, 4, 16, 30)}});
  CHECK(lh.offset_s(utc(2026, 4, 4, 15)) == 10 * 3600 + 1800);
}

TEST_CASE("Asia/Kathmandu (+05:45) and Europe/Moscow (no DST)") {
  const auto ktm = zone("Asia/Kathmandu");
  expect_spans(active_spans(daily("09:00", "17:00"), ktm, utc(2026, 6, 1, 0), utc(2026, 6, 2, 0)),
               {{utc(2026, 6, 1, 3, 15), utc(2026, 6, 1, 11, 15)}});
  const auto msk = zone("Europe/Moscow");
  // Berlin's change days change nothing in Moscow.
  expect_spans(active_spans(daily("09:00", "18:00"), msk, utc(2026, 3, 28, 21), utc(2026, 3, 29, 21)),
               {{utc(2026, 3, 29, 6), utc(2026, 3, 29, 15)}});
  expect_spans(active_spans(daily("09:00", "18:00"), msk, utc(2026, 10, 24, 21), utc(2026, 10, 25, 21)),
               {{utc(2026, 10, 25, 6), utc(2026, 10, 25, 15)}});
}

TEST_CASE("cron 30 2 * * * on both change days") {
  auto c = CronExpression::parse("30 2 * * *");
  REQUIRE(c.ok());
  const auto berlin = zone("Europe/Berlin");
  // Spring: the day before at 02:30 CET, the change day when the skipped hour ends (03:00 CEST),
  // the day after at 02:30 CEST.
  CHECK(c->runs(berlin, utc(2026, 3, 27, 12), utc(2026, 3, 30, 12)) ==
        std::vector<std::int64_t>{utc(2026, 3, 28, 1, 30), utc(2026, 3, 29, 1), utc(2026, 3, 30, 0, 30)});
  // Fall: 02:30 comes twice on the change day; it runs once, at the first (CEST).
  CHECK(c->runs(berlin, utc(2026, 10, 23, 12), utc(2026, 10, 26, 12)) ==
        std::vector<std::int64_t>{utc(2026, 10, 24, 0, 30), utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)});
  const auto ny = zone("America/New_York");
  CHECK(c->runs(ny, utc(2026, 3, 7, 0), utc(2026, 3, 10, 0)) ==
        std::vector<std::int64_t>{utc(2026, 3, 7, 7, 30), utc(2026, 3, 8, 7), utc(2026, 3, 9, 6, 30)});
  // In New York the repeated hour is 01:00–02:00, so 02:30 is plain on the fall day.
  CHECK(c->runs(ny, utc(2026, 10, 31, 0), utc(2026, 11, 2, 0)) ==
        std::vector<std::int64_t>{utc(2026, 10, 31, 6, 30), utc(2026, 11, 1, 7, 30)});
  auto half_one = CronExpression::parse("30 1 * * *");
  REQUIRE(half_one.ok());
  CHECK(half_one->runs(ny, utc(2026, 11, 1, 0), utc(2026, 11, 2, 0)) == std::vector<std::int64_t>{utc(2026, 11, 1, 5, 30)});
  // Several skipped times run once, when the gap ends.
  auto every_quarter = CronExpression::parse("*/15 2 * * *");
  REQUIRE(every_quarter.ok());
  CHECK(every_quarter->runs(berlin, utc(2026, 3, 28, 23), utc(2026, 3, 29, 22)) == std::vector<std::int64_t>{utc(2026, 3, 29, 1)});
  // A cron schedule lasts its duration from each run.
  const auto s = parsed(R"({"kind":"cron","cron":"30 2 * * *","duration_minutes":45})");
  expect_spans(active_spans(s, berlin, utc(2026, 3, 28, 23), utc(2026, 3, 29, 22)),
               {{utc(2026, 3, 29, 1), utc(2026, 3, 29, 1, 45)}});
}

TEST_CASE("cron: fields, names, steps, the day rule, macros and next runs") {
  const auto msk = zone("Europe/Moscow");
  auto weekdays = CronExpression::parse("0 9 * * MON-fri");
  REQUIRE(weekdays.ok());
  // After Friday 2026-12-04 15:00 MSK: Monday to Friday of the next week at 09:00 MSK (06:00Z).
  CHECK(weekdays->next_runs(msk, utc(2026, 12, 4, 12), 5) ==
        std::vector<std::int64_t>{utc(2026, 12, 7, 6), utc(2026, 12, 8, 6), utc(2026, 12, 9, 6), utc(2026, 12, 10, 6),
                                  utc(2026, 12, 11, 6)});
  // 7 is Sunday as well as 0.
  auto sunday = CronExpression::parse("0 12 * * 7");
  REQUIRE(sunday.ok());
  CHECK(sunday->next_runs(msk, utc(2026, 12, 1, 0), 1) == std::vector<std::int64_t>{utc(2026, 12, 6, 9)});
  // Both day fields restricted: either matches (the 13th, or any Friday).
  auto either = CronExpression::parse("0 0 13 * fri");
  REQUIRE(either.ok());
  CHECK(either->matches_day(11, 13, 5));
  CHECK(either->matches_day(11, 6, 5));
  CHECK(either->matches_day(11, 13, 1));
  CHECK_FALSE(either->matches_day(11, 12, 4));
  // Steps and lists.
  auto steps = CronExpression::parse("*/20 8-10/2 1,15 jan,jul *");
  REQUIRE(steps.ok());
  CHECK(steps->runs(zone("UTC"), utc(2026, 1, 1, 0), utc(2026, 1, 2, 0)) ==
        std::vector<std::int64_t>{utc(2026, 1, 1, 8), utc(2026, 1, 1, 8, 20), utc(2026, 1, 1, 8, 40), utc(2026, 1, 1, 10),
                                  utc(2026, 1, 1, 10, 20), utc(2026, 1, 1, 10, 40)});
  // 29 February is found years ahead.
  auto leap = CronExpression::parse("0 0 29 2 *");
  REQUIRE(leap.ok());
  CHECK(leap->next_runs(zone("UTC"), utc(2026, 12, 1, 0), 1) == std::vector<std::int64_t>{utc(2028, 2, 29, 0)});
  auto daily_macro = CronExpression::parse("@daily");
  REQUIRE(daily_macro.ok());
  CHECK(daily_macro->next_runs(msk, utc(2026, 12, 1, 0), 2) == std::vector<std::int64_t>{utc(2026, 12, 1, 21), utc(2026, 12, 2, 21)});

  for (const char* bad : {"", "* * * *", "* * * * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * 32 * *", "* * * 13 *",
                          "* * * * 8", "*/0 * * * *", "5-1 * * * *", "a * * * *", "* * * foo *", "1,,2 * * * *", "@often",
                          "*/99 * * * *", "1- * * * *"}) {
    INFO(bad);
    auto r = CronExpression::parse(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::invalid);
  }
  auto r = CronExpression::parse("0 25 * * *");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("hour") != std::string::npos);
}

TEST_CASE("schedule JSON: round trip, date ranges and errors") {
  const auto s = parsed(R"({"kind":"weekly","ranges":[{"days":["mon","fri"],"start":"08:00","end":"18:30"}],"from_date":"2026-12-01","until_date":"2026-12-31"})");
  CHECK(schedule_json(s) == R"({"kind":"weekly","ranges":[{"days":["mon","fri"],"start":"08:00","end":"18:30"}],"from_date":"2026-12-01","until_date":"2026-12-31"})");
  CHECK(describe(s) == "Mon Fri 08:00–18:30 from 2026-12-01 to 2026-12-31");
  CHECK(schedule_json(parsed(schedule_json(s))) == schedule_json(s));
  CHECK(describe(daily("22:00", "06:00")) == "daily 22:00–06:00");
  CHECK(describe(parsed(R"({"kind":"cron","cron":"0 9 * * 1-5","duration_minutes":30})")) == "cron 0 9 * * 1-5 for 30 min");

  // The date range limits an "always" schedule to local dates (Berlin: midnight is 23:00Z in winter).
  const auto december = parsed(R"({"kind":"always","from_date":"2026-12-24","until_date":"2026-12-26"})");
  expect_spans(active_spans(december, zone("Europe/Berlin"), utc(2026, 12, 1, 0), utc(2027, 1, 1, 0)),
               {{utc(2026, 12, 23, 23), utc(2026, 12, 26, 23)}});
  // A range crossing midnight on the last date stops at the end of that date.
  const auto nights = parsed(R"({"kind":"weekly","ranges":[{"start":"22:00","end":"02:00"}],"until_date":"2026-12-02"})");
  expect_spans(active_spans(nights, zone("UTC"), utc(2026, 12, 1, 0), utc(2026, 12, 4, 0)),
               {{utc(2026, 12, 1, 0), utc(2026, 12, 1, 2)}, {utc(2026, 12, 1, 22), utc(2026, 12, 2, 2)},
                {utc(2026, 12, 2, 22), utc(2026, 12, 3, 0)}});

  for (const char* bad : {"", "[]", "{}", R"({"kind":"sometimes"})", R"({"kind":"weekly"})", R"({"kind":"weekly","ranges":[]})",
                          R"({"kind":"weekly","ranges":[{"start":"8:00","end":"18:00"}]})",
                          R"({"kind":"weekly","ranges":[{"start":"08:00","end":"24:01"}]})",
                          R"({"kind":"weekly","ranges":[{"start":"24:00","end":"01:00"}]})",
                          R"({"kind":"weekly","ranges":[{"days":["monday"],"start":"08:00","end":"18:00"}]})",
                          R"({"kind":"weekly","ranges":[{"days":[],"start":"08:00","end":"18:00"}]})",
                          R"({"kind":"weekly","ranges":[{"start":"08:00","end":"18:00","x":1}]})",
                          R"({"kind":"cron"})", R"({"kind":"cron","cron":"* * *"})",
                          R"({"kind":"cron","cron":"* * * * *","duration_minutes":0})",
                          R"({"kind":"always","cron":"* * * * *"})", R"({"kind":"always","from_date":"2026-02-30"})",
                          R"({"kind":"always","from_date":"2026-12-02","until_date":"2026-12-01"})",
                          R"({"kind":"always","colour":"red"})"}) {
    INFO(bad);
    auto r = parse_schedule(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::invalid);
    CHECK_FALSE(r.error().message.empty());
  }
  CHECK_FALSE(TimeZone::locate("Mars/Olympus").ok());
  CHECK_FALSE(TimeZone::locate("").ok());
}

TEST_CASE("timeline: override > priority (ties: most recently changed) > default playlist > placeholder") {
  const auto z = zone("UTC");
  const auto day = utc(2026, 12, 7, 0);  // a Monday
  TimelineInput in;
  ScheduleRule office;  // priority 1, 08:00–18:00
  office.assignment_id = "a-office";
  office.playlist_id = "p-office";
  office.priority = 1;
  office.changed_at_ms = 100;
  office.schedule = daily("08:00", "18:00");
  ScheduleRule lunch;  // priority 5, 12:00–13:00, through a group
  lunch.assignment_id = "a-lunch";
  lunch.playlist_id = "p-lunch";
  lunch.group_id = "g-lobby";
  lunch.priority = 5;
  lunch.changed_at_ms = 50;
  lunch.schedule = daily("12:00", "13:00");
  ScheduleRule rival;  // priority 1 like office, changed later: wins their tie 09:00–10:00
  rival.assignment_id = "a-rival";
  rival.playlist_id = "p-rival";
  rival.priority = 1;
  rival.changed_at_ms = 200;
  rival.schedule = daily("09:00", "10:00");
  in.rules = {office, lunch, rival};
  in.default_playlist_id = "p-default";
  in.placeholder_media_id = "m-placeholder";
  OverrideRule fire;
  fire.override_id = "o-fire";
  fire.message = "Evacuate";
  fire.starts_ms = day + 15 * kHour;
  fire.ends_ms = day + 15 * kHour + 30 * 60'000;
  in.overrides = {fire};

  const auto t = resolve_timeline(in, z, day, day + 24 * kHour);
  std::vector<std::string> got;
  for (const auto& e : t)
    got.push_back(std::string(to_string(e.source)) + ":" + (e.playlist_id.empty() ? e.override_id : e.playlist_id) + "@" +
                  std::to_string((e.span.begin_ms - day) / 60'000) + "-" + std::to_string((e.span.end_ms - day) / 60'000));
  CHECK(got == std::vector<std::string>{
                   "default_playlist:p-default@0-480", "assignment:p-office@480-540", "assignment:p-rival@540-600",
                   "assignment:p-office@600-720", "assignment:p-lunch@720-780", "assignment:p-office@780-900",
                   "override:o-fire@900-930", "assignment:p-office@930-1080", "default_playlist:p-default@1080-1440"});
  CHECK(t[4].group_id == "g-lobby");
  CHECK(t[4].priority == 5);
  CHECK(t[6].message == "Evacuate");

  // Without a default playlist the placeholder fills the gaps; without either, nothing.
  in.default_playlist_id.clear();
  CHECK(resolve_timeline(in, z, day, day + kHour).at(0).source == TimelineSource::placeholder);
  CHECK(resolve_timeline(in, z, day, day + kHour).at(0).media_id == "m-placeholder");
  in.placeholder_media_id.clear();
  CHECK(resolve_timeline(in, z, day, day + kHour).at(0).source == TimelineSource::nothing);
  // Spans touching and with the same cause are one entry; an override without an end lasts.
  in.overrides[0].ends_ms = 0;
  const auto open = resolve_timeline(in, z, day, day + 24 * kHour);
  CHECK(open.back().source == TimelineSource::override_);
  CHECK(open.back().span == TimeSpan{day + 15 * kHour, day + 24 * kHour});
}

TEST_CASE("playlist positions: sequential, looping, ending, shuffled the same everywhere") {
  const std::vector<std::int64_t> d{10'000, 20'000, 5'000};  // a 35-second cycle
  auto p = playlist_position(d, true, false, 0, 1'000, 1'000);
  REQUIRE(p);
  CHECK(p->step == 0);
  CHECK(p->offset_ms == 0);
  CHECK(p->step_end_ms == 11'000);
  p = playlist_position(d, true, false, 0, 1'000, 1'000 + 29'999);
  REQUIRE(p);
  CHECK(p->step == 1);
  CHECK(p->offset_ms == 19'999);
  CHECK(p->step_end_ms == 31'000);
  p = playlist_position(d, true, false, 0, 0, 35'000 * 3 + 31'000);
  REQUIRE(p);
  CHECK(p->step == 2);
  CHECK(p->cycle == 3);
  CHECK(p->step_begin_ms == 35'000 * 3 + 30'000);
  CHECK_FALSE(playlist_position(d, false, false, 0, 0, 35'000));
  CHECK_FALSE(playlist_position({}, true, false, 0, 0, 0));
  CHECK_FALSE(playlist_position(d, true, false, 0, 10, 9));

  // A shuffled cycle plays every step once; cycles differ; the same seed gives the same order.
  std::vector<std::int64_t> ten(10, 1'000);
  std::set<std::size_t> seen;
  for (int i = 0; i < 10; ++i) seen.insert(playlist_position(ten, true, true, 42, 0, i * 1'000 + 500)->step);
  CHECK(seen.size() == 10);
  CHECK(shuffle_order(10, 42, 0) == shuffle_order(10, 42, 0));
  CHECK(shuffle_order(10, 42, 0) != shuffle_order(10, 42, 1));
  CHECK(shuffle_order(10, 42, 0) != shuffle_order(10, 43, 0));
  auto order = shuffle_order(10, 42, 7);
  CHECK(playlist_position(ten, true, true, 42, 0, 70'000 + 3'500)->step == order[3]);
}

}  // TEST_SUITE
