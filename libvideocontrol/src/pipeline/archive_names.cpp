// Entry names of archives: the safety check, the junk list and natural order. Pure functions without
// libarchive, so that the fuzz target (fuzz/archive_names_fuzz.cpp) links without it.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "pipeline/archive.hpp"
#include "util/utf8.hpp"

namespace vc::pipeline {
namespace {

constexpr std::size_t kMaxNameBytes = 1024;
constexpr std::size_t kMaxComponents = 32;
constexpr std::size_t kShownNameBytes = 80;

bool is_separator(char c) { return c == '/' || c == '\\'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ascii_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
unsigned char fold(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u >= 'A' && u <= 'Z' ? static_cast<unsigned char>(u - 'A' + 'a') : u;
}

// The entry name for an error message: names come from untrusted archives, so control bytes and
// invalid UTF-8 are shown escaped (they would garble a log line or a JSON error body), and long
// names are cut.
std::string shown(std::string_view name) {
  std::string out;
  for (std::size_t i = 0; i < name.size() && out.size() < kShownNameBytes;) {
    const auto c = static_cast<unsigned char>(name[i]);
    const std::size_t n = utf8::sequence_length(name, i);
    const bool c1 = n == 2 && c == 0xc2 && static_cast<unsigned char>(name[i + 1]) <= 0x9f;
    if (n == 0 || c < 0x20 || c == 0x7f || c == '\'' || c1) {
      out += fmt::format("\\x{:02x}", c);
      ++i;
    } else {
      out.append(name.substr(i, n));
      i += n;
    }
  }
  if (out.size() >= kShownNameBytes) out += "…";
  return out;
}

Error refused(std::string_view name, std::string_view why) {
  return make_error(ErrorCode::invalid, fmt::format("archive entry '{}' {}", shown(name), why));
}

// C0 and C1 control characters (C1 as their UTF-8 encoding U+0080..U+009F: terminals act on them).
bool has_control_character(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return true;
    if (c == 0xc2 && i + 1 < s.size()) {
      const auto next = static_cast<unsigned char>(s[i + 1]);
      if (next >= 0x80 && next <= 0x9f) return true;
    }
  }
  return false;
}

bool equals_folded(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (fold(a[i]) != fold(b[i])) return false;
  return true;
}

}  // namespace

Result<std::string> check_entry_name(std::string_view name) {
  if (name.empty()) return refused(name, "has an empty name");
  if (name.find('\0') != std::string_view::npos) return refused(name, "contains a NUL byte");
  if (name.size() > kMaxNameBytes)
    return refused(name, fmt::format("has a name longer than {} bytes", kMaxNameBytes));
  if (!utf8::valid(name)) return refused(name, "has a name that is not valid UTF-8");
  if (has_control_character(name)) return refused(name, "contains control characters");
  if (is_separator(name.front())) return refused(name, "has an absolute path; only relative paths are allowed");

  std::vector<std::string_view> parts;
  for (std::size_t i = 0; i < name.size();) {
    std::size_t end = i;
    while (end < name.size() && !is_separator(name[end])) ++end;
    const std::string_view part = name.substr(i, end - i);
    i = end + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") return refused(name, "climbs out of the archive with '..'");
    parts.push_back(part);
  }
  if (parts.empty()) return refused(name, "has no file name");
  // "C:\x", "C:x" and "C:/x" are absolute or drive-relative on Windows, where the archive may be
  // unpacked again after a download. Checked on the normalised first component so that "./C:/x"
  // cannot slip through (and so that the check is idempotent).
  if (parts.front().size() >= 2 && is_ascii_letter(parts.front()[0]) && parts.front()[1] == ':')
    return refused(name, "names a Windows drive; only relative paths are allowed");
  if (parts.size() > kMaxComponents)
    return refused(name, fmt::format("is nested deeper than {} folders", kMaxComponents));

  std::string out;
  out.reserve(name.size());
  for (const std::string_view part : parts) {
    if (!out.empty()) out.push_back('/');
    out.append(part);
  }
  return out;
}

bool is_archive_junk(std::string_view path) {
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view part = path.substr(start, end - start);
    // Resource forks and Finder/Explorer metadata; compared without case because the archivers
    // that add them run on case-insensitive file systems.
    if (equals_folded(part, "__MACOSX") || part.substr(0, 2) == "._" || equals_folded(part, ".DS_Store") ||
        equals_folded(part, "Thumbs.db") || equals_folded(part, "desktop.ini"))
      return true;
    start = end + 1;
  }
  return false;
}

// Three keys compared in turn, each a function of one string alone, so the result is a strict total
// order (std::sort and friends need at least a strict weak order; a total one makes the numbering
// of a folder's pages reproducible):
//  1. the sequence of tokens: a digit run by its value (length once leading zeros are stripped, then
//     digits; no integer conversion, so runs of any length work), any other byte ASCII-case-folded;
//  2. the leading-zero counts of the digit runs, fewer first ("1" < "01");
//  3. the bytes.
// A digit run against another byte compares as its first digit: no folded non-digit falls inside
// '0'..'9', so this is consistent with comparing the bytes.
bool natural_less(std::string_view a, std::string_view b) {
  std::size_t i = 0, j = 0;
  int zeros_tie = 0;  // key 2: <0 when a has fewer leading zeros at the first run where they differ
  while (i < a.size() && j < b.size()) {
    if (is_digit(a[i]) && is_digit(b[j])) {
      std::size_t ai = i, bj = j;
      while (ai < a.size() && a[ai] == '0') ++ai;
      while (bj < b.size() && b[bj] == '0') ++bj;
      std::size_t ae = ai, be = bj;
      while (ae < a.size() && is_digit(a[ae])) ++ae;
      while (be < b.size() && is_digit(b[be])) ++be;
      // A run of zeros only ("000") has value 0 and an empty significant part.
      if (ae - ai != be - bj) return ae - ai < be - bj;
      if (const int c = a.substr(ai, ae - ai).compare(b.substr(bj, be - bj)); c != 0) return c < 0;
      if (zeros_tie == 0 && ai - i != bj - j) zeros_tie = ai - i < bj - j ? -1 : 1;
      i = ae;
      j = be;
      continue;
    }
    const unsigned char x = fold(a[i]), y = fold(b[j]);
    if (x != y) return x < y;
    ++i;
    ++j;
  }
  if (i < a.size() || j < b.size()) return j < b.size();  // a's tokens are a prefix of b's, or the reverse
  if (zeros_tie != 0) return zeros_tie < 0;
  return a < b;
}

}  // namespace vc::pipeline
