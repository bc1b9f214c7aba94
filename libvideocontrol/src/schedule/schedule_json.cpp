// parse_schedule / schedule_json / describe: the JSON form of a Schedule (fuzzed: fuzz/schedule_fuzz.cpp).
#include <array>

#include <fmt/format.h>
#include <rapidjson/document.h>

#include "videocontrol/json_writer.hpp"
#include "videocontrol/schedule.hpp"

namespace vc {

namespace {

using rapidjson::Value;

constexpr std::array<const char*, 7> kDays{"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
constexpr std::array<const char*, 7> kDayNames{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

Error bad(std::string message) { return make_error(ErrorCode::invalid, std::move(message)); }

// "HH:MM" → minutes; "24:00" only when allow_24.
std::optional<int> parse_hhmm(std::string_view s, bool allow_24) {
  if (s.size() != 5 || s[2] != ':') return std::nullopt;
  for (std::size_t i : {0u, 1u, 3u, 4u})
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
  const int h = (s[0] - '0') * 10 + (s[1] - '0');
  const int m = (s[3] - '0') * 10 + (s[4] - '0');
  if (m > 59) return std::nullopt;
  if (h == 24 && m == 0 && allow_24) return 1440;
  if (h > 23) return std::nullopt;
  return h * 60 + m;
}

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

std::optional<LocalDate> parse_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u})
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
  LocalDate d;
  d.year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
  d.month = (s[5] - '0') * 10 + (s[6] - '0');
  d.day = (s[8] - '0') * 10 + (s[9] - '0');
  static constexpr int kLen[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (d.year < 1970 || d.month < 1 || d.month > 12 || d.day < 1) return std::nullopt;
  const int len = kLen[d.month - 1] + (d.month == 2 && leap(d.year) ? 1 : 0);
  if (d.day > len) return std::nullopt;
  return d;
}

std::string hhmm(int minutes) { return fmt::format("{:02}:{:02}", minutes / 60, minutes % 60); }
std::string date_text(const LocalDate& d) { return fmt::format("{:04}-{:02}-{:02}", d.year, d.month, d.day); }

std::string_view str(const Value& v) { return {v.GetString(), v.GetStringLength()}; }

Result<TimeOfDayRange> parse_range(const Value& v, std::size_t i) {
  const std::string where = fmt::format("ranges[{}]", i);
  if (!v.IsObject()) return bad(where + " must be an object like {\"days\":[\"mon\"],\"start\":\"08:00\",\"end\":\"18:00\"}");
  TimeOfDayRange r;
  for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) {
    const std::string_view k = str(m->name);
    if (k != "days" && k != "start" && k != "end") return bad(fmt::format("{} has an unknown field '{}'; it accepts days, start and end", where, k));
  }
  const auto start = v.FindMember("start");
  const auto end = v.FindMember("end");
  if (start == v.MemberEnd() || !start->value.IsString()) return bad(where + ".start is required, a time like \"08:00\"");
  if (end == v.MemberEnd() || !end->value.IsString()) return bad(where + ".end is required, a time like \"18:00\"");
  const auto s = parse_hhmm(str(start->value), false);
  if (!s) return bad(fmt::format("{}.start '{}' is not a time from 00:00 to 23:59", where, str(start->value)));
  const auto e = parse_hhmm(str(end->value), true);
  if (!e) return bad(fmt::format("{}.end '{}' is not a time from 00:00 to 24:00", where, str(end->value)));
  r.start_min = *s;
  r.end_min = *e == 1440 && *s == 0 ? 0 : *e;  // 00:00–24:00 is the whole day
  if (*e == 1440 && *s != 0) r.end_min = 0;      // …–24:00 ends at midnight
  const auto days = v.FindMember("days");
  if (days != v.MemberEnd()) {
    if (!days->value.IsArray() || days->value.Empty())
      return bad(where + ".days must be a non-empty list of sun, mon, tue, wed, thu, fri, sat");
    r.weekdays = 0;
    for (const auto& d : days->value.GetArray()) {
      int found = -1;
      if (d.IsString())
        for (std::size_t k = 0; k < kDays.size(); ++k)
          if (str(d) == kDays[k]) found = static_cast<int>(k);
      if (found < 0) return bad(where + ".days must list sun, mon, tue, wed, thu, fri or sat");
      r.weekdays = static_cast<std::uint8_t>(r.weekdays | (1u << found));
    }
  }
  return r;
}

}  // namespace

