// Storage: durable state behind an interface (DESIGN.md principle 2).
//
// A Storage owns a pool of database connections. All access goes through transact() or read(),
// which lend one connection to a callback as a StorageSession; the repositories reached from the
// session act inside that one transaction. Storage is safe for concurrent use from many threads:
// concurrent transactions each get their own connection, and writers are serialised by the
// database (SQLite: BEGIN IMMEDIATE with a busy timeout; PostgreSQL: row locks).
//
// Backends: SQLite (embedded default) and PostgreSQL, both through SOCI; the schema is versioned by
// migrations that migrate() applies. A database written by a newer VideoControl is refused.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "videocontrol/config.hpp"
#include "videocontrol/domain.hpp"
#include "videocontrol/result.hpp"

namespace vc {

class OrganizationRepository {
 public:
  virtual ~OrganizationRepository() = default;
  // Errors: conflict when the slug is taken.
  virtual Result<void> insert(const Organization& org) = 0;
  virtual Result<std::optional<Organization>> find(std::string_view id) = 0;
  virtual Result<std::int64_t> count() = 0;
};

class UserRepository {
 public:
  virtual ~UserRepository() = default;
  // Errors: conflict when the username is taken.
  virtual Result<void> insert(const User& user) = 0;
  virtual Result<std::optional<User>> find_by_username(std::string_view username) = 0;
  virtual Result<std::int64_t> count() = 0;
};

class AuditRepository {
 public:
  virtual ~AuditRepository() = default;
  virtual Result<void> append(const AuditEntry& entry) = 0;
  virtual Result<std::int64_t> count() = 0;
};

// One connection inside one transaction. Valid only during the transact()/read() callback.
class StorageSession {
 public:
  virtual ~StorageSession() = default;
  virtual OrganizationRepository& organizations() = 0;
  virtual UserRepository& users() = 0;
  virtual AuditRepository& audit() = 0;
};

struct MigrationReport {
  int from_version = 0;
  int to_version = 0;
  std::vector<std::string> applied;  // "0001_initial", … in order
};

class Storage {
 public:
  virtual ~Storage() = default;

  virtual std::string_view backend_name() const noexcept = 0;  // "sqlite" or "postgresql"

  // A cheap round trip to the database. Errors: unavailable.
  virtual Result<void> ping() = 0;

  // The highest applied migration (0 for an empty database).
  virtual Result<int> schema_version() = 0;

  // Applies every migration newer than schema_version(), each in its own transaction; re-running
  // is a no-op. Errors: unavailable when the database was written by a newer version (its schema
  // version is above latest_schema_version()); internal when a migration fails (nothing of it kept).
  virtual Result<MigrationReport> migrate() = 0;

  // Runs fn inside one write transaction: committed when fn returns ok, rolled back when it returns
  // an error or throws. Errors from the database map to unavailable/conflict.
  virtual Result<void> transact(const std::function<Result<void>(StorageSession&)>& fn) = 0;

  // Runs fn inside a read-only transaction (no write lock taken).
  virtual Result<void> read(const std::function<Result<void>(StorageSession&)>& fn) = 0;
};

struct StorageOptions {
  DatabaseUrl url;
  unsigned pool_size = 4;
  int busy_timeout_ms = 5000;
};

// Opens (and for SQLite creates) the database. Does not migrate.
// Errors: invalid for an unusable URL, unavailable when the database cannot be reached.
Result<std::unique_ptr<Storage>> open_storage(const StorageOptions& options);

// The schema version this build writes.
int latest_schema_version() noexcept;

}  // namespace vc
