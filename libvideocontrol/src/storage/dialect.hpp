// Every SQL difference between the SQLite and PostgreSQL backends lives here.
#pragma once

#include <string>
#include <string_view>

namespace vc::storage {

enum class Dialect { sqlite, postgresql };

// Replaces the schema placeholders used by migrations:
//   {serial_pk}  auto-incrementing 64-bit primary key
std::string translate(Dialect d, std::string_view sql);

std::string_view begin_write(Dialect d);  // takes the write lock up front on SQLite
std::string_view begin_read(Dialect d);

// Serialises concurrent migrate() calls from several instances (inside the transaction).
std::string_view migration_lock(Dialect d);  // empty when BEGIN already serialises

// SELECT count(*) … that is 1 when the table `name` exists (bind the name as :name).
std::string_view table_exists_query(Dialect d);

// Appended to a locking sub-select: skip rows other transactions hold (PostgreSQL); SQLite has one
// writer at a time, so nothing to add.
std::string_view skip_locked(Dialect d);

}  // namespace vc::storage
