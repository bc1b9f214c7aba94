// Groups, playlists, assignments, device schedule settings and overrides (migration 0004).
#include "soci_repositories.hpp"

namespace vc::storage {
namespace {

std::string str_of(std::string_view v) { return std::string(v); }

}  // namespace

// ---- groups ---------------------------------------------------------------------------------------

Result<void> SociScheduling::insert_group(const DeviceGroup& g) {
  return guarded([&]() -> Result<void> {
    long long c = g.created_at_ms, u = g.updated_at_ms;
    s_ << "INSERT INTO device_groups (id, organization_id, name, created_at, updated_at) VALUES (:id, :org, :name, :c, :u)",
        soci::use(g.id), soci::use(g.organization_id), soci::use(g.name), soci::use(c), soci::use(u);
    return {};
  });
}

Result<std::optional<DeviceGroup>> SociScheduling::find_group(std::string_view id) {
  return guarded([&]() -> Result<std::optional<DeviceGroup>> {
    DeviceGroup g;
    long long c = 0, u = 0;
    std::string key = str_of(id);
    s_ << "SELECT id, organization_id, name, created_at, updated_at FROM device_groups WHERE id = :id", soci::into(g.id),
        soci::into(g.organization_id), soci::into(g.name), soci::into(c), soci::into(u), soci::use(key);
    if (!s_.got_data()) return std::optional<DeviceGroup>{};
    g.created_at_ms = c;
    g.updated_at_ms = u;
    std::string dev;
    soci::statement st = (s_.prepare << "SELECT d.device_id FROM device_group_members m JOIN devices d ON d.id = m.device_id "
                                        "WHERE m.group_id = :g ORDER BY d.device_id",
                          soci::into(dev), soci::use(key));
    st.execute();
    while (st.fetch()) g.device_ids.push_back(dev);
    return std::optional<DeviceGroup>{std::move(g)};
  });
}

Result<std::vector<DeviceGroup>> SociScheduling::list_groups(std::string_view organization_id) {
  return guarded([&]() -> Result<std::vector<DeviceGroup>> {
    std::vector<DeviceGroup> out;
    DeviceGroup g;
    long long c = 0, u = 0;
    std::string org = str_of(organization_id);
    soci::statement st = (s_.prepare << "SELECT id, organization_id, name, created_at, updated_at FROM device_groups "
                                        "WHERE organization_id = :org ORDER BY name, id",
                          soci::into(g.id), soci::into(g.organization_id), soci::into(g.name), soci::into(c),
                          soci::into(u), soci::use(org));
    st.execute();
    while (st.fetch()) {
      g.created_at_ms = c;
      g.updated_at_ms = u;
      out.push_back(g);
    }
    // Members of all of them in one query.
    std::string gid, dev;
    soci::statement ms = (s_.prepare << "SELECT m.group_id, d.device_id FROM device_group_members m "
                                        "JOIN device_groups g ON g.id = m.group_id JOIN devices d ON d.id = m.device_id "
                                        "WHERE g.organization_id = :org ORDER BY d.device_id",
                          soci::into(gid), soci::into(dev), soci::use(org));
    ms.execute();
    while (ms.fetch())
      for (auto& group : out)
        if (group.id == gid) group.device_ids.push_back(dev);
    return out;
  });
}

Result<void> SociScheduling::update_group(const DeviceGroup& g) {
  return guarded([&]() -> Result<void> {
    long long u = g.updated_at_ms;
    s_ << "UPDATE device_groups SET name = :name, updated_at = :u WHERE id = :id", soci::use(g.name), soci::use(u),
        soci::use(g.id);
    return {};
  });
}

Result<bool> SociScheduling::remove_group(std::string_view id) {
  return guarded([&]() -> Result<bool> {
    std::string key = str_of(id);
    soci::statement st = (s_.prepare << "DELETE FROM device_groups WHERE id = :id", soci::use(key));
    st.execute(true);
    return st.get_affected_rows() > 0;
  });
}

Result<void> SociScheduling::set_members(std::string_view group_id, const std::vector<std::string>& device_pks,
                                         std::int64_t at_ms) {
  return guarded([&]() -> Result<void> {
    std::string g = str_of(group_id);
    s_ << "DELETE FROM device_group_members WHERE group_id = :g", soci::use(g);
    long long at = at_ms;
    for (const auto& pk : device_pks)
      s_ << "INSERT INTO device_group_members (group_id, device_id, created_at) VALUES (:g, :d, :at)", soci::use(g),
          soci::use(pk), soci::use(at);
    return {};
  });
}

Result<std::vector<std::string>> SociScheduling::group_ids_of(std::string_view device_pk) {
  return guarded([&]() -> Result<std::vector<std::string>> {
    std::vector<std::string> out;
    std::string d = str_of(device_pk), g;
    soci::statement st = (s_.prepare << "SELECT group_id FROM device_group_members WHERE device_id = :d ORDER BY group_id",
                          soci::into(g), soci::use(d));
    st.execute();
    while (st.fetch()) out.push_back(g);
    return out;
  });
}

// ---- playlists ------------------------------------------------------------------------------------

Result<void> SociScheduling::write_items(const Playlist& p) {
  s_ << "DELETE FROM playlist_items WHERE playlist_id = :p", soci::use(p.id);
  int pos = 0;
  for (const auto& item : p.items) {
    NullableInt d(item.duration_ms);
    s_ << "INSERT INTO playlist_items (playlist_id, position, media_id, duration_ms) VALUES (:p, :pos, :m, :d)",
        soci::use(p.id), soci::use(pos), soci::use(item.media_id), soci::use(d.value, d.ind);
    ++pos;
  }
  return {};
}

Result<void> SociScheduling::insert_playlist(const Playlist& p) {
  return guarded([&]() -> Result<void> {
    int loop = p.loop ? 1 : 0, shuffle = p.shuffle ? 1 : 0;
    long long c = p.created_at_ms, u = p.updated_at_ms;
    s_ << "INSERT INTO playlists (id, organization_id, name, loop_enabled, shuffle, transition, created_at, updated_at) "
          "VALUES (:id, :org, :name, :loop, :shuffle, :transition, :c, :u)",
        soci::use(p.id), soci::use(p.organization_id), soci::use(p.name), soci::use(loop), soci::use(shuffle),
        soci::use(p.transition), soci::use(c), soci::use(u);
    return write_items(p);
  });
}

Result<std::vector<Playlist>> SociScheduling::select_playlists(const char* where, const std::string& value) {
  std::vector<Playlist> out;
  Playlist p;
  int loop = 1, shuffle = 0;
  long long c = 0, u = 0;
  soci::statement st = (s_.prepare << std::string("SELECT id, organization_id, name, loop_enabled, shuffle, transition, "
                                                  "created_at, updated_at FROM playlists WHERE ") +
                                          where + " = :v ORDER BY name, id",
                        soci::into(p.id), soci::into(p.organization_id), soci::into(p.name), soci::into(loop),
                        soci::into(shuffle), soci::into(p.transition), soci::into(c), soci::into(u), soci::use(value));
  st.execute();
  while (st.fetch()) {
    p.loop = loop != 0;
    p.shuffle = shuffle != 0;
    p.created_at_ms = c;
    p.updated_at_ms = u;
    out.push_back(p);
  }
  for (auto& pl : out) {
    std::string media;
    NullableInt d;
    soci::statement is = (s_.prepare << "SELECT media_id, duration_ms FROM playlist_items WHERE playlist_id = :p ORDER BY position",
                          soci::into(media), soci::into(d.value, d.ind), soci::use(pl.id));
    is.execute();
    while (is.fetch()) pl.items.push_back({media, d.get()});
  }
  return out;
}

Result<std::optional<Playlist>> SociScheduling::find_playlist(std::string_view id) {
  return guarded([&]() -> Result<std::optional<Playlist>> {
    auto rows = select_playlists("id", str_of(id));
    if (!rows.ok()) return std::move(rows).error();
    if (rows->empty()) return std::optional<Playlist>{};
    return std::optional<Playlist>{std::move(rows->front())};
  });
}

Result<std::vector<Playlist>> SociScheduling::list_playlists(std::string_view organization_id) {
  return guarded([&]() { return select_playlists("organization_id", str_of(organization_id)); });
}

Result<void> SociScheduling::update_playlist(const Playlist& p) {
  return guarded([&]() -> Result<void> {
    int loop = p.loop ? 1 : 0, shuffle = p.shuffle ? 1 : 0;
    long long u = p.updated_at_ms;
    s_ << "UPDATE playlists SET name = :name, loop_enabled = :loop, shuffle = :shuffle, transition = :t, updated_at = :u "
          "WHERE id = :id",
        soci::use(p.name), soci::use(loop), soci::use(shuffle), soci::use(p.transition), soci::use(u), soci::use(p.id);
    return write_items(p);
  });
}

Result<bool> SociScheduling::remove_playlist(std::string_view id) {
  return guarded([&]() -> Result<bool> {
    std::string key = str_of(id);
    // device_schedule.default_playlist_id is ON DELETE SET NULL; SQLite applies it as PostgreSQL does.
    soci::statement st = (s_.prepare << "DELETE FROM playlists WHERE id = :id", soci::use(key));
    st.execute(true);
    return st.get_affected_rows() > 0;
  });
}

Result<std::vector<std::pair<std::string, std::string>>> SociScheduling::playlists_using(std::string_view media_id) {
  return guarded([&]() -> Result<std::vector<std::pair<std::string, std::string>>> {
    std::vector<std::pair<std::string, std::string>> out;
    std::string m = str_of(media_id), id, name;
    soci::statement st = (s_.prepare << "SELECT DISTINCT p.id, p.name FROM playlist_items i JOIN playlists p ON p.id = i.playlist_id "
                                        "WHERE i.media_id = :m ORDER BY p.name, p.id",
                          soci::into(id), soci::into(name), soci::use(m));
    st.execute();
    while (st.fetch()) out.emplace_back(id, name);
    return out;
  });
}

Result<void> SociScheduling::remove_items_of(std::string_view media_id) {
  return guarded([&]() -> Result<void> {
    std::string m = str_of(media_id);
    // Close the gaps the removed items leave: rewrite each affected playlist's positions.
    std::vector<std::string> playlists;
    std::string pid;
    soci::statement st = (s_.prepare << "SELECT DISTINCT playlist_id FROM playlist_items WHERE media_id = :m",
                          soci::into(pid), soci::use(m));
    st.execute();
    while (st.fetch()) playlists.push_back(pid);
    for (const auto& id : playlists) {
      auto p = find_playlist(id);
      if (!p.ok()) return std::move(p).error();
      if (!*p) continue;
      std::erase_if((*p)->items, [&](const PlaylistItem& i) { return i.media_id == m; });
      auto w = write_items(**p);
      if (!w.ok()) return w;
    }
    return {};
  });
}

// ---- assignments ----------------------------------------------------------------------------------

namespace {
constexpr const char* kAssignmentSelect =
    "SELECT a.id, a.organization_id, a.playlist_id, d.device_id, a.group_id, a.priority, a.schedule, a.created_at, "
    "a.updated_at FROM assignments a LEFT JOIN devices d ON d.id = a.device_id ";
}

Result<std::vector<Assignment>> SociScheduling::select_assignments(const std::string& where,
                                                                   const std::vector<std::string>& params) {
  std::vector<Assignment> out;
  std::string id, org, playlist, schedule;
  NullableText device, group;
  int priority = 0;
  long long created = 0, updated = 0;
  auto p = (s_.prepare << std::string(kAssignmentSelect) + where + " ORDER BY a.id");
  p, soci::into(id), soci::into(org), soci::into(playlist), soci::into(device.value, device.ind),
      soci::into(group.value, group.ind), soci::into(priority), soci::into(schedule), soci::into(created),
      soci::into(updated);
  for (const auto& v : params) p, soci::use(v);
  soci::statement st(p);
  st.execute();
  while (st.fetch()) {
    Assignment x;
    x.id = id;
    x.organization_id = org;
    x.playlist_id = playlist;
    x.device_id = device.get();
    x.group_id = group.get();
    x.priority = priority;
    auto parsed = parse_schedule(schedule);
    if (!parsed.ok()) return make_error(ErrorCode::internal, "assignment " + id + " has a stored schedule that does not parse: " + parsed.error().message);
    x.schedule = std::move(*parsed);
    x.created_at_ms = created;
    x.updated_at_ms = updated;
    out.push_back(std::move(x));
  }
  return out;
}

Result<void> SociScheduling::insert_assignment(const Assignment& a, std::string_view device_pk) {
  return guarded([&]() -> Result<void> {
    NullableText device{str_of(device_pk)}, group{a.group_id};
    const std::string schedule = schedule_json(a.schedule);
    long long c = a.created_at_ms, u = a.updated_at_ms;
    s_ << "INSERT INTO assignments (id, organization_id, playlist_id, device_id, group_id, priority, schedule, created_at, "
          "updated_at) VALUES (:id, :org, :p, :d, :g, :prio, :s, :c, :u)",
        soci::use(a.id), soci::use(a.organization_id), soci::use(a.playlist_id), soci::use(device.value, device.ind),
        soci::use(group.value, group.ind), soci::use(a.priority), soci::use(schedule), soci::use(c), soci::use(u);
    return {};
  });
}

Result<std::optional<Assignment>> SociScheduling::find_assignment(std::string_view id) {
  return guarded([&]() -> Result<std::optional<Assignment>> {
    auto rows = select_assignments("WHERE a.id = :p1", {str_of(id)});
    if (!rows.ok()) return std::move(rows).error();
    if (rows->empty()) return std::optional<Assignment>{};
    return std::optional<Assignment>{std::move(rows->front())};
  });
}

Result<std::vector<Assignment>> SociScheduling::list_assignments(std::string_view organization_id, std::string_view device_pk,
                                                                 std::string_view group_id) {
  return guarded([&]() {
    return select_assignments(
        "WHERE a.organization_id = :p1 AND (CAST(:p2 AS TEXT) = '' OR a.device_id = :p3) AND (CAST(:p4 AS TEXT) = '' OR a.group_id = :p5)",
        {str_of(organization_id), str_of(device_pk), str_of(device_pk), str_of(group_id), str_of(group_id)});
  });
}

Result<std::vector<Assignment>> SociScheduling::assignments_for(std::string_view device_pk) {
  return guarded([&]() {
    return select_assignments(
        "WHERE a.device_id = :p1 OR a.group_id IN (SELECT group_id FROM device_group_members WHERE device_id = :p2)",
        {str_of(device_pk), str_of(device_pk)});
  });
}

Result<void> SociScheduling::update_assignment(const Assignment& a, std::string_view device_pk) {
  return guarded([&]() -> Result<void> {
    NullableText device{str_of(device_pk)}, group{a.group_id};
    const std::string schedule = schedule_json(a.schedule);
    long long u = a.updated_at_ms;
    s_ << "UPDATE assignments SET playlist_id = :p, device_id = :d, group_id = :g, priority = :prio, schedule = :s, "
          "updated_at = :u WHERE id = :id",
        soci::use(a.playlist_id), soci::use(device.value, device.ind), soci::use(group.value, group.ind),
        soci::use(a.priority), soci::use(schedule), soci::use(u), soci::use(a.id);
    return {};
  });
}

Result<bool> SociScheduling::remove_assignment(std::string_view id) {
  return guarded([&]() -> Result<bool> {
    std::string key = str_of(id);
    soci::statement st = (s_.prepare << "DELETE FROM assignments WHERE id = :id", soci::use(key));
    st.execute(true);
    return st.get_affected_rows() > 0;
  });
}

// ---- device settings ------------------------------------------------------------------------------

Result<DeviceScheduleSettings> SociScheduling::device_settings(std::string_view device_pk) {
  return guarded([&]() -> Result<DeviceScheduleSettings> {
    NullableText playlist, zone;
    std::string key = str_of(device_pk);
    s_ << "SELECT default_playlist_id, timezone FROM device_schedule WHERE device_id = :d",
        soci::into(playlist.value, playlist.ind), soci::into(zone.value, zone.ind), soci::use(key);
    if (!s_.got_data()) return DeviceScheduleSettings{};
    return DeviceScheduleSettings{playlist.get(), zone.get()};
  });
}

Result<void> SociScheduling::put_device_settings(std::string_view device_pk, const DeviceScheduleSettings& settings,
                                                 std::int64_t at_ms) {
  return guarded([&]() -> Result<void> {
    std::string key = str_of(device_pk);
    NullableText playlist{settings.default_playlist_id}, zone{settings.timezone};
    long long at = at_ms;
    s_ << "INSERT INTO device_schedule (device_id, default_playlist_id, timezone, updated_at) VALUES (:d, :p, :z, :at) "
          "ON CONFLICT (device_id) DO UPDATE SET default_playlist_id = excluded.default_playlist_id, "
          "timezone = excluded.timezone, updated_at = excluded.updated_at",
        soci::use(key), soci::use(playlist.value, playlist.ind), soci::use(zone.value, zone.ind), soci::use(at);
    return {};
  });
}

// ---- overrides ------------------------------------------------------------------------------------

namespace {
constexpr const char* kOverrideSelect =
    "SELECT id, organization_id, group_id, media_id, message, starts_at, ends_at, cleared_at, created_by, created_at "
    "FROM overrides ";

struct OverrideRow {
  Override o;
  NullableText group, media, by;
  NullableInt ends, cleared;
  long long starts = 0, created = 0;
  template <class P>
  void bind(P& p) {
    p, soci::into(o.id), soci::into(o.organization_id), soci::into(group.value, group.ind),
        soci::into(media.value, media.ind), soci::into(o.message), soci::into(starts), soci::into(ends.value, ends.ind),
        soci::into(cleared.value, cleared.ind), soci::into(by.value, by.ind), soci::into(created);
  }
  Override get() const {
    Override out = o;
    out.group_id = group.get();
    out.media_id = media.get();
    out.created_by = by.get();
    out.starts_at_ms = starts;
    out.ends_at_ms = ends.get();
    out.cleared_at_ms = cleared.get();
    out.created_at_ms = created;
    return out;
  }
};
}  // namespace

Result<void> SociScheduling::insert_override(const Override& o) {
  return guarded([&]() -> Result<void> {
    NullableText group{o.group_id}, media{o.media_id}, by{o.created_by};
    NullableInt ends(o.ends_at_ms);
    long long starts = o.starts_at_ms, created = o.created_at_ms;
    s_ << "INSERT INTO overrides (id, organization_id, group_id, media_id, message, starts_at, ends_at, created_by, created_at) "
          "VALUES (:id, :org, :g, :m, :msg, :s, :e, :by, :c)",
        soci::use(o.id), soci::use(o.organization_id), soci::use(group.value, group.ind), soci::use(media.value, media.ind),
        soci::use(o.message), soci::use(starts), soci::use(ends.value, ends.ind), soci::use(by.value, by.ind),
        soci::use(created);
    return {};
  });
}

Result<std::optional<Override>> SociScheduling::find_override(std::string_view id) {
  return guarded([&]() -> Result<std::optional<Override>> {
    OverrideRow row;
    std::string key = str_of(id);
    auto p = (s_.prepare << std::string(kOverrideSelect) + "WHERE id = :id");
    row.bind(p);
    p, soci::use(key);
    soci::statement st(p);
    if (!st.execute(true)) return std::optional<Override>{};
    return std::optional<Override>{row.get()};
  });
}

Result<std::vector<Override>> SociScheduling::active_overrides(std::string_view organization_id, std::int64_t now_ms) {
  return guarded([&]() -> Result<std::vector<Override>> {
    OverrideRow row;
    std::string org = str_of(organization_id);
    long long now = now_ms;
    auto p = (s_.prepare << std::string(kOverrideSelect) +
                                "WHERE organization_id = :org AND cleared_at IS NULL AND (ends_at IS NULL OR ends_at > :now) "
                                "ORDER BY starts_at, id");
    row.bind(p);
    p, soci::use(org), soci::use(now);
    soci::statement st(p);
    st.execute();
    std::vector<Override> out;
    while (st.fetch()) out.push_back(row.get());
    return out;
  });
}

Result<void> SociScheduling::clear_override(std::string_view id, std::int64_t at_ms) {
  return guarded([&]() -> Result<void> {
    std::string key = str_of(id);
    long long at = at_ms;
    s_ << "UPDATE overrides SET cleared_at = :at WHERE id = :id AND cleared_at IS NULL", soci::use(at), soci::use(key);
    return {};
  });
}

}  // namespace vc::storage
