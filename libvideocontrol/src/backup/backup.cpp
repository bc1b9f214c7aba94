// Backup and restore (backup.hpp). The database is dumped generically — every column of every table,
// as JSON lines with the column names and value kinds (integer, text, real, null) — so an archive of
// one backend restores into the other; the bytes are copied as they are (tar, no compression: media
// is compressed already).
#include "videocontrol/backup.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <soci/soci.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "auth/digest.hpp"
#include "backup/manifest.hpp"
#include "storage/raw_access.hpp"
#include "videocontrol/blob_store.hpp"
#include "videocontrol/clock.hpp"
#include "videocontrol/id.hpp"
#include "videocontrol/log.hpp"
#include "videocontrol/storage.hpp"
#include "videocontrol/text.hpp"
#include "videocontrol/version.hpp"

#define VC_BK_CAT2(a, b) a##b
#define VC_BK_CAT(a, b) VC_BK_CAT2(a, b)
#define VC_ASSIGN_R(lhs, expr)                                   \
  auto VC_BK_CAT(vc_bk_, __LINE__) = (expr);                     \
  if (!VC_BK_CAT(vc_bk_, __LINE__).ok())                         \
    return std::move(VC_BK_CAT(vc_bk_, __LINE__)).error();       \
  lhs = std::move(*VC_BK_CAT(vc_bk_, __LINE__))

namespace vc {
namespace {

namespace fs = std::filesystem;
using backup::BlobEntry;
using backup::DerivedEntry;
using backup::EndMarker;
using backup::Manifest;
using backup::TableFile;
using storage::Dialect;

constexpr std::size_t kChunk = 1 << 20;

// Every table of the schema in an order that satisfies the foreign keys (parents first); restore
// inserts in this order and empties in the reverse one. A table the database has and this list
// lacks fails the backup (a migration added a table and nobody taught backup about it), which the
// unit test `backup covers every table` also checks.
struct TableSpec {
  const char* name;
  const char* org_filter;  // WHERE clause with :org for an organisation backup; nullptr = every row
};
constexpr TableSpec kTables[] = {
    {"organizations", "id = :org"},
    {"users", "organization_id = :org"},
    {"sessions", "user_id IN (SELECT id FROM users WHERE organization_id = :org)"},
    {"api_keys", "organization_id = :org"},
    {"devices", "organization_id = :org"},
    {"device_state", "device_id IN (SELECT id FROM devices WHERE organization_id = :org)"},
    {"blobs", "hash IN (SELECT blob_hash FROM media WHERE organization_id = :org)"},
    {"media", "organization_id = :org"},
    {"device_media", "device_id IN (SELECT id FROM devices WHERE organization_id = :org)"},
    {"device_groups", "organization_id = :org"},
    {"device_group_members", "group_id IN (SELECT id FROM device_groups WHERE organization_id = :org)"},
    {"playlists", "organization_id = :org"},
    {"playlist_items", "playlist_id IN (SELECT id FROM playlists WHERE organization_id = :org)"},
    {"assignments", "organization_id = :org"},
    {"device_schedule", "device_id IN (SELECT id FROM devices WHERE organization_id = :org)"},
    {"overrides", "organization_id = :org"},
    {"webhooks", "organization_id = :org"},
    {"webhook_deliveries", "organization_id = :org"},
    {"jobs", "organization_id = :org"},
    {"audit_log", "organization_id = :org"},
    {"settings", nullptr},  // the installation's secrets (JWT key): needed by any restore
};
// What makes a target "not empty".
constexpr const char* kContentTables[] = {"organizations", "users", "devices", "media", "blobs"};

const TableSpec* find_table(std::string_view name) {
  for (const auto& t : kTables)
    if (name == t.name) return &t;
  return nullptr;
}

Error io_error(std::string_view what, int err = errno) {
  return make_error(ErrorCode::unavailable, fmt::format("{}: {}", what, std::strerror(err)));
}
Error damaged(std::string_view why) {
  return make_error(ErrorCode::invalid, fmt::format("the archive is damaged or incomplete: {}; nothing was restored", why));
}

class Sha256 {
 public:
  Sha256() : md_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(md_, EVP_sha256(), nullptr); }
  ~Sha256() { EVP_MD_CTX_free(md_); }
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* p, std::size_t n) { EVP_DigestUpdate(md_, p, n); }
  std::string hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(md_, md, &len);
    return text::to_hex(std::string_view(reinterpret_cast<const char*>(md), len));
  }

 private:
  EVP_MD_CTX* md_;
};

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { if (fd_ >= 0) ::close(fd_); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release_close() { int r = fd_ >= 0 ? ::close(fd_) : 0; fd_ = -1; return r; }

 private:
  int fd_;
};

Result<void> write_all(int fd, const char* p, std::size_t n, std::string_view what) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return io_error(what);
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return {};
}

void fsync_dir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

// Removes a folder tree when it goes out of scope, unless kept.
struct TempTree {
  fs::path path;
  bool keep = false;
  ~TempTree() {
    if (!keep && !path.empty()) {
      std::error_code ec;
      fs::remove_all(path, ec);
    }
  }
};

std::string blob_path(const fs::path& content, std::string_view hash) {
  return (content / "blobs" / std::string(hash.substr(0, 2)) / std::string(hash)).string();
}

