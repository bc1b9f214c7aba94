// Fuzzes the entry-name rules of ZIP folders (libvideocontrol/src/pipeline/archive_names.cpp): any
// bytes are either refused with `invalid` or become a safe relative path that checks again to itself;
// natural_less stays a strict total order on any strings.
//
// Input: the whole input is an entry name; its halves, and its thirds, are compared by natural_less.
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <string>
#include <string_view>

#include "pipeline/archive.hpp"

namespace {

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant failed: %s\n", what);
    std::abort();
  }
}

void check_name(std::string_view in) {
  auto r = vc::pipeline::check_entry_name(in);
  if (!r) {
    require(r.error().code == vc::ErrorCode::invalid, "a refused name is `invalid`");
    require(!r.error().message.empty(), "a refusal says why");
    return;
  }
  const std::string& out = *r;
  require(!out.empty(), "not empty");
  require(out.size() <= in.size(), "never longer than the input");
  require(out.front() != '/', "not absolute");
  const bool letter = (out[0] >= 'a' && out[0] <= 'z') || (out[0] >= 'A' && out[0] <= 'Z');
  require(!(letter && out.size() >= 2 && out[1] == ':'), "no drive letter");
  require(out.find('\\') == std::string::npos, "no backslash");
  for (unsigned char c : out) require(c >= 0x20 && c != 0x7f, "no control bytes");
  std::size_t parts = 0;
  for (std::size_t start = 0; start <= out.size(); ++parts) {
    std::size_t end = out.find('/', start);
    if (end == std::string::npos) end = out.size();
    const std::string_view part = std::string_view(out).substr(start, end - start);
    require(!part.empty(), "no empty component");
    require(part != "." && part != "..", "no '.' or '..' component");
    start = end + 1;
  }
  require(parts <= 32, "at most 32 components");
  auto again = vc::pipeline::check_entry_name(out);
  require(again.ok() && *again == out, "idempotent");
  (void)vc::pipeline::is_archive_junk(out);
}

void check_order(std::string_view a, std::string_view b) {
  using vc::pipeline::natural_less;
  require(!natural_less(a, a), "irreflexive");
  const bool ab = natural_less(a, b), ba = natural_less(b, a);
  require(!(ab && ba), "asymmetric");
  require(a == b || ab || ba, "total");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  check_name(in);
  check_order(in.substr(0, size / 2), in.substr(size / 2));
  const std::string_view x = in.substr(0, size / 3), y = in.substr(size / 3, size / 3), z = in.substr(2 * (size / 3));
  check_order(x, z);
  using vc::pipeline::natural_less;
  // Transitive in every arrangement of the three thirds.
  const std::string_view s[3] = {x, y, z};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 3; ++k)
        if (natural_less(s[i], s[j]) && natural_less(s[j], s[k])) require(natural_less(s[i], s[k]), "transitive");
  return 0;
}
