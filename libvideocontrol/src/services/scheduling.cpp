// Scheduling: groups, playlists, assignments, overrides and timelines (scheduling.hpp).
#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "context.hpp"
#include "validation.hpp"
#include "videocontrol/id.hpp"
#include "videocontrol/json_writer.hpp"
#include "videocontrol/permissions.hpp"
#include "videocontrol/scheduling.hpp"

namespace vc {
namespace {

constexpr std::size_t kMaxItems = 1000;
constexpr std::int64_t kMinItemMs = 1'000;
constexpr std::int64_t kMaxItemMs = 86'400'000;
constexpr std::int64_t kMaxTimelineMs = 31LL * 86'400'000;
constexpr std::size_t kMaxGroupTimeline = 500;
constexpr std::size_t kMaxMessage = 500;

Error not_found(std::string_view what, std::string_view id) {
  return make_error(ErrorCode::not_found, fmt::format("{} '{}' not found", what, id));
}

Result<std::string> home_org(const Actor& actor) {
  if (actor.organization_id.empty())
    return make_error(ErrorCode::invalid, "act in an organisation (X-Organization-Id) to manage its schedules");
  return actor.organization_id;
}

Result<DeviceGroup> visible_group(StorageSession& s, const Actor& actor, std::string_view id) {
  VC_ASSIGN(auto g, s.scheduling().find_group(id));
  if (!g || !can_see(actor, g->organization_id)) return not_found("group", id);
  return std::move(*g);
}

Result<Playlist> visible_playlist(StorageSession& s, const Actor& actor, std::string_view id) {
  VC_ASSIGN(auto p, s.scheduling().find_playlist(id));
  if (!p || !can_see(actor, p->organization_id)) return not_found("playlist", id);
  return std::move(*p);
}

Result<Assignment> visible_assignment(StorageSession& s, const Actor& actor, std::string_view id) {
  VC_ASSIGN(auto a, s.scheduling().find_assignment(id));
  if (!a || !can_see(actor, a->organization_id)) return not_found("assignment", id);
  return std::move(*a);
}

Result<void> check_playlist(StorageSession& s, const std::string& org, const PlaylistInput& in) {
  VC_TRY(validate_name("name", in.name, 100));
  if (in.transition != "none" && in.transition != "fade")
    return make_error(ErrorCode::invalid, fmt::format("transition '{}' is unknown; use none or fade", in.transition));
  if (in.items.size() > kMaxItems)
    return make_error(ErrorCode::invalid, fmt::format("a playlist has at most {} items, not {}", kMaxItems, in.items.size()));
  for (std::size_t i = 0; i < in.items.size(); ++i) {
    const auto& item = in.items[i];
    if (item.duration_ms && (*item.duration_ms < kMinItemMs || *item.duration_ms > kMaxItemMs))
      return make_error(ErrorCode::invalid, fmt::format("items[{}].duration_ms is from {} (1 s) to {} (24 h), not {}", i,
                                                        kMinItemMs, kMaxItemMs, *item.duration_ms));
    VC_ASSIGN(auto m, s.media().find(item.media_id));
    if (!m || m->organization_id != org)
      return make_error(ErrorCode::not_found, fmt::format("items[{}]: media item '{}' not found", i, item.media_id));
  }
  return {};
}

// The device's own pk for an assignment input, or "" for a group assignment (checked to exist).
Result<std::string> assignment_target(StorageSession& s, const Actor& actor, const std::string& org,
                                      const AssignmentInput& in) {
  if (in.device_id.empty() == in.group_id.empty())
    return make_error(ErrorCode::invalid, "an assignment names exactly one of device_id and group_id");
  if (in.priority < -1000 || in.priority > 1000)
    return make_error(ErrorCode::invalid, fmt::format("priority is from -1000 to 1000, not {}", in.priority));
  VC_ASSIGN(auto p, visible_playlist(s, actor, in.playlist_id));
  if (p.organization_id != org) return not_found("playlist", in.playlist_id);
  if (!in.group_id.empty()) {
    VC_ASSIGN(auto g, visible_group(s, actor, in.group_id));
    if (g.organization_id != org) return not_found("group", in.group_id);
    return std::string();
  }
  VC_ASSIGN(auto d, load_visible_device(s, actor, in.device_id));
  if (d.organization_id != org) return not_found("device", in.device_id);
  return d.id;
}

// After a commit: panels and integrators learn that schedules changed (events.hpp).
void changed(const ServiceContext& ctx, const Actor& actor, const std::string& org, const char* what,
             const std::string& id, std::vector<std::string> devices = {}) {
  ctx.publish(domain_event(EventKind::schedule_changed, org, {}, id, what, std::move(devices)), actor);
}

}  // namespace

// ---- JSON inputs ------------------------------------------------------------------------------------

namespace {
using rapidjson::Value;
std::string_view sv(const Value& v) { return {v.GetString(), v.GetStringLength()}; }
Error bad(std::string m) { return make_error(ErrorCode::invalid, std::move(m)); }

Result<rapidjson::Document> parse_object(std::string_view json, const char* what) {
  rapidjson::Document doc;
  if (json.size() > 1024 * 1024) return bad(fmt::format("a {} is at most 1 MiB of JSON", what));
  doc.Parse<rapidjson::kParseDefaultFlags | rapidjson::kParseIterativeFlag>(json.data(), json.size());
  if (doc.HasParseError() || !doc.IsObject()) return bad(fmt::format("a {} is a JSON object", what));
  return doc;
}

// A nested schedule object, read by the one schedule parser (schedule.hpp) from its own text.
Result<Schedule> schedule_of(const Value& v) {
  rapidjson::StringBuffer text;
  rapidjson::Writer<rapidjson::StringBuffer> writer(text);
  v.Accept(writer);
  return parse_schedule(std::string_view(text.GetString(), text.GetSize()));
}

Result<void> only_fields(const Value& o, std::initializer_list<std::string_view> allowed, const char* what) {
  for (auto m = o.MemberBegin(); m != o.MemberEnd(); ++m) {
    if (std::find(allowed.begin(), allowed.end(), sv(m->name)) != allowed.end()) continue;
    std::string list;
    for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
    return bad(fmt::format("{} has an unknown field '{}'; it accepts {}", what, sv(m->name), list));
  }
  return {};
}
}  // namespace

Result<PlaylistInput> parse_playlist_input(std::string_view json) {
  VC_ASSIGN(auto doc, parse_object(json, "playlist"));
  VC_TRY(only_fields(doc, {"name", "loop", "shuffle", "transition", "items"}, "playlist"));
  PlaylistInput in;
  auto f = doc.FindMember("name");
  if (f == doc.MemberEnd() || !f->value.IsString()) return bad("field 'name' is required: a text of 1 to 100 characters");
  in.name = std::string(sv(f->value));
  for (auto [key, out] : {std::pair{"loop", &in.loop}, std::pair{"shuffle", &in.shuffle}}) {
    auto b = doc.FindMember(key);
    if (b == doc.MemberEnd()) continue;
    if (!b->value.IsBool()) return bad(fmt::format("field '{}' is true or false", key));
    *out = b->value.GetBool();
  }
  if (auto t = doc.FindMember("transition"); t != doc.MemberEnd()) {
    if (!t->value.IsString()) return bad("field 'transition' is none or fade");
    in.transition = std::string(sv(t->value));
  }
  if (auto items = doc.FindMember("items"); items != doc.MemberEnd()) {
    if (!items->value.IsArray()) return bad("field 'items' is a list of {\"media_id\",\"duration_ms\"?}");
    rapidjson::SizeType i = 0;
    for (const auto& it : items->value.GetArray()) {
      const std::string where = fmt::format("items[{}]", i++);
      if (!it.IsObject()) return bad(where + " is an object {\"media_id\",\"duration_ms\"?}");
      VC_TRY(only_fields(it, {"media_id", "duration_ms"}, where.c_str()));
      auto m = it.FindMember("media_id");
      if (m == it.MemberEnd() || !m->value.IsString()) return bad(where + ".media_id is required");
      PlaylistItem item{std::string(sv(m->value)), std::nullopt};
      if (auto d = it.FindMember("duration_ms"); d != it.MemberEnd() && !d->value.IsNull()) {
        if (!d->value.IsInt64()) return bad(where + ".duration_ms is a whole number of milliseconds");
        item.duration_ms = d->value.GetInt64();
      }
      in.items.push_back(std::move(item));
    }
  }
  return in;
}

Result<AssignmentInput> parse_assignment_input(std::string_view json) {
  VC_ASSIGN(auto doc, parse_object(json, "assignment"));
  VC_TRY(only_fields(doc, {"playlist_id", "device_id", "group_id", "priority", "schedule"}, "assignment"));
  AssignmentInput in;
  auto p = doc.FindMember("playlist_id");
  if (p == doc.MemberEnd() || !p->value.IsString()) return bad("field 'playlist_id' is required");
  in.playlist_id = std::string(sv(p->value));
  for (auto [key, out] : {std::pair{"device_id", &in.device_id}, std::pair{"group_id", &in.group_id}}) {
    auto f = doc.FindMember(key);
    if (f == doc.MemberEnd() || f->value.IsNull()) continue;
    if (!f->value.IsString()) return bad(fmt::format("field '{}' is a text", key));
    *out = std::string(sv(f->value));
  }
  if (auto pr = doc.FindMember("priority"); pr != doc.MemberEnd()) {
    if (!pr->value.IsInt()) return bad("field 'priority' is a whole number from -1000 to 1000");
    in.priority = pr->value.GetInt();
  }
  if (auto s = doc.FindMember("schedule"); s != doc.MemberEnd() && !s->value.IsNull()) {
    VC_ASSIGN(in.schedule, schedule_of(s->value));
  }
  return in;
}

Result<SchedulePreviewInput> parse_schedule_preview(std::string_view json) {
  VC_ASSIGN(auto doc, parse_object(json, "schedule preview"));
  VC_TRY(only_fields(doc, {"schedule", "timezone", "count"}, "schedule preview"));
  SchedulePreviewInput in;
  auto sch = doc.FindMember("schedule");
  if (sch == doc.MemberEnd()) return bad("field 'schedule' is required");
  VC_ASSIGN(in.schedule, schedule_of(sch->value));
  if (auto z = doc.FindMember("timezone"); z != doc.MemberEnd() && !z->value.IsNull()) {
    if (!z->value.IsString()) return bad("field 'timezone' is an IANA name like Europe/Berlin");
    in.timezone = std::string(sv(z->value));
  }
  if (auto c = doc.FindMember("count"); c != doc.MemberEnd()) {
    if (!c->value.IsInt() || c->value.GetInt() < 1 || c->value.GetInt() > 50) return bad("field 'count' is a number from 1 to 50");
    in.count = c->value.GetInt();
  }
  return in;
}

// ---- groups ---------------------------------------------------------------------------------------

namespace {
// The members' pks, each a device of the group's organisation. Errors: not_found, invalid.
Result<std::vector<std::string>> member_pks_of(StorageSession& s, const Actor& actor, const std::string& org,
                                               const std::vector<std::string>& device_ids) {
  if (device_ids.size() > 10000) return make_error(ErrorCode::invalid, "a group has at most 10000 devices");
  std::set<std::string> pks;
  for (const auto& device_id : device_ids) {
    VC_ASSIGN(auto d, load_visible_device(s, actor, device_id));
    if (d.organization_id != org) return not_found("device", device_id);
    pks.insert(d.id);
  }
  return std::vector<std::string>(pks.begin(), pks.end());
}
}  // namespace

Result<DeviceGroup> Scheduling::create_group(const Actor& actor, std::string_view name,
                                             const std::vector<std::string>& device_ids) {
  VC_TRY(require(actor, Permission::manage_content));
  VC_ASSIGN(auto org, home_org(actor));
  VC_TRY(validate_name("name", name, 100));
  DeviceGroup g;
  g.id = new_id(*ctx_.clock);
  g.organization_id = org;
  g.name = std::string(name);
  g.created_at_ms = g.updated_at_ms = ctx_.now_ms();
  auto out = write_value<DeviceGroup>(ctx_.storage, [&](StorageSession& s) -> Result<DeviceGroup> {
    VC_ASSIGN(auto pks, member_pks_of(s, actor, org, device_ids));
    VC_TRY(s.scheduling().insert_group(g));
    if (!pks.empty()) VC_TRY(s.scheduling().set_members(g.id, pks, g.created_at_ms));
    VC_TRY(s.audit().append(audit_entry(ctx_, actor, "group.create", "group", g.id, org)));
    VC_ASSIGN(auto again, s.scheduling().find_group(g.id));
    return std::move(*again);
  });
  if (out) changed(ctx_, actor, org, "group", out->id, out->device_ids);
  return out;
}

Result<DeviceGroup> Scheduling::get_group(const Actor& actor, std::string_view id) {
  return read_value<DeviceGroup>(ctx_.storage, [&](StorageSession& s) -> Result<DeviceGroup> {
    VC_ASSIGN(auto g, visible_group(s, actor, id));
    VC_TRY(require(actor, Permission::read));
    return g;
  });
}

Result<std::vector<DeviceGroup>> Scheduling::list_groups(const Actor& actor) {
  VC_TRY(require(actor, Permission::read));
  VC_ASSIGN(auto org, home_org(actor));
  return read_value<std::vector<DeviceGroup>>(ctx_.storage, [&](StorageSession& s) { return s.scheduling().list_groups(org); });
}

Result<DeviceGroup> Scheduling::update_group(const Actor& actor, std::string_view id, const GroupPatch& patch) {
  if (patch.name) VC_TRY(validate_name("name", *patch.name, 100));
  std::vector<std::string> before;
  auto out = write_value<DeviceGroup>(ctx_.storage, [&](StorageSession& s) -> Result<DeviceGroup> {
    VC_ASSIGN(auto g, visible_group(s, actor, id));
    VC_TRY(require(actor, Permission::manage_content));
    before = g.device_ids;
    const auto now = ctx_.now_ms();
    if (patch.name) {
      g.name = *patch.name;
      g.updated_at_ms = now;
      VC_TRY(s.scheduling().update_group(g));
      VC_TRY(s.audit().append(audit_entry(ctx_, actor, "group.rename", "group", g.id, g.organization_id)));
    }
    if (patch.device_ids) {
      VC_ASSIGN(auto pks, member_pks_of(s, actor, g.organization_id, *patch.device_ids));
      VC_TRY(s.scheduling().set_members(g.id, pks, now));
      VC_TRY(s.audit().append(audit_entry(ctx_, actor, "group.devices", "group", g.id, g.organization_id,
                                          JsonWriter().begin_object().key("devices").value(static_cast<std::int64_t>(pks.size())).end_object().str())));
    }
    VC_ASSIGN(auto again, s.scheduling().find_group(g.id));
    return std::move(*again);
  });
  if (out) {
    std::set<std::string> devices(before.begin(), before.end());
    devices.insert(out->device_ids.begin(), out->device_ids.end());
    changed(ctx_, actor, out->organization_id, "group", out->id, {devices.begin(), devices.end()});
  }
  return out;
}

Result<DeviceGroup> Scheduling::rename_group(const Actor& actor, std::string_view id, std::string_view name) {
  return update_group(actor, id, GroupPatch{std::string(name), std::nullopt});
}

Result<DeviceGroup> Scheduling::set_group_devices(const Actor& actor, std::string_view id,
                                                  const std::vector<std::string>& device_ids) {
  return update_group(actor, id, GroupPatch{std::nullopt, device_ids});
}

Result<void> Scheduling::delete_group(const Actor& actor, std::string_view id) {
  DeviceGroup gone;
  VC_TRY(ctx_.storage.transact([&](StorageSession& s) -> Result<void> {
    VC_ASSIGN(gone, visible_group(s, actor, id));
    VC_TRY(require(actor, Permission::manage_content));
    VC_TRY(s.scheduling().remove_group(gone.id));
    return s.audit().append(audit_entry(ctx_, actor, "group.delete", "group", gone.id, gone.organization_id));
  }));
  changed(ctx_, actor, gone.organization_id, "group", gone.id, gone.device_ids);
  return {};
}

// ---- playlists ------------------------------------------------------------------------------------

Result<Playlist> Scheduling::create_playlist(const Actor& actor, const PlaylistInput& in) {
  VC_TRY(require(actor, Permission::manage_content));
  VC_ASSIGN(auto org, home_org(actor));
  Playlist p;
  p.id = new_id(*ctx_.clock);
  p.organization_id = org;
  p.name = in.name;
  p.loop = in.loop;
  p.shuffle = in.shuffle;
  p.transition = in.transition;
  p.items = in.items;
  p.created_at_ms = p.updated_at_ms = ctx_.now_ms();
  VC_TRY(ctx_.storage.transact([&](StorageSession& s) -> Result<void> {
    VC_TRY(check_playlist(s, org, in));
    VC_TRY(s.scheduling().insert_playlist(p));
    return s.audit().append(audit_entry(ctx_, actor, "playlist.create", "playlist", p.id, org));
  }));
  changed(ctx_, actor, org, "playlist", p.id);
  return p;
}

Result<Playlist> Scheduling::get_playlist(const Actor& actor, std::string_view id) {
  return read_value<Playlist>(ctx_.storage, [&](StorageSession& s) -> Result<Playlist> {
    VC_ASSIGN(auto p, visible_playlist(s, actor, id));
    VC_TRY(require(actor, Permission::read));
    return p;
  });
}

Result<std::vector<Playlist>> Scheduling::list_playlists(const Actor& actor) {
  VC_TRY(require(actor, Permission::read));
  VC_ASSIGN(auto org, home_org(actor));
  return read_value<std::vector<Playlist>>(ctx_.storage, [&](StorageSession& s) { return s.scheduling().list_playlists(org); });
}

Result<Playlist> Scheduling::update_playlist(const Actor& actor, std::string_view id, const PlaylistInput& in) {
  auto out = write_value<Playlist>(ctx_.storage, [&](StorageSession& s) -> Result<Playlist> {
    VC_ASSIGN(auto p, visible_playlist(s, actor, id));
    VC_TRY(require(actor, Permission::manage_content));
    VC_TRY(check_playlist(s, p.organization_id, in));
    p.name = in.name;
    p.loop = in.loop;
    p.shuffle = in.shuffle;
    p.transition = in.transition;
    p.items = in.items;
    p.updated_at_ms = ctx_.now_ms();
    VC_TRY(s.scheduling().update_playlist(p));
    VC_TRY(s.audit().append(audit_entry(ctx_, actor, "playlist.update", "playlist", p.id, p.organization_id)));
    return p;
  });
  if (out) changed(ctx_, actor, out->organization_id, "playlist", out->id);
  return out;
}

Result<Playlist> Scheduling::duplicate_playlist(const Actor& actor, std::string_view id) {
  auto out = write_value<Playlist>(ctx_.storage, [&](StorageSession& s) -> Result<Playlist> {
    VC_ASSIGN(auto p, visible_playlist(s, actor, id));
    VC_TRY(require(actor, Permission::manage_content));
    p.id = new_id(*ctx_.clock);
    p.name = (p.name.size() > 90 ? p.name.substr(0, 90) : p.name) + " (copy)";
    p.created_at_ms = p.updated_at_ms = ctx_.now_ms();
    VC_TRY(s.scheduling().insert_playlist(p));
    VC_TRY(s.audit().append(audit_entry(ctx_, actor, "playlist.duplicate", "playlist", p.id, p.organization_id,
                                        JsonWriter().begin_object().key("from").value(id).end_object().str())));
    return p;
  });
  if (out) changed(ctx_, actor, out->organization_id, "playlist", out->id);
  return out;
}

Result<void> Scheduling::delete_playlist(const Actor& actor, std::string_view id) {
  std::string org;
  VC_TRY(ctx_.storage.transact([&](StorageSession& s) -> Result<void> {
    VC_ASSIGN(auto p, visible_playlist(s, actor, id));
    VC_TRY(require(actor, Permission::manage_content));
    org = p.organization_id;
    VC_TRY(s.scheduling().remove_playlist(p.id));
    return s.audit().append(audit_entry(ctx_, actor, "playlist.delete", "playlist", p.id, p.organization_id));
  }));
  changed(ctx_, actor, org, "playlist", std::string(id));
  return {};
}

Result<std::vector<std::pair<std::string, std::string>>> Scheduling::playlists_using(const Actor& actor,
                                                                                     std::string_view media_id) {
  return read_value<std::vector<std::pair<std::string, std::string>>>(
      ctx_.storage, [&](StorageSession& s) -> Result<std::vector<std::pair<std::string, std::string>>> {
        VC_ASSIGN(auto m, s.media().find(media_id));
        if (!m || !can_see(actor, m->organization_id)) return not_found("media item", media_id);
        VC_TRY(require(actor, Permission::read));
        return s.scheduling().playlists_using(m->id);
      });
}

// ---- assignments ----------------------------------------------------------------------------------

Result<Assignment> Scheduling::create_assignment(const Actor& actor, const AssignmentInput& in) {
  VC_TRY(require(actor, Permission::manage_content));
  VC_ASSIGN(auto org, home_org(actor));
  auto out = write_value<Assignment>(ctx_.storage, [&](StorageSession& s) -> Result<Assignment> {
    VC_ASSIGN(auto pk, assignment_target(s, actor, org, in));
    Assignment a;
    a.id = new_id(*ctx_.clock);
    a.organization_id = org;
    a.playlist_id = in.playlist_id;
    a.device_id = in.device_id;
    a.group_id = in.group_id;
    a.priority = in.priority;
    a.schedule = in.schedule;
    a.created_at_ms = a.updated_at_ms = ctx_.now_ms();
    VC_TRY(s.scheduling().insert_assignment(a, pk));
    VC_TRY(s.audit().append(audit_entry(ctx_, actor, "assignment.create", "assignment", a.id, org,
                                        JsonWriter().begin_object().key("schedule").raw(schedule_json(a.schedule)).end_object().str())));
    return a;
  });
  if (out) changed(ctx_, actor, org, "assignment", out->id, out->device_id.empty() ? std::vector<std::string>{} : std::vector<std::string>{out->device_id});
  return out;
}

Result<std::vector<Assignment>> Scheduling::list_assignments(const Actor& actor, std::string_view device_id,
                                                             std::string_view group_id) {
  VC_TRY(require(actor, Permission::read));
  VC_ASSIGN(auto org, home_org(actor));
  return read_value<std::vector<Assignment>>(ctx_.storage, [&](StorageSession& s) -> Result<std::vector<Assignment>> {
    std::string pk;
    if (!device_id.empty()) {
      VC_ASSIGN(auto d, load_visible_device(s, actor, device_id));
      pk = d.id;
    }
    return s.scheduling().list_assignments(org, pk, group_id);
  });
}

Result<Assignment> Scheduling::update_assignment(const Actor& actor, std::string_view id, const AssignmentInput& in) {
  auto out = write_value<Assignment>(ctx_.storage, [&](StorageSession& s) -> Result<Assignment> {
    VC_ASSIGN(auto a, visible_assignment(s, actor, id));
    VC_TRY(require(actor, Permission::manage_content));
    VC_ASSIGN(auto pk, assignment_target(s, actor, a.organization_id, in));
    a.playlist_id = in.playlist_id;
    a.device_id = in.device_id;
    a.group_id = in.group_id;
    a.priority = in.priority;
    a.schedule = in.schedule;
    a.updated_at_ms = ctx_.now_ms();
    VC_TRY(s.scheduling().update_assignment(a, pk));
    VC_TRY(s.audit().append(audit_entry(ctx_, actor, "assignment.update", "assignment", a.id, a.organization_id)));
    return a;
  });
  if (out) changed(ctx_, actor, out->organization_id, "assignment", out->id);
  return out;
}

Result<void> Scheduling::delete_assignment(const Actor& actor, std::string_view id) {
  std::string org;
  VC_TRY(ctx_.storage.transact([&](StorageSession& s) -> Result<void> {
    VC_ASSIGN(auto a, visible_assignment(s, actor, id));
    VC_TRY(require(actor, Permission::manage_content));
    org = a.organization_id;
    VC_TRY(s.scheduling().remove_assignment(a.id));
    return s.audit().append(audit_entry(ctx_, actor, "assignment.delete", "assignment", a.id, a.organization_id));
  }));
  changed(ctx_, actor, org, "assignment", std::string(id));
  return {};
}

// ---- device settings ------------------------------------------------------------------------------

Result<DeviceScheduleSettings> Scheduling::device_settings(const Actor& actor, std::string_view device_id) {
  return read_value<DeviceScheduleSettings>(ctx_.storage, [&](StorageSession& s) -> Result<DeviceScheduleSettings> {
    VC_ASSIGN(auto d, load_visible_device(s, actor, device_id));
    VC_TRY(require(actor, Permission::read));
    return s.scheduling().device_settings(d.id);
  });
}

Result<DeviceScheduleSettings> Scheduling::set_device_settings(const Actor& actor, std::string_view device_id,
                                                               const DeviceScheduleSettings& settings) {
  if (!settings.timezone.empty()) VC_TRY(TimeZone::locate(settings.timezone));
  std::string org;
  auto out = write_value<DeviceScheduleSettings>(ctx_.storage, [&](StorageSession& s) -> Result<DeviceScheduleSettings> {
    VC_ASSIGN(auto d, load_visible_device(s, actor, device_id));
    VC_TRY(require(actor, Permission::manage_content));
    org = d.organization_id;
    if (!settings.default_playlist_id.empty()) {
      VC_ASSIGN(auto p, visible_playlist(s, actor, settings.default_playlist_id));
      if (p.organization_id != d.organization_id) return not_found("playlist", settings.default_playlist_id);
    }
    VC_TRY(s.scheduling().put_device_settings(d.id, settings, ctx_.now_ms()));
    VC_TRY(s.audit().append(audit_entry(ctx_, actor, "device.schedule_settings", "device", d.device_id, d.organization_id)));
    return settings;
  });
  if (out) changed(ctx_, actor, org, "device_schedule", std::string(device_id), {std::string(device_id)});
  return out;
}

Result<void> Scheduling::resume_schedule(const Actor& actor, std::string_view device_id) {
  std::string org;
  auto out = write_value<bool>(ctx_.storage, [&](StorageSession& s) -> Result<bool> {
    VC_ASSIGN(auto d, load_visible_device(s, actor, device_id));
    VC_TRY(require(actor, Permission::control));
    org = d.organization_id;
    // The stored state is no longer a manual one: a restarted engine does not hold the device again.
    VC_ASSIGN(auto state, s.devices().state(d.id));
    if (state && !state->scheduled) {
      state->scheduled = true;
      VC_TRY(s.devices().put_state(d.id, *state));
    }
    VC_TRY(s.audit().append(audit_entry(ctx_, actor, "device.schedule_resume", "device", d.device_id, d.organization_id)));
    return true;
  });
  if (!out) return out.error();
  // Every instance's engine drops its hold; the one holding the device plays the schedule's item.
  ctx_.publish(domain_event(EventKind::schedule_changed, org, std::string(device_id), std::string(device_id), "resume",
                            {std::string(device_id)}),
               actor);
  return {};
}

// ---- overrides ------------------------------------------------------------------------------------

Result<Override> Scheduling::start_override(const Actor& actor, const OverrideInput& in) {
  VC_TRY(require(actor, Permission::control));
  VC_ASSIGN(auto org, home_org(actor));
  if (in.media_id.empty() && in.message.empty())
    return make_error(ErrorCode::invalid, "an override shows a media item (media_id), a message, or both");
  if (in.message.size() > kMaxMessage)
    return make_error(ErrorCode::invalid, fmt::format("message is at most {} bytes", kMaxMessage));
  const auto now = ctx_.now_ms();
  if (in.ends_at_ms && *in.ends_at_ms <= now) return make_error(ErrorCode::invalid, "ends_at must be in the future");
  Override o;
  o.id = new_id(*ctx_.clock);
  o.organization_id = org;
  o.group_id = in.group_id;
  o.media_id = in.media_id;
  o.message = in.message;
  o.starts_at_ms = now;
  o.ends_at_ms = in.ends_at_ms;
  o.created_by = actor.id;
  o.created_at_ms = now;
  VC_TRY(ctx_.storage.transact([&](StorageSession& s) -> Result<void> {
    if (!in.group_id.empty()) {
      VC_ASSIGN(auto g, visible_group(s, actor, in.group_id));
      if (g.organization_id != org) return not_found("group", in.group_id);
    }
    if (!in.media_id.empty()) {
      VC_ASSIGN(auto m, s.media().find(in.media_id));
      if (!m || m->organization_id != org) return not_found("media item", in.media_id);
    }
    VC_TRY(s.scheduling().insert_override(o));
    return s.audit().append(audit_entry(ctx_, actor, "override.start", "override", o.id, org,
                                        JsonWriter().begin_object().key("message").value(o.message).end_object().str()));
  }));
  changed(ctx_, actor, org, "override", o.id);
  return o;
}

Result<std::vector<Override>> Scheduling::active_overrides(const Actor& actor) {
  VC_TRY(require(actor, Permission::read));
  VC_ASSIGN(auto org, home_org(actor));
  return read_value<std::vector<Override>>(ctx_.storage,
                                           [&](StorageSession& s) { return s.scheduling().active_overrides(org, ctx_.now_ms()); });
}

Result<Override> Scheduling::clear_override(const Actor& actor, std::string_view id) {
  auto out = write_value<Override>(ctx_.storage, [&](StorageSession& s) -> Result<Override> {
    VC_ASSIGN(auto o, s.scheduling().find_override(id));
    if (!o || !can_see(actor, o->organization_id)) return not_found("override", id);
    VC_TRY(require(actor, Permission::control));
    if (o->cleared_at_ms) return make_error(ErrorCode::conflict, fmt::format("override '{}' was cleared already", id));
    const auto now = ctx_.now_ms();
    VC_TRY(s.scheduling().clear_override(o->id, now));
    VC_TRY(s.audit().append(audit_entry(ctx_, actor, "override.clear", "override", o->id, o->organization_id)));
    o->cleared_at_ms = now;
    return std::move(*o);
  });
  if (out) changed(ctx_, actor, out->organization_id, "override", out->id);
  return out;
}

// ---- timelines ------------------------------------------------------------------------------------

namespace {

Result<Timeline> timeline_of(StorageSession& s, const Device& d, const Organization& org,
                             const std::vector<Override>& overrides, std::int64_t from, std::int64_t to) {
  VC_ASSIGN(auto settings, s.scheduling().device_settings(d.id));
  Timeline t;
  t.device_id = d.device_id;
  t.timezone = settings.timezone.empty() ? org.timezone : settings.timezone;
  t.from_ms = from;
  t.to_ms = to;
  VC_ASSIGN(auto zone, TimeZone::locate(t.timezone));
  TimelineInput in;
  VC_ASSIGN(auto rules, s.scheduling().assignments_for(d.id));
  for (auto& a : rules)
    in.rules.push_back(ScheduleRule{a.id, a.playlist_id, a.group_id, a.priority, a.updated_at_ms, std::move(a.schedule)});
  VC_ASSIGN(auto groups, s.scheduling().group_ids_of(d.id));
  for (const auto& o : overrides) {
    if (!o.group_id.empty() && std::find(groups.begin(), groups.end(), o.group_id) == groups.end()) continue;
    in.overrides.push_back(OverrideRule{o.id, o.media_id, o.message, o.group_id, o.starts_at_ms, o.ends_at_ms.value_or(0)});
  }
  in.default_playlist_id = settings.default_playlist_id;
  in.placeholder_media_id = d.placeholder_media_id;
  t.entries = resolve_timeline(in, zone, from, to);
  return t;
}

Result<void> check_window(std::int64_t from, std::int64_t to) {
  if (to <= from) return make_error(ErrorCode::invalid, "'to' must be after 'from'");
  if (to - from > kMaxTimelineMs) return make_error(ErrorCode::invalid, "a timeline covers at most 31 days");
  return {};
}

}  // namespace

Result<Timeline> Scheduling::device_timeline(const Actor& actor, std::string_view device_id, std::int64_t from_ms,
                                             std::int64_t to_ms) {
  VC_TRY(check_window(from_ms, to_ms));
  return read_value<Timeline>(ctx_.storage, [&](StorageSession& s) -> Result<Timeline> {
    VC_ASSIGN(auto d, load_visible_device(s, actor, device_id));
    VC_TRY(require(actor, Permission::read));
    VC_ASSIGN(auto org, s.organizations().find(d.organization_id));
    if (!org) return not_found("organization", d.organization_id);
    VC_ASSIGN(auto overrides, s.scheduling().active_overrides(d.organization_id, ctx_.now_ms()));
    return timeline_of(s, d, *org, overrides, from_ms, to_ms);
  });
}

Result<std::vector<Timeline>> Scheduling::group_timeline(const Actor& actor, std::string_view group_id,
                                                         std::int64_t from_ms, std::int64_t to_ms) {
  VC_TRY(check_window(from_ms, to_ms));
  return read_value<std::vector<Timeline>>(ctx_.storage, [&](StorageSession& s) -> Result<std::vector<Timeline>> {
    VC_ASSIGN(auto g, visible_group(s, actor, group_id));
    VC_TRY(require(actor, Permission::read));
    if (g.device_ids.size() > kMaxGroupTimeline)
      return make_error(ErrorCode::invalid, fmt::format("a group timeline covers at most {} devices", kMaxGroupTimeline));
    VC_ASSIGN(auto org, s.organizations().find(g.organization_id));
    if (!org) return not_found("organization", g.organization_id);
    VC_ASSIGN(auto overrides, s.scheduling().active_overrides(g.organization_id, ctx_.now_ms()));
    std::vector<Timeline> out;
    for (const auto& device_id : g.device_ids) {
      VC_ASSIGN(auto d, load_visible_device(s, actor, device_id));
      VC_ASSIGN(auto t, timeline_of(s, d, *org, overrides, from_ms, to_ms));
      out.push_back(std::move(t));
    }
    return out;
  });
}

Result<std::string> Scheduling::preview_json(const Actor& actor, const SchedulePreviewInput& in, std::int64_t now_ms) {
  VC_TRY(require(actor, Permission::read));
  VC_ASSIGN(auto zone, TimeZone::locate(in.timezone));
  std::vector<TimeSpan> next;
  // A month at a time, up to a year, until there are enough; a span running at `now` counts.
  for (std::int64_t from = now_ms; next.size() < static_cast<std::size_t>(in.count) && from < now_ms + 366LL * 86'400'000;
       from += 31LL * 86'400'000) {
    for (const auto& span : active_spans(in.schedule, zone, from, from + 31LL * 86'400'000)) {
      if (!next.empty() && next.back().end_ms == span.begin_ms) next.back().end_ms = span.end_ms;  // across the chunk edge
      else if (next.size() < static_cast<std::size_t>(in.count)) next.push_back(span);
    }
  }
  JsonWriter w;
  w.begin_object().key("timezone").value(zone.name()).key("description").value(describe(in.schedule));
  w.key("schedule").raw(schedule_json(in.schedule)).key("next").begin_array();
  for (const auto& span : next)
    w.begin_object().key("from").time(span.begin_ms).key("to").time(span.end_ms).key("local_from").value(zone.format_local(span.begin_ms))
        .key("local_to").value(zone.format_local(span.end_ms)).end_object();
  w.end_array().end_object();
  return std::move(w).str();
}

// ---- JSON -----------------------------------------------------------------------------------------

std::string Scheduling::to_json(const DeviceGroup& g) {
  JsonWriter w;
  w.begin_object().key("id").value(g.id).key("organization_id").value(g.organization_id).key("name").value(g.name);
  w.key("device_ids").begin_array();
  for (const auto& d : g.device_ids) w.value(d);
  w.end_array().key("created_at").time(g.created_at_ms).key("updated_at").time(g.updated_at_ms).end_object();
  return std::move(w).str();
}

std::string Scheduling::to_json(const Playlist& p) {
  JsonWriter w;
  w.begin_object().key("id").value(p.id).key("organization_id").value(p.organization_id).key("name").value(p.name);
  w.key("loop").value(p.loop).key("shuffle").value(p.shuffle).key("transition").value(p.transition);
  w.key("items").begin_array();
  for (const auto& i : p.items) {
    w.begin_object().key("media_id").value(i.media_id).key("duration_ms");
    w.optional(i.duration_ms).end_object();
  }
  w.end_array().key("created_at").time(p.created_at_ms).key("updated_at").time(p.updated_at_ms).end_object();
  return std::move(w).str();
}

std::string Scheduling::to_json(const Assignment& a) {
  JsonWriter w;
  w.begin_object().key("id").value(a.id).key("organization_id").value(a.organization_id).key("playlist_id").value(a.playlist_id);
  w.key("device_id").string_or_null(a.device_id).key("group_id").string_or_null(a.group_id).key("priority").value(a.priority);
  w.key("schedule").raw(schedule_json(a.schedule)).key("description").value(describe(a.schedule));
  w.key("created_at").time(a.created_at_ms).key("updated_at").time(a.updated_at_ms).end_object();
  return std::move(w).str();
}

std::string Scheduling::to_json(const Override& o) {
  JsonWriter w;
  w.begin_object().key("id").value(o.id).key("organization_id").value(o.organization_id);
  w.key("group_id").string_or_null(o.group_id).key("media_id").string_or_null(o.media_id).key("message").value(o.message);
  w.key("starts_at").time(o.starts_at_ms).key("ends_at").time(o.ends_at_ms).key("cleared_at").time(o.cleared_at_ms);
  w.key("created_by").string_or_null(o.created_by).key("created_at").time(o.created_at_ms).end_object();
  return std::move(w).str();
}

std::string Scheduling::to_json(const DeviceScheduleSettings& s) {
  JsonWriter w;
  w.begin_object().key("default_playlist_id").string_or_null(s.default_playlist_id).key("timezone").string_or_null(s.timezone).end_object();
  return std::move(w).str();
}

std::string Scheduling::to_json(const Timeline& t) {
  auto zone = TimeZone::locate(t.timezone);
  JsonWriter w;
  w.begin_object().key("device_id").value(t.device_id).key("timezone").value(t.timezone);
  w.key("from").time(t.from_ms).key("to").time(t.to_ms).key("entries").begin_array();
  for (const auto& e : t.entries) {
    w.begin_object().key("from").time(e.span.begin_ms).key("to").time(e.span.end_ms);
    if (zone.ok()) w.key("local_from").value(zone->format_local(e.span.begin_ms)).key("local_to").value(zone->format_local(e.span.end_ms));
    w.key("source").value(to_string(e.source));
    w.key("playlist_id").string_or_null(e.playlist_id).key("assignment_id").string_or_null(e.assignment_id);
    w.key("group_id").string_or_null(e.group_id);
    if (e.source == TimelineSource::assignment) w.key("priority").value(e.priority);
    else w.key("priority").null();
    w.key("override_id").string_or_null(e.override_id).key("media_id").string_or_null(e.media_id);
    w.key("message").string_or_null(e.message).end_object();
  }
  w.end_array().end_object();
  return std::move(w).str();
}

}  // namespace vc