// ---- the database dump --------------------------------------------------------------------------

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// One table into <dir>/<table>.jsonl: a header line {"table","columns","types"} and one JSON array
// per row. Returns its TableFile.
Result<TableFile> dump_table(soci::session& s, const TableSpec& spec, const std::string& org_id, const fs::path& dir,
                             const BackupProgress& progress, std::int64_t& rows_total) {
  TableFile tf;
  tf.table = spec.name;
  const fs::path file = dir / (tf.table + ".jsonl");
  Fd fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (fd.get() < 0) return io_error("cannot write " + file.string());
  Sha256 sha;
  std::string sql = fmt::format("SELECT * FROM {}", spec.name);
  const bool filtered = !org_id.empty() && spec.org_filter;
  if (filtered) sql += fmt::format(" WHERE {}", spec.org_filter);
  soci::row row;
  soci::statement st = filtered ? (s.prepare << sql, soci::into(row), soci::use(org_id, "org"))
                                : (s.prepare << sql, soci::into(row));
  st.execute();
  bool header_done = false;
  rapidjson::StringBuffer sb;
  std::string buffer;
  auto flush = [&](bool force) -> Result<void> {
    if (buffer.size() < kChunk && !force) return {};
    sha.update(buffer.data(), buffer.size());
    tf.size += static_cast<std::int64_t>(buffer.size());
    VC_TRY(write_all(fd.get(), buffer.data(), buffer.size(), "cannot write " + file.string()));
    buffer.clear();
    return {};
  };
  auto header = [&](const soci::row* r) {
    sb.Clear();
    Writer w(sb);
    w.StartObject();
    w.Key("table");
    w.String(spec.name);
    w.Key("columns");
    w.StartArray();
    if (r)
      for (std::size_t i = 0; i < r->size(); ++i) w.String(r->get_properties(i).get_name().c_str());
    w.EndArray();
    w.Key("types");
    w.StartArray();
    if (r)
      for (std::size_t i = 0; i < r->size(); ++i) {
        switch (r->get_properties(i).get_data_type()) {
          case soci::dt_integer: case soci::dt_long_long: case soci::dt_unsigned_long_long: w.String("int"); break;
          case soci::dt_double: w.String("real"); break;
          default: w.String("text"); break;
        }
      }
    w.EndArray();
    w.EndObject();
    buffer.append(sb.GetString(), sb.GetSize());
    buffer.push_back('\n');
    header_done = true;
  };
  while (st.fetch()) {
    if (!header_done) header(&row);
    sb.Clear();
    Writer w(sb);
    w.StartArray();
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (row.get_indicator(i) == soci::i_null) {
        w.Null();
        continue;
      }
      switch (row.get_properties(i).get_data_type()) {
        case soci::dt_integer: w.Int64(row.get<int>(i)); break;
        case soci::dt_long_long: w.Int64(row.get<long long>(i)); break;
        case soci::dt_unsigned_long_long: w.Int64(static_cast<std::int64_t>(row.get<unsigned long long>(i))); break;
        case soci::dt_double: w.Double(row.get<double>(i)); break;
        case soci::dt_string: case soci::dt_xml: {
          const auto& v = row.get<std::string>(i);
          w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
          break;
        }
        default:
          return make_error(ErrorCode::internal, fmt::format("backup: column {}.{} has a type it cannot copy", spec.name,
                                                             row.get_properties(i).get_name()));
      }
    }
    w.EndArray();
    buffer.append(sb.GetString(), sb.GetSize());
    buffer.push_back('\n');
    ++tf.rows;
    if (progress && (++rows_total % 1000) == 0) progress("database", static_cast<std::uint64_t>(rows_total), 0);
    VC_TRY(flush(false));
  }
  if (!header_done) header(nullptr);  // an empty table: no columns needed
  VC_TRY(flush(true));
  if (::fsync(fd.get()) != 0 || fd.release_close() != 0) return io_error("cannot write " + file.string());
  tf.sha256 = sha.hex();
  return tf;
}

Result<std::vector<std::string>> list_tables(soci::session& s, Dialect d) {
  std::vector<std::string> out;
  std::string name;
  soci::statement st = (s.prepare << (d == Dialect::sqlite
                                          ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                                          : "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"),
                        soci::into(name));
  st.execute();
  while (st.fetch()) out.push_back(name);
  return out;
}

// ---- reading archives ---------------------------------------------------------------------------

struct ReadArchive {
  archive* a = archive_read_new();
  ~ReadArchive() { archive_read_free(a); }
};

std::string archive_message(archive* a) {
  const char* s = archive_error_string(a);
  return s && *s ? s : "unknown error";
}

Result<ReadArchive*> open_read(ReadArchive& ra, const std::string& path) {
  archive_read_support_format_tar(ra.a);
  if (archive_read_open_filename(ra.a, path.c_str(), kChunk) != ARCHIVE_OK) {
    const std::string msg = archive_message(ra.a);
    if (!fs::exists(path)) return make_error(ErrorCode::not_found, fmt::format("no archive {}", path));
    return make_error(ErrorCode::invalid, fmt::format("{} is not a readable backup archive: {}", path, msg));
  }
  return &ra;
}

