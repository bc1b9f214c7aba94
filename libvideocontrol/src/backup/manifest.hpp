// The backup archive's two JSON documents (backup.hpp): manifest.json, the first entry, and
// end.json, the last. Parsing is strict (every field checked, unknown format versions refused), as
// the input is a file that may be damaged or hostile; fuzzed by fuzz/backup_manifest_fuzz.cpp.
// Private to the library.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "videocontrol/result.hpp"

namespace vc::backup {

constexpr int kFormatVersion = 1;
constexpr std::string_view kManifestName = "manifest.json";
constexpr std::string_view kEndName = "end.json";

struct TableFile {
  std::string table;        // "devices"; the entry is db/<table>.jsonl
  std::int64_t rows = 0;
  std::int64_t size = 0;
  std::string sha256;
};

struct BlobEntry {
  std::string hash;         // SHA-256 of the bytes; the entry is blobs/<hash>
  std::int64_t size = 0;
  bool included = true;     // false: in a base archive
};

struct DerivedEntry {
  std::string path;         // under derived/: <ab>/<hash>/<profile>/<name>
  std::int64_t size = 0;
  bool included = true;
};

struct Manifest {
  int format = kFormatVersion;
  std::string id;
  std::int64_t created_at_ms = 0;
  std::string backend;      // sqlite | postgresql
  int schema_version = 0;
  std::string organization; // slug of the organisation filter; empty = all
  std::string library_version;
  std::string base_id;      // incremental: the archive this one builds on
  std::vector<std::string> chain;  // every archive id blobs may come from (base, its base, …)
  std::vector<TableFile> tables;   // in restore order
  std::vector<BlobEntry> blobs;
  std::vector<DerivedEntry> derived;
};

struct DerivedSum {
  std::string path;
  std::string sha256;
};

struct EndMarker {
  std::string id;                       // the manifest's
  std::string manifest_sha256;
  std::int64_t entries = 0;             // archive entries before end.json
  std::vector<DerivedSum> derived;      // every included derived file
  std::vector<std::string> missing;     // "blobs/<hash>" or "derived/<path>" gone during the backup
};

std::string write_manifest(const Manifest& m);
Result<Manifest> parse_manifest(std::string_view json);

// end.json: the JSON document, a newline, and the SHA-256 of the document (hex) — so a damaged end
// marker is recognised even where the JSON would still parse.
std::string write_end(const EndMarker& e);
Result<EndMarker> parse_end(std::string_view text);

bool valid_sha256(std::string_view hex) noexcept;
// A relative path of safe components ([A-Za-z0-9._-], no leading '.', no empty parts, ≤ 512 bytes).
bool valid_relative_path(std::string_view path) noexcept;
// A table name: [a-z_]{1,64}.
bool valid_table(std::string_view name) noexcept;

}  // namespace vc::backup
