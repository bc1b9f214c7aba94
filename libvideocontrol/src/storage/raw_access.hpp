// Raw SQL access to the library's own SOCI storage, for the backup module (src/backup), which reads
// and writes every table generically. Private to the library.
#pragma once

#include <functional>

#include <soci/soci.h>

#include "dialect.hpp"
#include "videocontrol/result.hpp"
#include "videocontrol/storage.hpp"

namespace vc::storage {

using RawFn = std::function<Result<void>(soci::session&, Dialect)>;

// Runs fn on one connection inside a read-only transaction that sees one snapshot of the whole
// database: SQLite's deferred BEGIN (WAL: the snapshot is taken at the first read and kept until
// the end), PostgreSQL's REPEATABLE READ (the plain read() is READ COMMITTED: a snapshot per
// statement). Errors: invalid when `storage` is not the library's SOCI storage.
Result<void> snapshot_read(Storage& storage, const RawFn& fn);

// Runs fn inside one write transaction (committed when fn returns ok).
Result<void> raw_transact(Storage& storage, const RawFn& fn);

// migrate(), but only up to `version` (a restore creates the schema of the archive, fills it, then
// migrates the rest).
Result<MigrationReport> migrate_up_to(Storage& storage, int version);

}  // namespace vc::storage