// Reads a small entry whole (manifest, end marker: at most 256 MiB).
Result<std::string> read_small(archive* a, std::int64_t size, std::string_view name) {
  if (size < 0 || size > (256ll << 20)) return damaged(fmt::format("{} has an impossible size", name));
  std::string out(static_cast<std::size_t>(size), '\0');
  std::size_t got = 0;
  while (got < out.size()) {
    la_ssize_t n = archive_read_data(a, out.data() + got, out.size() - got);
    if (n < 0) return damaged(fmt::format("{}: {}", name, archive_message(a)));
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  if (got != out.size()) return damaged(fmt::format("{} is cut short", name));
  return out;
}

// Copies the current entry into `dest` (created, flushed), returning its SHA-256 and size.
struct Copied {
  std::string sha256;
  std::int64_t size = 0;
};
Result<Copied> extract_to(archive* a, const fs::path& dest, std::vector<char>& buf, std::string_view name,
                          const std::function<void(std::size_t)>& on_bytes) {
  Fd fd(dest.empty() ? -1 : ::open(dest.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!dest.empty() && fd.get() < 0) return io_error("cannot write " + dest.string());
  Sha256 sha;
  Copied c;
  for (;;) {
    la_ssize_t n = archive_read_data(a, buf.data(), buf.size());
    if (n < 0) return damaged(fmt::format("{}: {}", name, archive_message(a)));
    if (n == 0) break;
    sha.update(buf.data(), static_cast<std::size_t>(n));
    if (fd.get() >= 0) VC_TRY(write_all(fd.get(), buf.data(), static_cast<std::size_t>(n), "cannot write " + dest.string()));
    c.size += n;
    if (on_bytes) on_bytes(static_cast<std::size_t>(n));
  }
  if (fd.release_close() != 0) return io_error("cannot write " + dest.string());
  c.sha256 = sha.hex();
  return c;
}

// The manifest and end marker of an archive, found by skipping over the data (seeks: fast on a
// large file). Errors when either is missing or they disagree: the archive is not complete.
struct Summary {
  Manifest manifest;
  EndMarker end;
};
Result<Summary> read_summary(const std::string& path) {
  ReadArchive ra;
  VC_TRY(open_read(ra, path));
  archive_entry* e = nullptr;
  Summary out;
  bool have_manifest = false, have_end = false;
  std::string manifest_sha;
  for (;;) {
    int r = archive_read_next_header(ra.a, &e);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK) return damaged(fmt::format("{}: {}", path, archive_message(ra.a)));
    const std::string name = archive_entry_pathname(e) ? archive_entry_pathname(e) : "";
    if (!have_manifest) {
      if (name != backup::kManifestName) return damaged(fmt::format("{} does not start with {}", path, backup::kManifestName));
      VC_ASSIGN_R(auto text, read_small(ra.a, archive_entry_size(e), name));
      manifest_sha = sha256_hex(text);
      VC_ASSIGN_R(out.manifest, backup::parse_manifest(text));
      have_manifest = true;
    } else if (name == backup::kEndName) {
      VC_ASSIGN_R(auto text, read_small(ra.a, archive_entry_size(e), name));
      VC_ASSIGN_R(out.end, backup::parse_end(text));
      have_end = true;
    } else if (have_end) {
      return damaged(fmt::format("{} has entries after its end marker", path));
    }
  }
  if (!have_manifest) return damaged(fmt::format("{} is empty", path));
  if (!have_end) return damaged(fmt::format("{} has no end marker (cut short?)", path));
  if (out.end.manifest_sha256 != manifest_sha || out.end.id != out.manifest.id)
    return damaged(fmt::format("{}: the end marker does not belong to the manifest", path));
  return out;
}


// ---- writing archives ---------------------------------------------------------------------------

struct WriteArchive {
  archive* a = archive_write_new();
  ~WriteArchive() { archive_write_free(a); }
};

class ArchiveOut {
 public:
  ArchiveOut(archive* a, std::int64_t mtime_s) : a_(a), mtime_s_(mtime_s) {}

  Result<void> header(const std::string& name, std::int64_t size) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_size(e, size);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_mtime(e, mtime_s_, 0);
    int r = archive_write_header(a_, e);
    archive_entry_free(e);
    if (r != ARCHIVE_OK) return make_error(ErrorCode::unavailable, fmt::format("cannot write the archive: {}", archive_message(a_)));
    ++entries_;
    return {};
  }
  Result<void> data(const char* p, std::size_t n) {
    while (n > 0) {
      la_ssize_t w = archive_write_data(a_, p, n);
      if (w <= 0) return make_error(ErrorCode::unavailable, fmt::format("cannot write the archive: {}", archive_message(a_)));
      p += w;
      n -= static_cast<std::size_t>(w);
    }
    return {};
  }
  Result<void> small(const std::string& name, const std::string& body) {
    VC_TRY(header(name, static_cast<std::int64_t>(body.size())));
    return data(body.data(), body.size());
  }
  // Streams an open file of exactly `size` bytes; returns its SHA-256 when asked.
  Result<std::string> file(int fd, const std::string& name, std::int64_t size, bool hash, std::vector<char>& buf,
                           const std::function<void(std::size_t)>& on_bytes) {
    VC_TRY(header(name, size));
    Sha256 sha;
    std::int64_t left = size;
    while (left > 0) {
      ssize_t n = ::read(fd, buf.data(), static_cast<std::size_t>(std::min<std::int64_t>(left, static_cast<std::int64_t>(buf.size()))));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return io_error("cannot read " + name + " while copying it", n == 0 ? EIO : errno);
      if (hash) sha.update(buf.data(), static_cast<std::size_t>(n));
      VC_TRY(data(buf.data(), static_cast<std::size_t>(n)));
      left -= n;
      if (on_bytes) on_bytes(static_cast<std::size_t>(n));
    }
    return hash ? sha.hex() : std::string();
  }
  std::int64_t entries() const { return entries_; }

 private:
  archive* a_;
  std::int64_t mtime_s_;
  std::int64_t entries_ = 0;
};

}  // namespace

// ---- backup -------------------------------------------------------------------------------------

