// Backup and restore of one installation (issue 15): its database, media bytes (blobs), derived
// files and settings, as one portable archive.
//
//   vc::BackupOptions b{.database_url = "sqlite:///srv/vc/videocontrol.db", .content_dir = "/srv/vc/content"};
//   auto report = vc::backup_installation(b, "/backup/vc-2024-05-01.vcbak");
//
//   vc::RestoreOptions r{.database_url = "postgresql://vc@db/vc", .content_dir = "/srv/vc/content"};
//   auto restored = vc::restore_installation("/backup/vc-2024-05-01.vcbak", r);
//
// The archive is a POSIX (pax) tar file: manifest.json first (format, source backend, schema version,
// organisation filter, every table file's SHA-256 and size, every blob's hash and size, the base of
// an incremental backup), then db/<table>.jsonl (rows as JSON lines, portable between SQLite and
// PostgreSQL), blobs/<sha256>, derived/<path>, and end.json last (the manifest's SHA-256, every
// derived file's SHA-256, what went missing during the backup, and its own SHA-256), so a truncated
// or altered archive is recognised.
//
// Backup is online: every table is read in one snapshot transaction (SQLite WAL; PostgreSQL
// REPEATABLE READ), and the blobs that snapshot references are pinned (hard-linked) inside it, so a
// media item deleted meanwhile does not take its bytes from the backup. Restore verifies the whole
// archive (every checksum, every blob's SHA-256) before it changes anything, then writes the rows in
// one transaction and moves the bytes into place; the target must be empty.
//
// Both work on the disk blob store layout (<content_dir>/blobs/ab/<sha256>, <content_dir>/derived).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "videocontrol/export.hpp"
#include "videocontrol/result.hpp"

namespace vc {
class BlobStore;
}  // namespace vc

namespace vc {

// What is being done: phase ("database", "blobs", "derived", "verify", "restore"), bytes done and the
// phase's total (0 = unknown). Called from the calling thread.
using BackupProgress = std::function<void(std::string_view phase, std::uint64_t done, std::uint64_t total)>;

struct VC_API BackupOptions {
  std::string database_url;   // sqlite://… or postgresql://…
  std::string content_dir;    // the installation's content folder (blobs/, derived/)
  std::string organization;   // slug or id: only this organisation's rows and bytes; empty = all
  // An earlier archive of the same installation: blobs and derived files it (or its own bases)
  // holds are listed but not copied. Empty = a full backup.
  std::string incremental_from;
  BackupProgress progress;
  // Where the media bytes are when not under <content_dir>/blobs (BLOB_STORE=s3): each blob is read
  // through the store (an object store fetches it into its cache, checking its SHA-256). Bytes
  // deleted from the bucket during the backup are recorded as missing: an object store cannot pin.
  std::shared_ptr<BlobStore> blobs;
};

struct VC_API BackupReport {
  std::string id;                   // this archive's id (incremental backups name their base by it)
  std::string base_id;              // empty for a full backup
  std::string backend;              // "sqlite" or "postgresql"
  int schema_version = 0;
  std::int64_t rows = 0;
  std::int64_t blobs = 0;           // referenced by the snapshot
  std::int64_t blobs_copied = 0;    // of them, in this archive (the rest are in the base chain)
  std::int64_t blob_bytes_copied = 0;
  std::int64_t derived_files = 0;
  std::int64_t derived_copied = 0;
  std::uint64_t archive_bytes = 0;
  // Blobs and derived files deleted between the snapshot and their copy (their media was deleted
  // meanwhile): recorded in end.json, restored as missing. Normally empty.
  std::vector<std::string> missing;
};

// Writes the archive to `archive_path` (through "<archive_path>.partial", renamed when complete, so
// an interrupted backup never leaves a file that looks complete). Errors: invalid (options, unknown
// organisation, a base that is not a complete archive), unavailable (database, disk).
VC_API Result<BackupReport> backup_installation(const BackupOptions& options, const std::string& archive_path);

struct VC_API RestoreOptions {
  std::string database_url;   // the target; its database must be empty (or absent, for SQLite)
  std::string content_dir;
  // The archives an incremental archive builds on (its base, the base's base, …, any order).
  std::vector<std::string> bases;
  bool verify_only = false;   // check the archive (and bases) completely, change nothing
  BackupProgress progress;
  // The target's media bytes go into this store (BLOB_STORE=s3) instead of <content_dir>/blobs.
  std::shared_ptr<BlobStore> blobs;
};

struct VC_API RestoreReport {
  std::string id;
  std::string backend;         // of the source
  std::string organization;    // the organisation filter of the backup, empty = all
  int schema_version = 0;      // the archive's
  std::int64_t rows = 0;
  std::int64_t blobs = 0;
  std::int64_t derived_files = 0;
  std::uint64_t bytes = 0;     // blob and derived bytes written
  std::vector<std::string> missing;  // what the backup recorded as missing
};

// Verifies the archive completely, then restores it into an empty target. On any error the target
// is unchanged (an SQLite target that did not exist is not created). Errors: invalid (a damaged,
// truncated or altered archive; a missing base; a schema newer than this build), conflict (the
// target is not empty), unavailable (database, disk).
VC_API Result<RestoreReport> restore_installation(const std::string& archive_path, const RestoreOptions& options);

}  // namespace vc
