// Text that names things (file, device, organisation names): well-formed UTF-8, no characters that
// reorder what is displayed, one normal form. Private to the library.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vc::unicode {

// Bidirectional formatting characters (U+061C, U+200E, U+200F, U+202A…U+202E, U+2066…U+2069):
// in a name they make "report<U+202E>fdp.exe" read as "reportexe.pdf". REQUIRES: well-formed UTF-8.
std::optional<char32_t> first_bidi_control(std::string_view s);

// C1 control characters (U+0080…U+009F). REQUIRES: well-formed UTF-8.
std::optional<char32_t> first_c1_control(std::string_view s);

// Unicode Normalization Form C (composed: "й" as one code point, as macOS's decomposed names are
// not), so one name has one spelling whichever system sent it. REQUIRES: well-formed UTF-8.
// Throws std::bad_alloc when out of memory.
std::string nfc(std::string_view s);

// "U+202E".
std::string code_point_name(char32_t c);

}  // namespace vc::unicode
