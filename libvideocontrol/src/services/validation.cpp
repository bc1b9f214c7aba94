#include "validation.hpp"

#include <filesystem>

#include <fmt/format.h>

#include "../util/unicode.hpp"
#include "../util/utf8.hpp"

namespace vc {

Result<void> validate_name(std::string_view field, std::string_view value, std::size_t max) {
  if (value.find_first_not_of(" \t") == std::string_view::npos)
    return make_error(ErrorCode::invalid, fmt::format("{} must not be empty", field));
  if (value.size() > max)
    return make_error(ErrorCode::invalid, fmt::format("{} is too long: at most {} bytes", field, max));
  for (unsigned char c : value)
    if (c < 0x20 || c == 0x7f)
      return make_error(ErrorCode::invalid, fmt::format("{} must not contain control characters", field));
  if (!utf8::valid(value)) return make_error(ErrorCode::invalid, fmt::format("{} is not valid UTF-8", field));
  if (unicode::first_c1_control(value))
    return make_error(ErrorCode::invalid, fmt::format("{} must not contain control characters", field));
  if (auto bidi = unicode::first_bidi_control(value))
    return make_error(ErrorCode::invalid, fmt::format("{} contains {}, a character that changes the order in which "
                                                      "text is displayed", field, unicode::code_point_name(*bidi)));
  return {};
}

Result<void> validate_slug(std::string_view v) {
  const bool ok = v.size() >= 2 && v.size() <= 63 && v.front() != '-' && v.back() != '-' &&
                  v.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string_view::npos;
  if (!ok)
    return make_error(ErrorCode::invalid,
                      "slug must be 2-63 lower-case letters, digits and '-', not starting or ending with '-'");
  return {};
}

Result<void> validate_username(std::string_view v) {
  const bool ok = v.size() >= 3 && v.size() <= 64 &&
                  v.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.@-") ==
                      std::string_view::npos;
  if (!ok) return make_error(ErrorCode::invalid, "username must be 3-64 characters: letters, digits and _ . @ -");
  return {};
}

Result<void> validate_timezone(std::string_view v) {
  if (v == "UTC") return {};
  // An IANA name: Area/Location[/More], letters, digits, _ + -; never "..", never absolute. Only
  // after that check is it looked up in the system's zone database (when there is one).
  const bool shape = !v.empty() && v.size() <= 64 && v.front() != '/' && v.find("..") == std::string_view::npos &&
                     v.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+-/") ==
                         std::string_view::npos;
  if (!shape) return make_error(ErrorCode::invalid, fmt::format("timezone '{}' is not an IANA name like Europe/Berlin", v));
  const std::filesystem::path zoneinfo = "/usr/share/zoneinfo";
  std::error_code ec;
  if (std::filesystem::is_directory(zoneinfo, ec) && !std::filesystem::is_regular_file(zoneinfo / std::string(v), ec))
    return make_error(ErrorCode::invalid, fmt::format("timezone '{}' is unknown; use an IANA name like Europe/Berlin", v));
  return {};
}

Result<void> validate_plan(std::string_view v) {
  if (!is_valid_plan(v)) return make_error(ErrorCode::invalid, "plan must be one of FREE, STARTER, PRO, ENTERPRISE");
  return {};
}

Result<void> validate_page(const PageRequest& page) {
  if (page.limit < 1 || page.limit > 200) return make_error(ErrorCode::invalid, "limit must be between 1 and 200");
  if (page.cursor.size() > 64) return make_error(ErrorCode::invalid, "cursor is not one this server issued");
  return {};
}

Result<void> validate_limit_override(std::string_view field, const std::optional<std::int64_t>& v) {
  if (v && *v < 0) return make_error(ErrorCode::invalid, fmt::format("{} must be 0 or more, or null for the plan's value", field));
  return {};
}

}  // namespace vc