Result<BackupReport> backup_installation(const BackupOptions& o, const std::string& archive_path) {
  if (archive_path.empty()) return make_error(ErrorCode::invalid, "name the archive to write");
  if (o.content_dir.empty()) return make_error(ErrorCode::invalid, "name the installation's content folder");
  VC_ASSIGN_R(auto url, parse_database_url(o.database_url));
  if (url.kind == DatabaseUrl::Kind::sqlite && (url.sqlite_path == ":memory:" || !fs::exists(url.sqlite_path)))
    return make_error(ErrorCode::not_found, fmt::format("no database at {}", o.database_url));
  StorageOptions so;
  so.url = url;
  so.pool_size = 1;
  so.wal_sync_interval = std::chrono::milliseconds(0);
  VC_ASSIGN_R(auto storage, open_storage(so));
  const fs::path content = o.content_dir;

  std::optional<backup::Manifest> base;
  std::set<std::string> base_blobs;
  std::map<std::string, std::int64_t> base_derived;
  if (!o.incremental_from.empty()) {
    VC_ASSIGN_R(auto summary, read_summary(o.incremental_from));
    std::set<std::string> gone(summary.end.missing.begin(), summary.end.missing.end());
    for (const auto& b : summary.manifest.blobs)
      if (!gone.count("blobs/" + b.hash)) base_blobs.insert(b.hash);
    for (const auto& d : summary.manifest.derived)
      if (!gone.count("derived/" + d.path)) base_derived[d.path] = d.size;
    base = std::move(summary.manifest);
  }

  const auto clock = system_clock();
  Manifest m;
  m.id = new_id(*clock);
  m.created_at_ms = clock->now_ms();
  m.backend = std::string(storage->backend_name());
  m.library_version = version();
  if (base) {
    m.base_id = base->id;
    m.chain.push_back(base->id);
    m.chain.insert(m.chain.end(), base->chain.begin(), base->chain.end());
  }
  BackupReport report;
  report.id = m.id;
  report.base_id = m.base_id;
  report.backend = m.backend;

  TempTree work{fs::path(archive_path + ".partial.d")};
  std::error_code ec;
  fs::remove_all(work.path, ec);
  fs::create_directories(work.path / "db", ec);
  if (ec) return io_error("cannot create " + (work.path / "db").string(), ec.value());
  TempTree pins{content / (".backup-pins-" + m.id)};
  bool pinning = !o.blobs && fs::create_directories(pins.path, ec) && !ec;
  if (!pinning && !o.blobs) log_warn("backup: cannot pin blobs (a media item deleted during the backup loses its bytes in it)",
                         {{"folder", pins.path.string()}, {"error", ec.message()}});

  std::vector<std::pair<std::string, std::int64_t>> blobs;
  std::int64_t rows_total = 0;
  VC_TRY(storage::snapshot_read(*storage, [&](soci::session& s, Dialect d) -> Result<void> {
    int v = 0;
    soci::indicator ind = soci::i_null;
    s << "SELECT max(version) FROM schema_migrations", soci::into(v, ind);
    m.schema_version = ind == soci::i_ok ? v : 0;
    if (m.schema_version == 0) return make_error(ErrorCode::invalid, "the database has no schema: nothing to back up");
    if (m.schema_version > latest_schema_version())
      return make_error(ErrorCode::invalid, fmt::format("the database has schema version {}, newer than this build's {}: "
                                                        "back it up with the release that runs it", m.schema_version,
                                                        latest_schema_version()));
    VC_ASSIGN_R(auto present, list_tables(s, d));
    std::set<std::string> have(present.begin(), present.end());
    for (const auto& t : present)
      if (t != "schema_migrations" && !find_table(t))
        return make_error(ErrorCode::internal, fmt::format("backup does not know the table '{}'", t));
    std::string org_id;
    if (!o.organization.empty()) {
      std::string id, slug;
      soci::indicator i1 = soci::i_null;
      s << "SELECT id, slug FROM organizations WHERE slug = :s OR id = :i", soci::into(id, i1), soci::into(slug),
          soci::use(o.organization, "s"), soci::use(o.organization, "i");
      if (i1 != soci::i_ok || !s.got_data()) return make_error(ErrorCode::not_found, fmt::format("no organisation '{}'", o.organization));
      org_id = id;
      m.organization = slug;
    }
    if (base && base->organization != m.organization)
      return make_error(ErrorCode::invalid, fmt::format("the base archive {} is of {}, this backup of {}", o.incremental_from,
                                                        base->organization.empty() ? "the whole installation" : base->organization,
                                                        m.organization.empty() ? "the whole installation" : m.organization));
    for (const auto& spec : kTables) {
      if (!have.count(spec.name)) continue;  // an older schema
      VC_ASSIGN_R(auto tf, dump_table(s, spec, org_id, work.path / "db", o.progress, rows_total));
      report.rows += tf.rows;
      m.tables.push_back(std::move(tf));
    }
    std::string hash;
    long long size = 0;
    std::string sql = "SELECT hash, size FROM blobs";
    if (!org_id.empty()) sql += std::string(" WHERE ") + find_table("blobs")->org_filter;
    soci::statement st = org_id.empty() ? (s.prepare << sql, soci::into(hash), soci::into(size))
                                        : (s.prepare << sql, soci::into(hash), soci::into(size), soci::use(org_id, "org"));
    st.execute();
    while (st.fetch()) blobs.emplace_back(hash, size);
    // Pinned while the snapshot is held: a blob deleted from now on keeps its bytes in the pin.
    if (pinning)
      for (const auto& [h, sz] : blobs)
        if (backup::valid_sha256(h)) (void)::link(blob_path(content, h).c_str(), (pins.path / h).c_str());
    return {};
  }));
  storage.reset();

  // Blobs and what was derived from them.
  std::uint64_t copy_total = 0;
  for (const auto& [h, sz] : blobs) {
    if (!backup::valid_sha256(h)) return make_error(ErrorCode::internal, fmt::format("the database holds a malformed blob hash '{}'", h));
    BlobEntry b{h, sz, !base_blobs.count(h)};
    if (b.included) copy_total += static_cast<std::uint64_t>(sz), ++report.blobs_copied, report.blob_bytes_copied += sz;
    m.blobs.push_back(std::move(b));
    const fs::path dir = content / "derived" / h.substr(0, 2) / h;
    for (fs::directory_iterator profiles(dir, ec), end; !ec && profiles != end; profiles.increment(ec)) {
      if (!profiles->is_directory() || !fs::exists(profiles->path() / "manifest.json")) continue;
      for (fs::recursive_directory_iterator files(profiles->path(), ec), fend; !ec && files != fend; files.increment(ec)) {
        if (!files->is_regular_file()) continue;
        const std::string rel = fs::relative(files->path(), content / "derived").generic_string();
        if (!backup::valid_relative_path(rel)) continue;
        const auto size = static_cast<std::int64_t>(files->file_size());
        auto it = base_derived.find(rel);
        DerivedEntry de{rel, size, it == base_derived.end() || it->second != size};
        if (de.included) copy_total += static_cast<std::uint64_t>(size), ++report.derived_copied;
        m.derived.push_back(std::move(de));
      }
      ec.clear();
    }
    ec.clear();
  }
  report.blobs = static_cast<std::int64_t>(m.blobs.size());
  report.derived_files = static_cast<std::int64_t>(m.derived.size());
  report.schema_version = m.schema_version;

  // The archive.
  const std::string partial = archive_path + ".partial";
  Fd out(::open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));  // it holds the installation's secrets
  if (out.get() < 0) return io_error("cannot write " + partial);
  struct Unlink {
    std::string path;
    bool keep = false;
    ~Unlink() { if (!keep) ::unlink(path.c_str()); }
  } partial_guard{partial};
  WriteArchive wa;
  archive_write_set_format_pax_restricted(wa.a);
  archive_write_set_bytes_per_block(wa.a, static_cast<int>(kChunk));
  archive_write_set_bytes_in_last_block(wa.a, 1);
  if (archive_write_open_fd(wa.a, out.get()) != ARCHIVE_OK)
    return make_error(ErrorCode::unavailable, fmt::format("cannot write {}: {}", partial, archive_message(wa.a)));
  ArchiveOut ao(wa.a, m.created_at_ms / 1000);
  const std::string manifest_text = backup::write_manifest(m);
  VC_TRY(ao.small(std::string(backup::kManifestName), manifest_text));
  std::vector<char> buf(kChunk);
  for (const auto& t : m.tables) {
    const fs::path f = work.path / "db" / (t.table + ".jsonl");
    Fd in(::open(f.c_str(), O_RDONLY | O_CLOEXEC));
    if (in.get() < 0) return io_error("cannot read " + f.string());
    VC_TRY(ao.file(in.get(), "db/" + t.table + ".jsonl", t.size, false, buf, nullptr));
  }
  std::uint64_t copied = 0;
  auto on_bytes = [&](std::size_t n) {
    copied += n;
    if (o.progress) o.progress("content", copied, copy_total);
  };
  EndMarker end;
  end.id = m.id;
  end.manifest_sha256 = sha256_hex(manifest_text);
  for (const auto& b : m.blobs) {
    if (!b.included) continue;
    const std::string pinned = (pins.path / b.hash).string();
    int fd = pinning ? ::open(pinned.c_str(), O_RDONLY | O_CLOEXEC) : -1;
    if (o.blobs) {
      // Fetched into the store's cache; a second try if the cache let it go before the open.
      for (int attempt = 0; attempt < 2 && fd < 0; ++attempt) {
        auto f = o.blobs->locate(b.hash);
        if (!f && f.error().code == ErrorCode::not_found) break;
        if (!f) return make_error(f.error().code, fmt::format("cannot read blob {}: {}", b.hash, f.error().message));
        fd = ::open(f->path.c_str(), O_RDONLY | O_CLOEXEC);
      }
      if (fd < 0) errno = ENOENT;
    }
    if (fd < 0 && !o.blobs) fd = ::open(blob_path(content, b.hash).c_str(), O_RDONLY | O_CLOEXEC);
    Fd in(fd);
    if (in.get() < 0) {
      if (errno != ENOENT) return io_error("cannot read blob " + b.hash);
      end.missing.push_back("blobs/" + b.hash);
      continue;
    }
    struct stat st{};
    if (::fstat(in.get(), &st) != 0) return io_error("cannot read blob " + b.hash);
    if (st.st_size != b.size)
      return make_error(ErrorCode::internal, fmt::format("blob {} has {} bytes in the content folder but {} in the database: "
                                                         "the content folder is damaged", b.hash, st.st_size, b.size));
    VC_TRY(ao.file(in.get(), "blobs/" + b.hash, b.size, false, buf, on_bytes));
  }
  for (const auto& d : m.derived) {
    if (!d.included) continue;
    Fd in(::open((content / "derived" / d.path).c_str(), O_RDONLY | O_CLOEXEC));
    if (in.get() < 0) {
      if (errno != ENOENT) return io_error("cannot read derived file " + d.path);
      end.missing.push_back("derived/" + d.path);
      continue;
    }
    struct stat st{};
    if (::fstat(in.get(), &st) != 0) return io_error("cannot read derived file " + d.path);
    if (st.st_size != d.size)
      return make_error(ErrorCode::internal, fmt::format("derived file {} changed size during the backup", d.path));
    VC_ASSIGN_R(auto sum, ao.file(in.get(), "derived/" + d.path, d.size, true, buf, on_bytes));
    end.derived.push_back({d.path, sum});
  }
  end.entries = ao.entries();
  VC_TRY(ao.small(std::string(backup::kEndName), backup::write_end(end)));
  if (archive_write_close(wa.a) != ARCHIVE_OK)
    return make_error(ErrorCode::unavailable, fmt::format("cannot write {}: {}", partial, archive_message(wa.a)));
  if (::fsync(out.get()) != 0) return io_error("cannot write " + partial);
  struct stat st{};
  if (::fstat(out.get(), &st) == 0) report.archive_bytes = static_cast<std::uint64_t>(st.st_size);
  if (out.release_close() != 0) return io_error("cannot write " + partial);
  if (::rename(partial.c_str(), archive_path.c_str()) != 0) return io_error("cannot rename " + partial + " to " + archive_path);
  partial_guard.keep = true;
  fsync_dir(fs::absolute(archive_path).parent_path());
  report.missing = end.missing;
  for (const auto& x : end.missing)
    log_warn("backup: deleted during the backup (its media was deleted after the snapshot)", {{"entry", x}});
  return report;
}

