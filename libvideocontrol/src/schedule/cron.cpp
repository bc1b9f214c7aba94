// CronExpression::parse: the 5-field grammar (fuzzed: fuzz/cron_fuzz.cpp).
#include <array>
#include <cctype>
#include <string>

#include <fmt/format.h>

#include "schedule/cron_access.hpp"

namespace vc {

namespace {

struct Field {
  const char* name;
  int lo, hi;
  const char* names[12];  // for month (1..12) and weekday (0..6)
};

constexpr std::array<Field, 5> kFields{{
    {"minute", 0, 59, {}},
    {"hour", 0, 23, {}},
    {"day of month", 1, 31, {}},
    {"month", 1, 12, {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
    {"day of week", 0, 7, {"sun", "mon", "tue", "wed", "thu", "fri", "sat"}},
}};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Error field_error(const Field& f, std::string_view part, std::string_view why) {
  std::string accepts = fmt::format("{}-{}", f.lo, f.hi);
  if (f.names[0]) accepts += f.lo == 1 ? " or jan-dec" : " or sun-sat";
  return make_error(ErrorCode::invalid,
                    fmt::format("cron {} field '{}' {}; it accepts *, {}, lists (a,b), ranges (a-b) and steps (*/n, a-b/n)",
                                f.name, part, why, accepts));
}

// One number or name of a field; -1 when it is neither.
int value_of(const Field& f, std::string_view token) {
  if (token.empty() || token.size() > 3) return -1;
  if (std::isdigit(static_cast<unsigned char>(token[0]))) {
    int v = 0;
    for (char c : token) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return -1;
      v = v * 10 + (c - '0');
    }
    return v;
  }
  const std::string t = lower(token);
  for (int i = 0; i < 12 && f.names[i]; ++i)
    if (t == f.names[i]) return f.lo == 1 ? i + 1 : i;
  return -1;
}

Result<std::uint64_t> parse_field(const Field& f, std::string_view text, bool& any) {
  std::uint64_t bits = 0;
  // As in Vixie cron, a field starting with * (also */2) counts as unrestricted for the day rule.
  any = !text.empty() && (text[0] == '*' || text[0] == '?');
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t comma = text.find(',', pos);
    const std::string_view part = text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    if (part.empty()) return field_error(f, text, "has an empty item");
    std::string_view range = part;
    int step = 1;
    if (const auto slash = part.find('/'); slash != std::string_view::npos) {
      range = part.substr(0, slash);
      const std::string_view s = part.substr(slash + 1);
      int v = 0;
      if (s.empty() || s.size() > 2) return field_error(f, part, "has a bad step");
      for (char c : s) {
        if (!std::isdigit(static_cast<unsigned char>(c))) return field_error(f, part, "has a bad step");
        v = v * 10 + (c - '0');
      }
      if (v < 1 || v > f.hi) return field_error(f, part, "has a step out of range");
      step = v;
    }
    int a = f.lo, b = f.hi;
    if (range == "*" || range == "?") {
      // every value
    } else if (const auto dash = range.find('-'); dash != std::string_view::npos) {
      a = value_of(f, range.substr(0, dash));
      b = value_of(f, range.substr(dash + 1));
      if (a < 0 || b < 0) return field_error(f, part, "is not a number or name");
      if (a < f.lo || b > f.hi || a > b) return field_error(f, part, "is out of range");
    } else {
      a = value_of(f, range);
      if (a < 0) return field_error(f, part, "is not a number or name");
      if (a < f.lo || a > f.hi) return field_error(f, part, "is out of range");
      b = part.find('/') != std::string_view::npos ? f.hi : a;  // "5/15" = from 5 every 15
    }
    for (int v = a; v <= b; v += step) bits |= std::uint64_t{1} << (f.hi == 7 && v == 7 ? 0 : v);
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return bits;
}

}  // namespace

Result<CronExpression> CronExpression::parse(std::string_view text) {
  if (text.size() > 200) return make_error(ErrorCode::invalid, "a cron expression is at most 200 characters");
  std::string t(text);
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
  std::size_t start = 0;
  while (start < t.size() && std::isspace(static_cast<unsigned char>(t[start]))) ++start;
  t.erase(0, start);
  std::string fields_text = t;
  if (!t.empty() && t[0] == '@') {
    const std::string m = lower(t);
    if (m == "@yearly" || m == "@annually") fields_text = "0 0 1 1 *";
    else if (m == "@monthly") fields_text = "0 0 1 * *";
    else if (m == "@weekly") fields_text = "0 0 * * 0";
    else if (m == "@daily" || m == "@midnight") fields_text = "0 0 * * *";
    else if (m == "@hourly") fields_text = "0 * * * *";
    else
      return make_error(ErrorCode::invalid, fmt::format("cron macro '{}' is unknown; use @yearly, @monthly, @weekly, @daily or @hourly", t));
  }
  std::vector<std::string_view> parts;
  std::string_view rest(fields_text);
  while (!rest.empty()) {
    std::size_t i = 0;
    while (i < rest.size() && std::isspace(static_cast<unsigned char>(rest[i]))) ++i;
    rest.remove_prefix(i);
    if (rest.empty()) break;
    std::size_t j = 0;
    while (j < rest.size() && !std::isspace(static_cast<unsigned char>(rest[j]))) ++j;
    parts.push_back(rest.substr(0, j));
    rest.remove_prefix(j);
  }
  if (parts.size() != 5)
    return make_error(ErrorCode::invalid,
                      fmt::format("a cron expression has 5 fields (minute hour day-of-month month day-of-week), "
                                  "'{}' has {}", t, parts.size()));
  CronExpression c;
  for (int i = 0; i < 5; ++i) {
    bool any = false;
    auto bits = parse_field(kFields[static_cast<std::size_t>(i)], parts[static_cast<std::size_t>(i)], any);
    if (!bits.ok()) return std::move(bits).error();
    CronAccess::set(c, i, *bits, any);
  }
  CronAccess::text(c, t);
  return c;
}

bool CronExpression::matches_day(int month, int day, int weekday) const noexcept {
  if (!(months_ >> month & 1u)) return false;
  const bool d = days_ >> day & 1u;
  const bool w = weekdays_ >> weekday & 1u;
  if (any_day_ && any_weekday_) return true;
  if (any_day_) return w;
  if (any_weekday_) return d;
  return d || w;
}

}  // namespace vc
