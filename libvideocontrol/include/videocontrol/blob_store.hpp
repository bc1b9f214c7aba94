// BlobStore: media bytes, addressed by their SHA-256 (DESIGN.md principles 5 and 6).
//
// Bytes are written to a temporary file while being hashed, and become visible only through an
// atomic rename to a path derived from the hash, so a crash leaves either nothing or a complete
// blob, and no user-supplied string ever becomes a path. Implementations are safe for concurrent
// use; one BlobWriter belongs to one upload.
#pragma once

#include "videocontrol/export.hpp"

#include <chrono>
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
  // Called after finish() and outside any database transaction: a store that is slow to take bytes
  // (an object store sends them over the network) does that here, so that commit(), which runs
  // inside the upload's transaction, stays quick. Returns whether it placed bytes in the store
  // (the caller collects them if its transaction fails). Optional; the default does nothing.
  virtual Result<bool> stage() { return false; }
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
  // Only from locate_for_delivery: a short-lived URL the client fetches the bytes from itself (an
  // object store's pre-signed URL); path is then empty.
  std::string url;
};

// What a download of a blob is served as (for a store that hands out URLs).
struct VC_API BlobDelivery {
  std::string content_type;   // sent back as the response's Content-Type
  std::int64_t size = 0;      // the blob's size, as recorded with it
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
  // A local file with the bytes (an object store fetches them into its cache first).
  // Errors: invalid for a malformed hash, not_found when absent, unavailable when they cannot be fetched.
  virtual Result<BlobFile> locate(std::string_view hash) = 0;
  // For sending the bytes to a client: a store that serves them itself returns a BlobFile with a
  // url; the default is locate().
  virtual Result<BlobFile> locate_for_delivery(std::string_view hash, const BlobDelivery& how) {
    (void)how;
    return locate(hash);
  }
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

// An S3-compatible bucket (AWS S3, Cloudflare R2, MinIO, Ceph RGW…), spoken to with signed
// (AWS Signature V4) requests. Objects are <prefix><hash[0..2]>/<hash>, immutable, one per distinct
// content; reference counts stay in the database as for the disk store.
struct VC_API S3Options {
  std::string endpoint;            // http(s)://host[:port], no path
  std::string bucket;
  std::string region = "us-east-1";
  std::string access_key_id;
  std::string secret_access_key;
  std::string prefix = "blobs/";   // key prefix inside the bucket
  bool virtual_hosted = false;     // false: path-style requests (endpoint/bucket/key)
  // Uploads are hashed into a local spool file first (an object's key is its SHA-256, known only
  // at the end), then sent in parts of this size: a part and the request's copy of it in memory per upload,
  // whatever the file size. 5 MiB .. 5 GiB.
  std::uint64_t part_bytes = 8ull << 20;
  // Local read cache of whole objects (for processing, proxied downloads and backups), evicted
  // least recently used first past this many bytes. Uploads and the cache live under cache_dir.
  std::string cache_dir;
  std::uint64_t cache_bytes = 1ull << 30;
  // true: downloads are answered with a redirect to a pre-signed URL valid for url_ttl;
  // false: the bytes pass through this process from the cache.
  bool redirect = true;
  std::chrono::seconds url_ttl{300};
  std::chrono::seconds timeout{30};  // connect/read/write per request
  std::string ca_file;               // extra trusted CA (PEM) for https endpoints; empty = system's
};

// Checks that the bucket answers (HEAD) before returning.
// Errors: invalid for incomplete options, unavailable when the bucket cannot be reached.
VC_API Result<std::unique_ptr<BlobStore>> make_s3_blob_store(const S3Options& options);

}  // namespace vc