Result<Schedule> parse_schedule(std::string_view json) {
  if (json.size() > 64 * 1024) return bad("a schedule is at most 64 KiB of JSON");
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseDefaultFlags | rapidjson::kParseIterativeFlag>(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) return bad("a schedule is a JSON object like {\"kind\":\"always\"}");
  Schedule s;
  const auto kind = doc.FindMember("kind");
  if (kind == doc.MemberEnd() || !kind->value.IsString())
    return bad("schedule.kind is required: always, weekly or cron");
  const std::string_view k = str(kind->value);
  if (k == "always") s.kind = Schedule::Kind::always;
  else if (k == "weekly" || k == "daily") s.kind = Schedule::Kind::weekly;
  else if (k == "cron") s.kind = Schedule::Kind::cron;
  else return bad(fmt::format("schedule.kind '{}' is unknown; use always, weekly or cron", k));
  for (auto m = doc.MemberBegin(); m != doc.MemberEnd(); ++m) {
    const std::string_view n = str(m->name);
    if (n != "kind" && n != "ranges" && n != "cron" && n != "duration_minutes" && n != "from_date" && n != "until_date")
      return bad(fmt::format("schedule has an unknown field '{}'; it accepts kind, ranges, cron, duration_minutes, from_date and until_date", n));
  }
  const auto ranges = doc.FindMember("ranges");
  if (s.kind == Schedule::Kind::weekly) {
    if (ranges == doc.MemberEnd() || !ranges->value.IsArray() || ranges->value.Empty())
      return bad("a weekly schedule needs ranges: [{\"days\":[\"mon\"],\"start\":\"08:00\",\"end\":\"18:00\"}]");
    if (ranges->value.Size() > 64) return bad("a schedule has at most 64 ranges");
    for (rapidjson::SizeType i = 0; i < ranges->value.Size(); ++i) {
      auto r = parse_range(ranges->value[i], i);
      if (!r.ok()) return std::move(r).error();
      s.ranges.push_back(*r);
    }
  } else if (ranges != doc.MemberEnd()) {
    return bad(fmt::format("schedule.ranges belongs to a weekly schedule, not to kind {}", k));
  }
  const auto cron = doc.FindMember("cron");
  const auto duration = doc.FindMember("duration_minutes");
  if (s.kind == Schedule::Kind::cron) {
    if (cron == doc.MemberEnd() || !cron->value.IsString()) return bad("a cron schedule needs cron, like \"0 9 * * mon-fri\"");
    auto c = CronExpression::parse(str(cron->value));
    if (!c.ok()) return std::move(c).error();
    s.cron = std::move(*c);
    if (duration != doc.MemberEnd()) {
      if (!duration->value.IsInt() || duration->value.GetInt() < 1 || duration->value.GetInt() > 10080)
        return bad("schedule.duration_minutes is a whole number from 1 to 10080 (a week)");
      s.duration_min = duration->value.GetInt();
    }
  } else if (cron != doc.MemberEnd() || duration != doc.MemberEnd()) {
    return bad(fmt::format("schedule.cron and duration_minutes belong to a cron schedule, not to kind {}", k));
  }
  for (const char* name : {"from_date", "until_date"}) {
    const auto f = doc.FindMember(name);
    if (f == doc.MemberEnd() || f->value.IsNull()) continue;
    std::optional<LocalDate> d;
    if (f->value.IsString()) d = parse_date(str(f->value));
    if (!d) return bad(fmt::format("schedule.{} is a date like \"2026-12-31\"", name));
    (std::string_view(name) == "from_date" ? s.from_date : s.until_date) = d;
  }
  if (s.from_date && s.until_date && *s.until_date < *s.from_date)
    return bad("schedule.until_date is before from_date");
  return s;
}

std::string schedule_json(const Schedule& s) {
  JsonWriter w;
  w.begin_object();
  switch (s.kind) {
    case Schedule::Kind::always: w.key("kind").value("always"); break;
    case Schedule::Kind::weekly:
      w.key("kind").value("weekly").key("ranges").begin_array();
      for (const auto& r : s.ranges) {
        w.begin_object().key("days").begin_array();
        for (std::size_t d = 0; d < kDays.size(); ++d)
          if (r.weekdays >> d & 1u) w.value(kDays[d]);
        w.end_array().key("start").value(hhmm(r.start_min)).key("end").value(hhmm(r.end_min)).end_object();
      }
      w.end_array();
      break;
    case Schedule::Kind::cron:
      w.key("kind").value("cron").key("cron").value(s.cron ? s.cron->text() : std::string()).key("duration_minutes").value(s.duration_min);
      break;
  }
  if (s.from_date) w.key("from_date").value(date_text(*s.from_date));
  if (s.until_date) w.key("until_date").value(date_text(*s.until_date));
  w.end_object();
  return std::move(w).str();
}

std::string describe(const Schedule& s) {
  std::string out;
  switch (s.kind) {
    case Schedule::Kind::always: out = "always"; break;
    case Schedule::Kind::weekly:
      for (const auto& r : s.ranges) {
        if (!out.empty()) out += ", ";
        if (r.weekdays == 0x7f) out += "daily";
        else if (r.weekdays == 0x3e) out += "Mon–Fri";
        else if (r.weekdays == 0x41) out += "Sat–Sun";
        else {
          std::string days;
          for (int d : {1, 2, 3, 4, 5, 6, 0})
            if (r.weekdays >> d & 1u) days += (days.empty() ? "" : " ") + std::string(kDayNames[static_cast<std::size_t>(d)]);
          out += days;
        }
        out += r.start_min == r.end_min ? " all day" : " " + hhmm(r.start_min) + "–" + hhmm(r.end_min);
      }
      break;
    case Schedule::Kind::cron:
      out = fmt::format("cron {} for {} min", s.cron ? s.cron->text() : std::string(), s.duration_min);
      break;
  }
  if (s.from_date && s.until_date) out += " from " + date_text(*s.from_date) + " to " + date_text(*s.until_date);
  else if (s.from_date) out += " from " + date_text(*s.from_date);
  else if (s.until_date) out += " until " + date_text(*s.until_date);
  return out;
}

}  // namespace vc