// ---- restore ------------------------------------------------------------------------------------

namespace {

bool valid_column(std::string_view c) {
  if (c.empty() || c.size() > 64) return false;
  for (char ch : c)
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_')) return false;
  return true;
}

// Whether the target holds anything (kContentTables); false for a database without the schema.
Result<bool> target_has_content(soci::session& s, Dialect d) {
  VC_ASSIGN_R(auto present, list_tables(s, d));
  std::set<std::string> have(present.begin(), present.end());
  for (const char* t : kContentTables) {
    if (!have.count(t)) continue;
    long long n = 0;
    s << fmt::format("SELECT count(*) FROM {}", t), soci::into(n);
    if (n > 0) return true;
  }
  return false;
}

Error not_empty(const std::string& url) {
  return make_error(ErrorCode::conflict,
                    fmt::format("the target {} is not empty (it has organisations, users, devices or media): restore only "
                                "into a new installation (a new SQLite file or an empty PostgreSQL database); nothing was changed",
                                url));
}

Result<std::int64_t> insert_table(soci::session& s, const fs::path& file, const std::string& table) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return io_error("cannot read " + file.string());
  std::string line;
  if (!std::getline(in, line)) return damaged(fmt::format("table {} has no header", table));
  rapidjson::Document h;
  h.Parse(line.data(), line.size());
  if (h.HasParseError() || !h.IsObject() || !h.HasMember("columns") || !h["columns"].IsArray() || !h.HasMember("types") ||
      !h["types"].IsArray() || h["columns"].Size() != h["types"].Size() || !h.HasMember("table") || !h["table"].IsString() ||
      table != h["table"].GetString())
    return damaged(fmt::format("table {} has a bad header", table));
  const auto n = h["columns"].Size();
  if (n == 0) return 0;
  enum Kind { k_int, k_text, k_real };
  std::vector<Kind> kinds;
  std::string cols, params;
  for (rapidjson::SizeType i = 0; i < n; ++i) {
    const auto& c = h["columns"][i];
    const auto& t = h["types"][i];
    if (!c.IsString() || !valid_column(c.GetString()) || !t.IsString()) return damaged(fmt::format("table {} has a bad column", table));
    const std::string_view type = t.GetString();
    kinds.push_back(type == "int" ? k_int : type == "real" ? k_real : k_text);
    if (i) cols += ", ", params += ", ";
    cols += c.GetString();
    params += fmt::format(":p{}", i);
  }
  std::vector<long long> ints(n);
  std::vector<double> reals(n);
  std::vector<std::string> strs(n);
  std::vector<soci::indicator> inds(n, soci::i_ok);
  soci::statement st(s);
  for (rapidjson::SizeType i = 0; i < n; ++i) {
    if (kinds[i] == k_int) st.exchange(soci::use(ints[i], inds[i]));
    else if (kinds[i] == k_real) st.exchange(soci::use(reals[i], inds[i]));
    else st.exchange(soci::use(strs[i], inds[i]));
  }
  st.alloc();
  st.prepare(fmt::format("INSERT INTO {} ({}) VALUES ({})", table, cols, params));
  st.define_and_bind();
  std::int64_t rows = 0;
  rapidjson::Document r;
  while (std::getline(in, line)) {
    r.Parse(line.data(), line.size());
    if (r.HasParseError() || !r.IsArray() || r.Size() != n) return damaged(fmt::format("table {}: a bad row", table));
    for (rapidjson::SizeType i = 0; i < n; ++i) {
      const auto& v = r[i];
      if (v.IsNull()) {
        inds[i] = soci::i_null;
        continue;
      }
      inds[i] = soci::i_ok;
      if (kinds[i] == k_int && v.IsInt64()) ints[i] = v.GetInt64();
      else if (kinds[i] == k_real && v.IsNumber()) reals[i] = v.GetDouble();
      else if (kinds[i] == k_text && v.IsString()) strs[i].assign(v.GetString(), v.GetStringLength());
      else return damaged(fmt::format("table {}: a value of the wrong kind", table));
    }
    st.execute(true);
    ++rows;
  }
  return rows;
}

