// Identifier and secret generation.
#pragma once

#include "videocontrol/export.hpp"

#include <cstddef>
#include <string>

namespace vc {

class Clock;

// A UUIDv7 (RFC 9562) string: time-ordered, so ids sort by creation time, which keeps index
// inserts local and gives cursor pagination a natural order. Random bits come from libsodium.
VC_API std::string new_id(const Clock& clock);

// A random secret of `length` characters drawn from [A-Za-z0-9] (uniform, no modulo bias).
VC_API std::string random_secret(std::size_t length);

}  // namespace vc
