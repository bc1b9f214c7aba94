#include "rfc3339.hpp"

namespace vc::server {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// Reads exactly `n` digits at `pos`.
bool digits(std::string_view s, std::size_t& pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (std::size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  pos += n;
  return true;
}

bool expect(std::string_view s, std::size_t& pos, std::string_view chars) {
  if (pos >= s.size() || chars.find(s[pos]) == std::string_view::npos) return false;
  ++pos;
  return true;
}

}  // namespace

std::optional<std::int64_t> parse_rfc3339(std::string_view s) {
  std::size_t p = 0;
  int year, month, day, hour, minute, second;
  if (!digits(s, p, 4, year) || !expect(s, p, "-") || !digits(s, p, 2, month) || !expect(s, p, "-") ||
      !digits(s, p, 2, day) || !expect(s, p, "Tt ") || !digits(s, p, 2, hour) || !expect(s, p, ":") ||
      !digits(s, p, 2, minute) || !expect(s, p, ":") || !digits(s, p, 2, second))
    return std::nullopt;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12) return std::nullopt;
  const int month_days = kDays[month - 1] + (month == 2 && leap(year) ? 1 : 0);
  if (day < 1 || day > month_days || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  if (second == 60) second = 59;  // a leap second: the POSIX timeline has no room for it
  int millis = 0;
  if (p < s.size() && s[p] == '.') {
    ++p;
    std::size_t n = 0;
    for (; p < s.size() && s[p] >= '0' && s[p] <= '9'; ++p, ++n)
      if (n < 3) millis = millis * 10 + (s[p] - '0');
    if (n == 0) return std::nullopt;
    for (; n < 3; ++n) millis *= 10;
  }
  int offset_min = 0;
  if (p < s.size() && (s[p] == 'Z' || s[p] == 'z')) {
    ++p;
  } else if (p < s.size() && (s[p] == '+' || s[p] == '-')) {
    const int sign = s[p] == '-' ? -1 : 1;
    ++p;
    int oh, om;
    if (!digits(s, p, 2, oh) || !expect(s, p, ":") || !digits(s, p, 2, om) || oh > 23 || om > 59) return std::nullopt;
    offset_min = sign * (oh * 60 + om);
  } else {
    return std::nullopt;
  }
  if (p != s.size()) return std::nullopt;
  const std::int64_t days = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const std::int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_min * 60;
  return secs * 1000 + millis;
}

}  // namespace vc::server