struct Staged {
  fs::path root;
  std::map<std::string, fs::path> blobs;    // hash → staged file
  std::map<std::string, fs::path> derived;  // path → staged file
};

// One pass over a whole archive: every entry checked against the manifest, the wanted ones
// extracted to the staging folder (dest empty: checked only).
struct PassResult {
  Manifest manifest;
  EndMarker end;
  std::map<std::string, std::string> derived_sums;  // extracted derived path → SHA-256
};

Result<PassResult> read_archive(const std::string& path, const fs::path& staging, bool base,
                                const std::set<std::string>& want_blobs, const std::set<std::string>& want_derived,
                                Staged& staged, const BackupProgress& progress, std::uint64_t& bytes) {
  ReadArchive ra;
  VC_TRY(open_read(ra, path));
  PassResult out;
  archive_entry* e = nullptr;
  std::vector<char> buf(kChunk);
  std::string manifest_sha;
  std::map<std::string, const TableFile*> tables;
  std::unordered_map<std::string, const BlobEntry*> blobs;
  std::unordered_map<std::string, const DerivedEntry*> derived;
  std::unordered_set<std::string> seen;
  bool have_manifest = false, have_end = false;
  std::int64_t entries = 0;
  const std::uint64_t total = static_cast<std::uint64_t>(fs::file_size(path));
  auto on_bytes = [&](std::size_t n) {
    bytes += n;
    if (progress) progress("verify", bytes, total);
  };
  for (;;) {
    int r = archive_read_next_header(ra.a, &e);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK) return damaged(fmt::format("{}: {}", path, archive_message(ra.a)));
    if (have_end) return damaged(fmt::format("{} has entries after its end marker", path));
    const char* raw = archive_entry_pathname(e);
    const std::string name = raw ? raw : "";
    const std::int64_t size = archive_entry_size(e);
    if (archive_entry_filetype(e) != AE_IFREG) return damaged(fmt::format("{}: '{}' is not a file", path, name));
    if (!have_manifest) {
      if (name != backup::kManifestName) return damaged(fmt::format("{} does not start with {}", path, backup::kManifestName));
      VC_ASSIGN_R(auto text, read_small(ra.a, size, name));
      manifest_sha = sha256_hex(text);
      VC_ASSIGN_R(out.manifest, backup::parse_manifest(text));
      for (const auto& t : out.manifest.tables) tables[t.table] = &t;
      for (const auto& b : out.manifest.blobs) blobs[b.hash] = &b;
      for (const auto& d : out.manifest.derived) derived[d.path] = &d;
      have_manifest = true;
      ++entries;
      continue;
    }
    if (name == backup::kEndName) {
      VC_ASSIGN_R(auto text, read_small(ra.a, size, name));
      VC_ASSIGN_R(out.end, backup::parse_end(text));
      if (out.end.manifest_sha256 != manifest_sha || out.end.id != out.manifest.id)
        return damaged(fmt::format("{}: the end marker does not belong to the manifest", path));
      if (out.end.entries != entries) return damaged(fmt::format("{}: entries are missing", path));
      have_end = true;
      continue;
    }
    ++entries;
    if (!seen.insert(name).second) return damaged(fmt::format("{}: '{}' appears twice", path, name));
    if (name.rfind("db/", 0) == 0) {
      const std::string t = name.size() > 9 ? name.substr(3, name.size() - 9) : "";
      auto it = tables.find(t);
      if (it == tables.end() || name != "db/" + t + ".jsonl") return damaged(fmt::format("{}: unexpected '{}'", path, name));
      if (base) {
        if (archive_read_data_skip(ra.a) != ARCHIVE_OK) return damaged(fmt::format("{}: {}", path, archive_message(ra.a)));
        continue;
      }
      const fs::path dest = staging.empty() ? fs::path() : staging / "db" / (t + ".jsonl");
      VC_ASSIGN_R(auto c, extract_to(ra.a, dest, buf, name, on_bytes));
      if (c.size != it->second->size || c.sha256 != it->second->sha256)
        return damaged(fmt::format("{}: table {} does not match its checksum", path, t));
    } else if (name.rfind("blobs/", 0) == 0) {
      const std::string h = name.substr(6);
      auto it = blobs.find(h);
      if (it == blobs.end() || !it->second->included) return damaged(fmt::format("{}: unexpected '{}'", path, name));
      if (!want_blobs.count(h) || staged.blobs.count(h)) {
        if (archive_read_data_skip(ra.a) != ARCHIVE_OK) return damaged(fmt::format("{}: {}", path, archive_message(ra.a)));
        continue;
      }
      const fs::path dest = staging.empty() ? fs::path() : staging / "blobs" / h;
      VC_ASSIGN_R(auto c, extract_to(ra.a, dest, buf, name, on_bytes));
      if (c.sha256 != h || c.size != it->second->size)
        return damaged(fmt::format("{}: blob {} does not match its SHA-256 (its bytes are altered)", path, h));
      staged.blobs[h] = dest;
    } else if (name.rfind("derived/", 0) == 0) {
      const std::string p = name.substr(8);
      auto it = derived.find(p);
      if (it == derived.end() || !it->second->included) return damaged(fmt::format("{}: unexpected '{}'", path, name));
      if (!want_derived.count(p) || staged.derived.count(p)) {
        if (archive_read_data_skip(ra.a) != ARCHIVE_OK) return damaged(fmt::format("{}: {}", path, archive_message(ra.a)));
        continue;
      }
      const fs::path dest = staging.empty() ? fs::path() : staging / "derived" / p;
      std::error_code ec;
      if (!dest.empty()) fs::create_directories(dest.parent_path(), ec);
      if (ec) return io_error("cannot create " + dest.parent_path().string(), ec.value());
      VC_ASSIGN_R(auto c, extract_to(ra.a, dest, buf, name, on_bytes));
      if (c.size != it->second->size) return damaged(fmt::format("{}: derived file {} has the wrong size", path, p));
      out.derived_sums[p] = c.sha256;
      staged.derived[p] = dest;
    } else {
      return damaged(fmt::format("{}: unexpected '{}'", path, name));
    }
  }
  if (!have_manifest) return damaged(fmt::format("{} is empty", path));
  if (!have_end) return damaged(fmt::format("{} has no end marker: it was cut short", path));
  std::unordered_map<std::string, std::string> sums;
  for (const auto& d : out.end.derived) sums[d.path] = d.sha256;
  for (const auto& [p, sum] : out.derived_sums) {
    auto it = sums.find(p);
    if (it == sums.end() || it->second != sum) return damaged(fmt::format("{}: derived file {} does not match its checksum", path, p));
  }
  if (!base) {
    for (const auto& t : out.manifest.tables)
      if (!seen.count("db/" + t.table + ".jsonl")) return damaged(fmt::format("{}: table {} is missing", path, t.table));
    std::set<std::string> missing(out.end.missing.begin(), out.end.missing.end());
    for (const auto& b : out.manifest.blobs)
      if (b.included && !seen.count("blobs/" + b.hash) && !missing.count("blobs/" + b.hash))
        return damaged(fmt::format("{}: blob {} is missing", path, b.hash));
    for (const auto& d : out.manifest.derived)
      if (d.included && !seen.count("derived/" + d.path) && !missing.count("derived/" + d.path))
        return damaged(fmt::format("{}: derived file {} is missing", path, d.path));
  }
  return out;
}

