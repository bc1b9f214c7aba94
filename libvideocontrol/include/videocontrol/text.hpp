// Small text helpers shared by the library, the server and the CLI: trimming, comma lists, hex and
// base64 (libsodium's codecs: constant-time, strict), so nobody writes them again.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "videocontrol/export.hpp"
#include "videocontrol/result.hpp"

namespace vc::text {

// Without leading and trailing spaces and tabs.
VC_API std::string_view trim(std::string_view s) noexcept;

// "a, b,,c" → {"a","b","c"}: split at `sep`, each item trimmed, empty items dropped.
VC_API std::vector<std::string> split_list(std::string_view s, char sep = ',');

// Lower-case hex of the bytes.
VC_API std::string to_hex(std::string_view bytes);

enum class Base64 {
  standard,      // RFC 4648 §4 with '=' padding (Engine.IO binary packets)
  url_unpadded,  // RFC 4648 §5 without padding (JWT, RFC 7515 §2)
};

VC_API std::string base64_encode(std::string_view bytes, Base64 variant);
// Strict: one accepted spelling per byte string (padding exactly as the variant says, no characters
// outside the alphabet, no stray bits). Errors: invalid.
VC_API Result<std::string> base64_decode(std::string_view text, Base64 variant);

// "byte 0x1f" or "'x'": how an error message names one byte of untrusted input.
VC_API std::string describe_byte(char c);

// Percent-encodes everything but RFC 3986's unreserved characters (A-Z a-z 0-9 - . _ ~), for one
// path segment or query value.
VC_API std::string url_encode_component(std::string_view s);

// Well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates — a JSON "\udc00" decodes to one —
// nothing above U+10FFFF).
VC_API bool valid_utf8(std::string_view s) noexcept;

}  // namespace vc::text
