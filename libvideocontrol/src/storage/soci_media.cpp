#include "soci_repositories.hpp"

namespace vc::storage {
namespace {

constexpr const char* kColumns =
    "m.id, m.organization_id, m.name, m.kind, m.mime, m.size, m.blob_hash, m.metadata, m.status, m.page_count, "
    "m.created_by, m.created_at, m.updated_at, m.progress, m.error, m.derived";

struct MediaRow {
  Media m;
  NullableText mime, created_by, error, derived;
  NullableInt pages;
  int progress = 100;
  long long size = 0, created = 0, updated = 0;

  template <class P>
  void bind(P& p) {
    p, soci::into(m.id), soci::into(m.organization_id), soci::into(m.name), soci::into(m.kind),
        soci::into(mime.value, mime.ind), soci::into(size), soci::into(m.blob_hash), soci::into(m.metadata_json),
        soci::into(m.status), soci::into(pages.value, pages.ind), soci::into(created_by.value, created_by.ind),
        soci::into(created), soci::into(updated), soci::into(progress), soci::into(error.value, error.ind),
        soci::into(derived.value, derived.ind);
  }
  Media get() const {
    Media out = m;
    out.progress = progress;
    out.error = error.get();
    out.derived = derived.get();
    out.mime = mime.get();
    out.size = size;
    if (auto p = pages.get()) out.page_count = static_cast<int>(*p);
    out.created_by = created_by.get();
    out.created_at_ms = created;
    out.updated_at_ms = updated;
    return out;
  }
};

}  // namespace

Result<void> SociMedia::insert(const Media& m) {
  return guarded([&]() -> Result<void> {
    NullableText mime(m.mime), created_by(m.created_by), error(m.error), derived(m.derived);
    NullableInt pages(m.page_count ? std::optional<std::int64_t>(*m.page_count) : std::nullopt);
    long long size = m.size, created = m.created_at_ms, updated = m.updated_at_ms;
    s_ << "INSERT INTO media (id, organization_id, name, kind, mime, size, blob_hash, metadata, status, page_count, "
          "created_by, created_at, updated_at, progress, error, derived) VALUES (:id, :org, :name, :kind, :mime, "
          ":size, :hash, :meta, :status, :pages, :by, :created, :updated, :progress, :error, :derived)",
        soci::use(m.id), soci::use(m.organization_id), soci::use(m.name), soci::use(m.kind),
        soci::use(mime.value, mime.ind), soci::use(size), soci::use(m.blob_hash), soci::use(m.metadata_json),
        soci::use(m.status), soci::use(pages.value, pages.ind), soci::use(created_by.value, created_by.ind),
        soci::use(created), soci::use(updated), soci::use(m.progress), soci::use(error.value, error.ind),
        soci::use(derived.value, derived.ind);
    return {};
  });
}

Result<std::optional<Media>> SociMedia::find(std::string_view id) {
  return guarded([&]() -> Result<std::optional<Media>> {
    MediaRow row;
    std::string key(id);
    auto p = (s_.prepare << std::string("SELECT ") + kColumns + " FROM media m WHERE m.id = :id");
    row.bind(p);
    p, soci::use(key);
    soci::statement st(p);
    if (!st.execute(true)) return std::optional<Media>{};
    return std::optional<Media>{row.get()};
  });
}

Result<std::optional<Media>> SociMedia::find_by_hash(std::string_view organization_id, std::string_view hash) {
  return guarded([&]() -> Result<std::optional<Media>> {
    MediaRow row;
    std::string org(organization_id), h(hash);
    auto p = (s_.prepare << std::string("SELECT ") + kColumns +
                                " FROM media m WHERE m.organization_id = :org AND m.blob_hash = :h");
    row.bind(p);
    p, soci::use(org), soci::use(h);
    soci::statement st(p);
    if (!st.execute(true)) return std::optional<Media>{};
    return std::optional<Media>{row.get()};
  });
}

Result<std::vector<Media>> SociMedia::list(std::string_view organization_id, std::string_view kind,
                                           std::string_view after_id, int limit) {
  return guarded([&]() -> Result<std::vector<Media>> {
    MediaRow row;
    std::string org(organization_id), k(kind), after(after_id);
    int lim = clamp_limit(limit);
    auto p = (s_.prepare << std::string("SELECT ") + kColumns +
                                " FROM media m WHERE m.organization_id = :org AND (:k = '' OR m.kind = :k2) "
                                "AND m.id > :after ORDER BY m.id LIMIT :lim");
    row.bind(p);
    p, soci::use(org), soci::use(k), soci::use(k), soci::use(after), soci::use(lim);
    soci::statement st(p);
    st.execute();
    std::vector<Media> out;
    while (st.fetch()) out.push_back(row.get());
    return out;
  });
}

Result<void> SociMedia::update(const Media& m) {
  return guarded([&]() -> Result<void> {
    NullableText mime(m.mime), error(m.error), derived(m.derived);
    NullableInt pages(m.page_count ? std::optional<std::int64_t>(*m.page_count) : std::nullopt);
    long long updated = m.updated_at_ms;
    s_ << "UPDATE media SET name = :name, kind = :kind, mime = :mime, metadata = :meta, status = :status, "
          "page_count = :pages, updated_at = :updated, progress = :progress, error = :error, derived = :derived "
          "WHERE id = :id",
        soci::use(m.name), soci::use(m.kind), soci::use(mime.value, mime.ind), soci::use(m.metadata_json),
        soci::use(m.status), soci::use(pages.value, pages.ind), soci::use(updated), soci::use(m.progress),
        soci::use(error.value, error.ind), soci::use(derived.value, derived.ind), soci::use(m.id);
    return {};
  });
}

Result<bool> SociMedia::remove(std::string_view id) {
  return guarded([&]() -> Result<bool> {
    std::string key(id);
    soci::statement st = (s_.prepare << "DELETE FROM media WHERE id = :id", soci::use(key));
    st.execute(true);
    return st.get_affected_rows() > 0;
  });
}

Result<void> SociMedia::link(std::string_view device_pk, std::string_view media_id, std::string_view name,
                             std::int64_t at_ms) {
  return guarded([&]() -> Result<void> {
    std::string d(device_pk), m(media_id), n(name);
    long long at = at_ms;
    s_ << "INSERT INTO device_media (device_id, media_id, name, created_at) VALUES (:d, :m, :n, :at) "
          "ON CONFLICT (device_id, name) DO UPDATE SET media_id = excluded.media_id, created_at = excluded.created_at",
        soci::use(d), soci::use(m), soci::use(n), soci::use(at);
    return {};
  });
}

Result<bool> SociMedia::unlink(std::string_view device_pk, std::string_view name) {
  return guarded([&]() -> Result<bool> {
    std::string d(device_pk), n(name);
    soci::statement st =
        (s_.prepare << "DELETE FROM device_media WHERE device_id = :d AND name = :n", soci::use(d), soci::use(n));
    st.execute(true);
    return st.get_affected_rows() > 0;
  });
}

Result<std::optional<DeviceFile>> SociMedia::find_file(std::string_view device_pk, std::string_view name) {
  return guarded([&]() -> Result<std::optional<DeviceFile>> {
    MediaRow row;
    std::string d(device_pk), n(name);
    auto p = (s_.prepare << std::string("SELECT ") + kColumns +
                                " FROM device_media dm JOIN media m ON m.id = dm.media_id "
                                "WHERE dm.device_id = :d AND dm.name = :n");
    row.bind(p);
    p, soci::use(d), soci::use(n);
    soci::statement st(p);
    if (!st.execute(true)) return std::optional<DeviceFile>{};
    return std::optional<DeviceFile>{DeviceFile{n, row.get()}};
  });
}

Result<std::vector<DeviceFile>> SociMedia::files(std::string_view device_pk, std::string_view after_name, int limit,
                                                 const FileFilter& filter) {
  return guarded([&]() -> Result<std::vector<DeviceFile>> {
    MediaRow row;
    std::string d(device_pk), after(after_name), name, kind(filter.kind);
    // LIKE with '\' escaping so the text's own % and _ match themselves; lower() on both sides
    // (SQLite's LIKE ignores ASCII case, PostgreSQL's does not).
    std::string pattern = "%";
    for (char c : filter.contains) {
      if (c == '%' || c == '_' || c == '\\') pattern += '\\';
      pattern += c;
    }
    pattern += '%';
    int lim = clamp_limit(limit);
    std::string sql = std::string("SELECT dm.name, ") + kColumns +
                      " FROM device_media dm JOIN media m ON m.id = dm.media_id WHERE dm.device_id = :d AND dm.name > :after";
    if (!filter.contains.empty()) sql += " AND lower(dm.name) LIKE lower(:pattern) ESCAPE '\\'";
    if (!filter.kind.empty()) sql += " AND m.kind = :kind";
    sql += " ORDER BY dm.name LIMIT :lim";
    auto p = (s_.prepare << sql);
    p, soci::into(name);
    row.bind(p);
    p, soci::use(d), soci::use(after);
    if (!filter.contains.empty()) p, soci::use(pattern);
    if (!filter.kind.empty()) p, soci::use(kind);
    p, soci::use(lim);
    soci::statement st(p);
    st.execute();
    std::vector<DeviceFile> out;
    while (st.fetch()) out.push_back(DeviceFile{name, row.get()});
    return out;
  });
}

Result<std::int64_t> SociMedia::link_count(std::string_view media_id) {
  return guarded([&]() -> Result<std::int64_t> {
    std::string m(media_id);
    long long n = 0;
    s_ << "SELECT count(*) FROM device_media WHERE media_id = :m", soci::into(n), soci::use(m);
    return static_cast<std::int64_t>(n);
  });
}

Result<std::vector<std::string>> SociMedia::only_on(std::string_view device_pk) {
  return guarded([&]() -> Result<std::vector<std::string>> {
    std::string d(device_pk), id;
    soci::statement st = (s_.prepare << "SELECT dm.media_id FROM device_media dm WHERE dm.device_id = :d AND NOT "
                                        "EXISTS (SELECT 1 FROM device_media o WHERE o.media_id = dm.media_id AND "
                                        "o.device_id <> dm.device_id) GROUP BY dm.media_id",
                          soci::into(id), soci::use(d));
    st.execute();
    std::vector<std::string> out;
    while (st.fetch()) out.push_back(id);
    return out;
  });
}

Result<void> SociBlobs::add_ref(std::string_view hash, std::int64_t size, std::int64_t at_ms) {
  return guarded([&]() -> Result<void> {
    std::string h(hash);
    long long sz = size, at = at_ms;
    s_ << "INSERT INTO blobs (hash, size, refcount, created_at) VALUES (:h, :s, 1, :at) "
          "ON CONFLICT (hash) DO UPDATE SET refcount = blobs.refcount + 1",
        soci::use(h), soci::use(sz), soci::use(at);
    return {};
  });
}

Result<bool> SociBlobs::release(std::string_view hash) {
  return guarded([&]() -> Result<bool> {
    std::string h(hash);
    s_ << "UPDATE blobs SET refcount = refcount - 1 WHERE hash = :h", soci::use(h);
    soci::statement st = (s_.prepare << "DELETE FROM blobs WHERE hash = :h AND refcount <= 0", soci::use(h));
    st.execute(true);
    return st.get_affected_rows() > 0;
  });
}

Result<std::int64_t> SociBlobs::refcount(std::string_view hash) {
  return guarded([&]() -> Result<std::int64_t> {
    std::string h(hash);
    long long n = 0;
    soci::indicator ind = soci::i_null;
    s_ << "SELECT refcount FROM blobs WHERE hash = :h", soci::into(n, ind), soci::use(h);
    return static_cast<std::int64_t>(ind == soci::i_ok ? n : 0);
  });
}

Result<void> SociBlobs::lock(std::string_view hash) {
  if (d_ == Dialect::sqlite) return {};  // BEGIN IMMEDIATE already holds the write lock
  return guarded([&]() -> Result<void> {
    // Two int4 keys: a fixed class for blob locks and the hash's first 8 hex digits (collisions only
    // serialise two unrelated blobs a little more).
    if (hash.size() < 8) return make_error(ErrorCode::invalid, "malformed blob hash");
    const long long key = static_cast<long long>(static_cast<std::int32_t>(std::stoul(std::string(hash.substr(0, 8)), nullptr, 16)));
    const long long cls = 7436002;
    s_ << "SELECT pg_advisory_xact_lock(CAST(:c AS INTEGER), CAST(:k AS INTEGER))", soci::use(cls), soci::use(key);
    return {};
  });
}

Result<std::vector<std::pair<std::string, std::string>>> SociMedia::links(std::string_view media_id) {
  return guarded([&]() -> Result<std::vector<std::pair<std::string, std::string>>> {
    std::string m(media_id), device, name;
    std::vector<std::pair<std::string, std::string>> out;
    soci::statement st = (s_.prepare << "SELECT d.device_id, dm.name FROM device_media dm JOIN devices d ON d.id = "
                                        "dm.device_id WHERE dm.media_id = :m ORDER BY d.device_id, dm.name",
                          soci::into(device), soci::into(name), soci::use(m));
    st.execute();
    while (st.fetch()) out.emplace_back(device, name);
    return out;
  });
}

Result<std::optional<std::string>> SociMedia::name_on(std::string_view device_pk, std::string_view media_id) {
  return guarded([&]() -> Result<std::optional<std::string>> {
    std::string d(device_pk), m(media_id), name;
    soci::indicator ind = soci::i_null;
    s_ << "SELECT MIN(name) FROM device_media WHERE device_id = :d AND media_id = :m", soci::into(name, ind), soci::use(d),
        soci::use(m);
    if (ind != soci::i_ok) return std::optional<std::string>();
    return std::optional<std::string>(std::move(name));
  });
}

}  // namespace vc::storage