Result<void> move_into_place(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::create_directories(to.parent_path(), ec);
  if (ec) return io_error("cannot create " + to.parent_path().string(), ec.value());
  if (fs::exists(to, ec)) return {};  // content-addressed: the same bytes are there already
  if (::rename(from.c_str(), to.c_str()) != 0) return io_error("cannot move " + from.string() + " to " + to.string());
  return {};
}

// A verified staged blob into a store of its own (an object store): written through a BlobWriter,
// whose hash must come out the same.
Result<void> store_blob(BlobStore& store, const fs::path& from, const std::string& hash) {
  VC_ASSIGN_R(auto w, store.create(UINT64_MAX));
  Fd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.get() < 0) return io_error("cannot read " + from.string());
  std::string buf(1 << 20, '\0');
  for (;;) {
    const ssize_t n = ::read(in.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error("cannot read " + from.string());
    if (n == 0) break;
    VC_TRY(w->write(std::string_view(buf.data(), static_cast<std::size_t>(n))));
  }
  VC_ASSIGN_R(auto info, w->finish());
  if (info.hash != hash) return make_error(ErrorCode::internal, fmt::format("blob {} changed while it was restored", hash));
  VC_TRY(w->stage());
  VC_TRY(w->commit());
  std::error_code ec;
  fs::remove(from, ec);
  return {};
}

}  // namespace

