// libFuzzer target for the backup archive's manifest.json and end.json parsers
// (libvideocontrol/src/backup/manifest.hpp): restore reads both from a file that may be damaged or
// hostile before it trusts anything else in the archive.
//
// The input is parsed as a manifest and as an end marker. Invariants: a refusal is `invalid` with a
// message; an accepted document only holds valid hashes, safe relative paths and table names, and
// writing it out and parsing it again gives the same document (write∘parse is a fixed point).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "backup/manifest.hpp"

#include "fuzz_check.hpp"

namespace {

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace vc::backup;
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  auto m = parse_manifest(input);
  if (!m) {
    FUZZ_CHECK(m.error().code == vc::ErrorCode::invalid && !m.error().message.empty());
  } else {
    for (const auto& b : m->blobs) FUZZ_CHECK(valid_sha256(b.hash));
    for (const auto& d : m->derived) FUZZ_CHECK(valid_relative_path(d.path) && d.path.find("..") != 0);
    for (const auto& t : m->tables) FUZZ_CHECK(valid_table(t.table) && valid_sha256(t.sha256));
    const std::string out = write_manifest(*m);
    auto again = parse_manifest(out);
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(write_manifest(*again) == out);
  }

  auto e = parse_end(input);
  if (!e) {
    FUZZ_CHECK(e.error().code == vc::ErrorCode::invalid && !e.error().message.empty());
  } else {
    FUZZ_CHECK(valid_sha256(e->manifest_sha256));
    const std::string out = write_end(*e);
    auto again = parse_end(out);
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(write_end(*again) == out);
  }
  return 0;
}
