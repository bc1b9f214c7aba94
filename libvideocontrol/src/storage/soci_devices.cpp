#include "soci_repositories.hpp"

namespace vc::storage {
namespace {

constexpr const char* kColumns =
    "id, organization_id, device_id, name, device_type, platform, capabilities, credential_hash, "
    "placeholder_media_id, status, last_seen_at, created_at, updated_at, legacy_player";

struct DeviceRow {
  Device d;
  NullableText type, platform, credential, placeholder;
  NullableInt last_seen;
  long long created = 0, updated = 0;
  int legacy = 0;

  template <class P>
  void bind(P& p) {
    p, soci::into(d.id), soci::into(d.organization_id), soci::into(d.device_id), soci::into(d.name),
        soci::into(type.value, type.ind), soci::into(platform.value, platform.ind), soci::into(d.capabilities_json),
        soci::into(credential.value, credential.ind), soci::into(placeholder.value, placeholder.ind),
        soci::into(d.status), soci::into(last_seen.value, last_seen.ind), soci::into(created), soci::into(updated),
        soci::into(legacy);
  }
  Device get() const {
    Device out = d;
    out.device_type = type.get();
    out.platform = platform.get();
    out.credential_hash = credential.get();
    out.placeholder_media_id = placeholder.get();
    out.last_seen_at_ms = last_seen.get();
    out.created_at_ms = created;
    out.updated_at_ms = updated;
    out.legacy_player = legacy != 0;
    return out;
  }
};

}  // namespace

Result<void> SociDevices::insert(const Device& d) {
  return guarded([&]() -> Result<void> {
    NullableText type(d.device_type), platform(d.platform), credential(d.credential_hash),
        placeholder(d.placeholder_media_id);
    NullableInt last_seen(d.last_seen_at_ms);
    long long created = d.created_at_ms, updated = d.updated_at_ms;
    int legacy = d.legacy_player ? 1 : 0;
    s_ << "INSERT INTO devices (id, organization_id, device_id, name, device_type, platform, capabilities, "
          "credential_hash, placeholder_media_id, status, last_seen_at, created_at, updated_at, legacy_player) "
          "VALUES (:id, :org, :did, :name, :type, :platform, :caps, :cred, :ph, :status, :seen, :created, :updated, "
          ":legacy)",
        soci::use(d.id), soci::use(d.organization_id), soci::use(d.device_id), soci::use(d.name),
        soci::use(type.value, type.ind), soci::use(platform.value, platform.ind), soci::use(d.capabilities_json),
        soci::use(credential.value, credential.ind), soci::use(placeholder.value, placeholder.ind),
        soci::use(d.status), soci::use(last_seen.value, last_seen.ind), soci::use(created), soci::use(updated),
        soci::use(legacy);
    return {};
  });
}

Result<std::optional<Device>> SociDevices::find_by_device_id(std::string_view device_id) {
  return guarded([&]() -> Result<std::optional<Device>> {
    DeviceRow row;
    std::string key(device_id);
    auto p = (s_.prepare << std::string("SELECT ") + kColumns + " FROM devices WHERE device_id = :d");
    row.bind(p);
    p, soci::use(key);
    soci::statement st(p);
    if (!st.execute(true)) return std::optional<Device>{};
    return std::optional<Device>{row.get()};
  });
}

Result<std::vector<Device>> SociDevices::list(std::string_view organization_id, std::string_view status,
                                              std::string_view after_device_id, int limit) {
  return guarded([&]() -> Result<std::vector<Device>> {
    DeviceRow row;
    std::string org(organization_id), st_filter(status), after(after_device_id);
    int lim = clamp_limit(limit);
    auto p = (s_.prepare << std::string("SELECT ") + kColumns +
                                " FROM devices WHERE organization_id = :org AND (:st = '' OR status = :st2) "
                                "AND device_id > :after ORDER BY device_id LIMIT :lim");
    row.bind(p);
    p, soci::use(org), soci::use(st_filter), soci::use(st_filter), soci::use(after), soci::use(lim);
    soci::statement st(p);
    st.execute();
    std::vector<Device> out;
    while (st.fetch()) out.push_back(row.get());
    return out;
  });
}

Result<void> SociDevices::update(const Device& d) {
  return guarded([&]() -> Result<void> {
    NullableText type(d.device_type), platform(d.platform), credential(d.credential_hash),
        placeholder(d.placeholder_media_id);
    NullableInt last_seen(d.last_seen_at_ms);
    long long updated = d.updated_at_ms;
    int legacy = d.legacy_player ? 1 : 0;
    s_ << "UPDATE devices SET name = :name, device_type = :type, platform = :platform, capabilities = :caps, "
          "credential_hash = :cred, placeholder_media_id = :ph, status = :status, last_seen_at = :seen, "
          "updated_at = :updated, legacy_player = :legacy WHERE id = :id",
        soci::use(d.name), soci::use(type.value, type.ind), soci::use(platform.value, platform.ind),
        soci::use(d.capabilities_json), soci::use(credential.value, credential.ind),
        soci::use(placeholder.value, placeholder.ind), soci::use(d.status), soci::use(last_seen.value, last_seen.ind),
        soci::use(updated), soci::use(legacy), soci::use(d.id);
    return {};
  });
}

Result<bool> SociDevices::remove(std::string_view id) {
  return guarded([&]() -> Result<bool> {
    std::string key(id);
    soci::statement st = (s_.prepare << "DELETE FROM devices WHERE id = :id", soci::use(key));
    st.execute(true);
    return st.get_affected_rows() > 0;
  });
}

Result<std::optional<NowPlaying>> SociDevices::state(std::string_view id) {
  return guarded([&]() -> Result<std::optional<NowPlaying>> {
    NowPlaying n;
    std::string key(id);
    NullableText type, file;
    NullableInt page, position, volume;
    long long updated = 0;
    int scheduled = 0;
    soci::statement st = (s_.prepare << "SELECT type, file, page, state, position_ms, volume, updated_at, scheduled "
                                        "FROM device_state WHERE device_id = :id",
                          soci::into(type.value, type.ind), soci::into(file.value, file.ind),
                          soci::into(page.value, page.ind), soci::into(n.state),
                          soci::into(position.value, position.ind), soci::into(volume.value, volume.ind),
                          soci::into(updated), soci::into(scheduled), soci::use(key));
    if (!st.execute(true)) return std::optional<NowPlaying>{};
    n.type = type.get();
    n.file = file.get();
    if (auto p = page.get()) n.page = static_cast<int>(*p);
    n.position_ms = position.get();
    if (auto v = volume.get()) n.volume = static_cast<int>(*v);
    n.updated_at_ms = updated;
    n.scheduled = scheduled != 0;
    return std::optional<NowPlaying>{std::move(n)};
  });
}

// The upsert of a device's now-playing state; with `unless_newer` its WHERE (SQLite and PostgreSQL
// alike) leaves a newer row alone. Returns the rows affected (0 or 1).
static long long upsert_state(soci::session& sql, std::string_view id, const NowPlaying& n, bool unless_newer) {
  std::string key(id);
  NullableText type(n.type), file(n.file);
  NullableInt page(n.page ? std::optional<std::int64_t>(*n.page) : std::nullopt), position(n.position_ms),
      volume(n.volume ? std::optional<std::int64_t>(*n.volume) : std::nullopt);
  long long updated = n.updated_at_ms;
  int scheduled = n.scheduled ? 1 : 0;
  const std::string text = std::string(
      "INSERT INTO device_state (device_id, type, file, page, state, position_ms, volume, updated_at, scheduled) "
      "VALUES (:id, :type, :file, :page, :state, :pos, :vol, :at, :sch) ON CONFLICT (device_id) DO UPDATE SET "
      "type = excluded.type, file = excluded.file, page = excluded.page, state = excluded.state, "
      "position_ms = excluded.position_ms, volume = excluded.volume, updated_at = excluded.updated_at, "
      "scheduled = excluded.scheduled") + (unless_newer ? " WHERE device_state.updated_at <= excluded.updated_at" : "");
  soci::statement st = (sql.prepare << text, soci::use(key), soci::use(type.value, type.ind), soci::use(file.value, file.ind),
                        soci::use(page.value, page.ind), soci::use(n.state), soci::use(position.value, position.ind),
                        soci::use(volume.value, volume.ind), soci::use(updated), soci::use(scheduled));
  st.execute(true);
  return st.get_affected_rows();
}

Result<void> SociDevices::put_state(std::string_view id, const NowPlaying& n) {
  return guarded([&]() -> Result<void> {
    upsert_state(s_, id, n, false);
    return {};
  });
}

Result<bool> SociDevices::put_state_unless_newer(std::string_view id, const NowPlaying& n) {
  return guarded([&]() -> Result<bool> { return upsert_state(s_, id, n, true) > 0; });
}

Result<std::vector<std::string>> SociDevices::with_placeholder(std::string_view media_id) {
  return guarded([&]() -> Result<std::vector<std::string>> {
    std::string key(media_id), id;
    soci::statement st = (s_.prepare << "SELECT device_id FROM devices WHERE placeholder_media_id = :m", soci::into(id),
                          soci::use(key));
    st.execute();
    std::vector<std::string> out;
    while (st.fetch()) out.push_back(id);
    return out;
  });
}

Result<void> SociDevices::clear_placeholder_for(std::string_view media_id) {
  return guarded([&]() -> Result<void> {
    std::string key(media_id);
    s_ << "UPDATE devices SET placeholder_media_id = NULL WHERE placeholder_media_id = :m", soci::use(key);
    return {};
  });
}

Result<DeviceRepository::IdentityCounts> SociDevices::identity_counts() {
  return guarded([&]() -> Result<IdentityCounts> {
    long long legacy = 0, bare = 0;
    s_ << "SELECT count(*) FROM devices WHERE legacy_player <> 0", soci::into(legacy);
    s_ << "SELECT count(*) FROM devices WHERE legacy_player = 0 AND credential_hash IS NULL", soci::into(bare);
    return IdentityCounts{legacy, bare};
  });
}

}  // namespace vc::storage