Result<RestoreReport> restore_installation(const std::string& archive_path, const RestoreOptions& o) {
  if (!o.verify_only && o.content_dir.empty()) return make_error(ErrorCode::invalid, "name the target's content folder");
  DatabaseUrl url;
  if (!o.verify_only) {
    VC_ASSIGN_R(url, parse_database_url(o.database_url));
    if (url.kind == DatabaseUrl::Kind::sqlite && url.sqlite_path == ":memory:")
      return make_error(ErrorCode::invalid, "restore needs a database that outlives it");
  }
  StorageOptions so;
  so.url = url;
  so.pool_size = 1;
  so.wal_sync_interval = std::chrono::milliseconds(0);
  const bool target_exists = o.verify_only ? false : url.kind == DatabaseUrl::Kind::postgresql || fs::exists(url.sqlite_path);
  // Fail fast, before reading a large archive: the target must be empty.
  if (target_exists) {
    VC_ASSIGN_R(auto st, open_storage(so));
    bool full = false;
    VC_TRY(storage::snapshot_read(*st, [&](soci::session& s, Dialect d) -> Result<void> {
      VC_ASSIGN_R(full, target_has_content(s, d));
      return {};
    }));
    if (full) return not_empty(o.database_url);
  }

  // Stage and verify everything.
  const std::string tag = random_secret(12);
  const bool created_content = !o.verify_only && !fs::exists(o.content_dir);
  // Declared before the staging folder, so it is removed after it: a content folder this restore
  // created goes again when the restore fails.
  struct ContentGuard {  // a content folder this restore created goes again when it fails
    fs::path path;
    bool armed;
    ~ContentGuard() {
      std::error_code e;
      if (armed) fs::remove(path, e);  // only when empty
    }
  } content_guard{o.content_dir, created_content};
  TempTree staging{o.verify_only ? fs::path() : fs::path(o.content_dir) / (".restore-" + tag)};
  std::error_code ec;
  if (!o.verify_only) {
    for (const char* sub : {"db", "blobs", "derived"}) fs::create_directories(staging.path / sub, ec);
    if (ec) return io_error("cannot create " + staging.path.string(), ec.value());
  }

  Staged staged;
  staged.root = staging.path;
  std::uint64_t bytes = 0;
  std::set<std::string> all_blobs_wanted, all_derived_wanted;
  // What this archive lists (its manifest, the first entry), to know what to extract.
  VC_ASSIGN_R(auto summary_manifest, ([&]() -> Result<Manifest> {
                ReadArchive ra;
                VC_TRY(open_read(ra, archive_path));
                archive_entry* e = nullptr;
                int r = archive_read_next_header(ra.a, &e);
                if (r != ARCHIVE_OK) return damaged(fmt::format("{}: {}", archive_path, r == ARCHIVE_EOF ? "empty" : archive_message(ra.a)));
                if (std::string_view(archive_entry_pathname(e) ? archive_entry_pathname(e) : "") != backup::kManifestName)
                  return damaged(fmt::format("{} does not start with {}", archive_path, backup::kManifestName));
                VC_ASSIGN_R(auto text, read_small(ra.a, archive_entry_size(e), backup::kManifestName));
                return backup::parse_manifest(text);
              }()));
  if (summary_manifest.schema_version > latest_schema_version())
    return make_error(ErrorCode::invalid, fmt::format("the archive has schema version {}, newer than this build's {}: "
                                                      "restore it with that release or a newer one",
                                                      summary_manifest.schema_version, latest_schema_version()));
  for (const auto& b : summary_manifest.blobs) all_blobs_wanted.insert(b.hash);
  for (const auto& d : summary_manifest.derived) all_derived_wanted.insert(d.path);
  // verify_only: every entry is read and checked, nothing is written (staging.path is empty).
  const fs::path dest_root = staging.path;
  VC_ASSIGN_R(auto main, read_archive(archive_path, dest_root, false, all_blobs_wanted, all_derived_wanted, staged,
                                      o.progress, bytes));
  const Manifest& m = main.manifest;
  // Then the bases, for what this archive lists but does not hold.
  std::set<std::string> need_blobs, need_derived;
  for (const auto& b : m.blobs)
    if (!b.included) need_blobs.insert(b.hash);
  for (const auto& d : m.derived)
    if (!d.included) need_derived.insert(d.path);
  if ((!need_blobs.empty() || !need_derived.empty()) && o.bases.empty())
    return make_error(ErrorCode::invalid, fmt::format("{} is an incremental backup on top of {}: name that archive (and its own "
                                                      "bases) with --base; nothing was restored", archive_path, m.base_id));
  for (const auto& bp : o.bases) {
    if (need_blobs.empty() && need_derived.empty()) break;
    VC_ASSIGN_R(auto pass, read_archive(bp, dest_root, true, need_blobs, need_derived, staged, o.progress, bytes));
    if (std::find(m.chain.begin(), m.chain.end(), pass.manifest.id) == m.chain.end())
      return make_error(ErrorCode::invalid, fmt::format("{} (id {}) is not a base of {}; nothing was restored", bp,
                                                        pass.manifest.id, archive_path));
    for (const auto& [h, p] : staged.blobs) need_blobs.erase(h);
    for (const auto& [p, f] : staged.derived) need_derived.erase(p);
  }
  if (!need_blobs.empty() || !need_derived.empty())
    return make_error(ErrorCode::invalid,
                      fmt::format("{} blobs and {} derived files of {} are in none of the bases given: name every archive of "
                                  "its chain ({}) with --base; nothing was restored",
                                  need_blobs.size(), need_derived.size(), archive_path, fmt::join(m.chain, ", ")));

  RestoreReport report;
  report.id = m.id;
  report.backend = m.backend;
  report.organization = m.organization;
  report.schema_version = m.schema_version;
  report.missing = main.end.missing;
  report.blobs = static_cast<std::int64_t>(staged.blobs.size());
  report.derived_files = static_cast<std::int64_t>(staged.derived.size());
  for (const auto& t : m.tables) report.rows += t.rows;
  for (const auto& b : m.blobs)
    if (staged.blobs.count(b.hash)) report.bytes += static_cast<std::uint64_t>(b.size);
  for (const auto& d : m.derived)
    if (staged.derived.count(d.path)) report.bytes += static_cast<std::uint64_t>(d.size);
  if (o.verify_only) return report;

  std::uint64_t moved = 0;
  if (o.blobs) {
    // An object store takes the bytes before the database does: should sending fail, the target is
    // unchanged (objects nothing references are swept at the server's start, after an hour).
    for (const auto& [h, p] : staged.blobs) {
      VC_TRY(store_blob(*o.blobs, p, h));
      if (o.progress) o.progress("restore", ++moved, staged.blobs.size() + staged.derived.size());
    }
  }

  // Verified: now the target. Its schema as of the archive, the rows in one transaction, the rest
  // of the migrations, then the bytes.
  VC_ASSIGN_R(auto storage, open_storage(so));
  VC_ASSIGN_R(int target_version, storage->schema_version());
  if (target_version > m.schema_version) {
    bool full = false;
    VC_TRY(storage::snapshot_read(*storage, [&](soci::session& s, Dialect d) -> Result<void> {
      VC_ASSIGN_R(full, target_has_content(s, d));
      return {};
    }));
    if (full) return not_empty(o.database_url);
    return make_error(ErrorCode::invalid,
                      fmt::format("the target database has schema version {}, newer than the archive's {}: restore into a "
                                  "new database (a new SQLite file or an empty PostgreSQL database); nothing was changed",
                                  target_version, m.schema_version));
  }
  VC_TRY(storage::migrate_up_to(*storage, m.schema_version));
  VC_TRY(storage::raw_transact(*storage, [&](soci::session& s, Dialect d) -> Result<void> {
    VC_ASSIGN_R(bool full, target_has_content(s, d));
    if (full) return not_empty(o.database_url);
    VC_ASSIGN_R(auto present, list_tables(s, d));
    std::set<std::string> have(present.begin(), present.end());
    // What a server's first start wrote besides content (its generated secrets, its audit entry).
    for (auto it = std::rbegin(kTables); it != std::rend(kTables); ++it)
      if (have.count(it->name)) s << fmt::format("DELETE FROM {}", it->name);
    for (const auto& t : m.tables) {
      if (!find_table(t.table) || !have.count(t.table))
        return make_error(ErrorCode::invalid, fmt::format("the archive has a table '{}' that this schema lacks", t.table));
      VC_ASSIGN_R(auto rows, insert_table(s, staging.path / "db" / (t.table + ".jsonl"), t.table));
      if (rows != t.rows) return damaged(fmt::format("table {} has {} rows, the manifest says {}", t.table, rows, t.rows));
      if (o.progress) o.progress("database", static_cast<std::uint64_t>(rows), static_cast<std::uint64_t>(t.rows));
    }
    if (d == Dialect::postgresql && have.count("audit_log"))
      s << "SELECT setval(pg_get_serial_sequence('audit_log', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM audit_log), false)";
    if (!m.organization.empty())  // only this organisation's references to shared bytes came along
      s << "UPDATE blobs SET refcount = (SELECT count(*) FROM media WHERE media.blob_hash = blobs.hash)";
    return {};
  }));
  VC_TRY(storage->migrate());
  storage.reset();
  content_guard.armed = false;

  const fs::path content = o.content_dir;
  for (const auto& [h, p] : staged.blobs) {
    if (o.blobs) continue;  // in the object store already (above)
    VC_TRY(move_into_place(p, blob_path(content, h)));
    if (o.progress) o.progress("restore", ++moved, staged.blobs.size() + staged.derived.size());
  }
  for (const auto& [rel, p] : staged.derived) {
    VC_TRY(move_into_place(p, content / "derived" / rel));
    if (o.progress) o.progress("restore", ++moved, staged.blobs.size() + staged.derived.size());
  }
  // One flush of the whole file system instead of an fsync per file.
  if (int fd = ::open(content.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); fd >= 0) {
    ::syncfs(fd);
    ::close(fd);
  }
  for (const auto& x : report.missing)
    log_warn("restore: the backup recorded this as deleted during the backup; it is not restored", {{"entry", x}});
  return report;
}

}  // namespace vc
