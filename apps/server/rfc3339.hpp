// Reading RFC 3339 timestamps, the form every time in the API is written in (vc::format_rfc3339).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace vc::server {

// "2026-01-31T12:00:00Z", "2026-01-31T12:00:00.250+02:00" → epoch milliseconds (fractions beyond
// milliseconds truncated; a leap second reads as :59); nullopt when the text is not an RFC 3339
// date-time with a zone.
std::optional<std::int64_t> parse_rfc3339(std::string_view text);

}  // namespace vc::server
