// BlobStore: media bytes, addressed by their SHA-256 (DESIGN.md principles 5 and 6).
//
// Bytes are written to a temporary file while being hashed, and become visible only through an
// atomic rename to a path derived from the hash, so a crash leaves either nothing or a complete
// blob, and no user-supplied string ever becomes a path. Implementations are safe for concurrent
// use; one BlobWriter belongs to one upload.
#pragma once

#include "videocontrol/export.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "videocontrol/result.hpp"

namespace vc {

struct VC_API BlobInfo {
  std::string hash;   // SHA-256, lower-case hex
  std::int64_t size = 0;
  std::string head;   // the first bytes (up to 4 KiB), for content sniffing
};

class VC_API BlobWriter {
 public:
  // Destroying a writer that was not committed deletes its temporary file.
  virtual ~BlobWriter() = default;
  // Appends bytes. Errors: too_large past the writer's byte limit, unavailable on a disk error.
  virtual Result<void> write(std::string_view bytes) = 0;
  // Flushes and returns the hash; the bytes are still temporary. REQUIRES: called once.
  virtual Result<BlobInfo> finish() = 0;
  // Moves the bytes into place (durably: fsync before rename). When a blob with the same hash is
  // already stored, the temporary file is dropped instead. REQUIRES: finish() succeeded.
  virtual Result<void> commit() = 0;
  // Where the bytes are until commit, to read them back (packing a directory upload into a folder);
  // empty when the store keeps no local file.
  virtual std::string temporary_path() const { return {}; }
};

struct VC_API BlobFile {
  std::string path;       // derived from the hash only
  std::int64_t size = 0;
  std::int64_t mtime_ms = 0;
};

struct VC_API StoredBlob {
  std::string hash;       // SHA-256, lower-case hex
  std::int64_t size = 0;
  std::int64_t mtime_ms = 0;  // wall clock (ms since the epoch) of the last change of the bytes
};

class VC_API BlobStore {
 public:
  virtual ~BlobStore() = default;
  // Errors: unavailable when the temporary file cannot be created.
  virtual Result<std::unique_ptr<BlobWriter>> create(std::uint64_t max_bytes) = 0;
  // Errors: invalid for a malformed hash, not_found when absent.
  virtual Result<BlobFile> locate(std::string_view hash) = 0;
  // Deletes the bytes (absent is fine).
  virtual Result<void> remove(std::string_view hash) = 0;
  // Every stored blob (not the temporary files of uploads in progress), in no particular order.
  // Errors: unavailable when the store cannot be read.
  virtual Result<std::vector<StoredBlob>> list() = 0;
  // Deletes temporary files left behind by a crash; returns how many.
  virtual Result<int> remove_leftovers() = 0;
  // Whether the store can take new bytes now (for the disk store: its folders exist and are
  // writable). Cheap; for readiness checks.
  virtual bool healthy() const = 0;
};

// Blobs under root/blobs/ab/<hash>, temporaries under root/tmp. Creates the folders.
VC_API Result<std::unique_ptr<BlobStore>> make_disk_blob_store(const std::string& root);

}  // namespace vc
