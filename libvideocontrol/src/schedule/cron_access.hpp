// The library's own access to a CronExpression's fields and a TimeZone's zone (parser and evaluator). Private.
#pragma once

#include <string>

#include "videocontrol/schedule.hpp"

namespace vc {

struct CronAccess {
  static void set(CronExpression& c, int field, std::uint64_t bits, bool any) {
    switch (field) {
      case 0: c.minutes_ = bits; break;
      case 1: c.hours_ = static_cast<std::uint32_t>(bits); break;
      case 2: c.days_ = static_cast<std::uint32_t>(bits); c.any_day_ = any; break;
      case 3: c.months_ = static_cast<std::uint16_t>(bits); break;
      default: c.weekdays_ = static_cast<std::uint8_t>(bits); c.any_weekday_ = any; break;
    }
  }
  static void text(CronExpression& c, std::string t) { c.text_ = std::move(t); }
  static bool hour(const CronExpression& c, int h) { return c.hours_ >> h & 1u; }
  static bool minute(const CronExpression& c, int m) { return c.minutes_ >> m & 1u; }
  static const void* zone(const TimeZone& z) { return z.zone_; }
};

}  // namespace vc
