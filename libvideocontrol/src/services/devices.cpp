#include "videocontrol/devices.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "../auth/digest.hpp"
#include "context.hpp"
#include "videocontrol/json_writer.hpp"
#include "json_render.hpp"
#include "validation.hpp"
#include "util/utf8.hpp"
#include "videocontrol/cache.hpp"
#include "videocontrol/id.hpp"
#include "videocontrol/permissions.hpp"

namespace vc {
namespace {

Error device_not_found(std::string_view id) {
  return make_error(ErrorCode::not_found, fmt::format("device '{}' not found", id));
}

Result<void> validate_device_id(std::string_view v) {
  const bool ok = !v.empty() && v.size() <= 64 &&
                  v.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") ==
                      std::string_view::npos;
  if (!ok) return make_error(ErrorCode::invalid, "device_id must be 1-64 characters: letters, digits, _ and -");
  return {};
}

// What may be a device's idle content: an image or video of its organisation.
Result<Media> placeholder_media(StorageSession& s, std::string_view organization_id, std::string_view media_id) {
  VC_ASSIGN(auto m, s.media().find(media_id));
  if (!m || m->organization_id != organization_id)
    return make_error(ErrorCode::not_found, fmt::format("media '{}' not found", media_id));
  if (m->kind != MediaKind::image && m->kind != MediaKind::video)
    return make_error(ErrorCode::invalid,
                      fmt::format("a placeholder must be an image or a video; '{}' is {}", m->name, to_string(m->kind)));
  return std::move(*m);
}

}  // namespace

// Shared with media.cpp: a device the actor may see, or "not found".
Result<Device> load_visible_device(StorageSession& s, const Actor& actor, std::string_view device_id) {
  VC_ASSIGN(auto d, s.devices().find_by_device_id(device_id));
  if (!d || !can_see(actor, d->organization_id)) return device_not_found(device_id);
  return std::move(*d);
}

std::string devices_namespace(std::string_view organization_id) { return fmt::format("devices:{}", organization_id); }

namespace {

Result<DeviceView> view_of(StorageSession& s, Device d) {
  VC_ASSIGN(auto state, s.devices().state(d.id));
  return DeviceView{std::move(d), std::move(state), {}};
}

}  // namespace

const std::vector<std::string>& Devices::field_names() {
  static const std::vector<std::string> names = {"device_id", "name", "status", "device_type", "platform",
                                                 "capabilities", "has_credential", "legacy_player", "placeholder_media_id",
                                                 "last_seen_at", "now_playing", "organization_id", "created_at",
                                                 "updated_at"};
  return names;
}

std::string Devices::to_json(const DeviceView& view, const std::vector<std::string>& fields) {
  return json::device(view, fields);
}

Result<DeviceView> Devices::create(const Actor& actor, const DeviceInput& in) {
  VC_TRY(require(actor, Permission::manage_content));
  VC_TRY(validate_device_id(in.device_id));
  const std::string name = in.name.empty() ? in.device_id : in.name;
  VC_TRY(validate_name("name", name));
  if (actor.organization_id.empty())
    return make_error(ErrorCode::invalid, "devices belong to an organization; sign in as a member of one, or as the superadmin name the organization to act in (Auth::act_in; X-Organization-Id over HTTP)");
  Device d;
  d.id = new_id(*ctx_.clock);
  d.organization_id = actor.organization_id;
  d.device_id = in.device_id;
  d.name = name;
  d.legacy_player = in.legacy_player;
  std::string secret;
  if (!in.legacy_player) {
    secret = "vcd_" + random_secret(40);
    d.credential_hash = sha256_hex(secret);
  }
  d.created_at_ms = d.updated_at_ms = ctx_.now_ms();
  auto r = write_value<DeviceView>(ctx_.storage, [&](StorageSession& s) -> Result<DeviceView> {
    VC_TRY(s.organizations().lock(d.organization_id));
    VC_ASSIGN(auto org, s.organizations().find(d.organization_id));
    if (!org) return make_error(ErrorCode::not_found, "organization not found");
    VC_ASSIGN(auto n, s.organizations().count_devices(d.organization_id));
    if (auto limit = effective_limits(*org).devices; limit && n >= *limit)
      return make_error(ErrorCode::quota, fmt::format("organization '{}' has reached its limit of {} devices (plan {}); "
                                                      "upgrade the plan or remove a device first",
                                                      org->slug, *limit, org->plan));
    if (auto ins = s.devices().insert(d); !ins)
      return ins.error().code == ErrorCode::conflict
                 ? make_error(ErrorCode::conflict, fmt::format("device_id '{}' is already registered", d.device_id))
                 : std::move(ins).error();
    VC_TRY(s.audit().append(audit_entry(ctx_, actor, "device.create", "device", d.device_id, d.organization_id,
                                        d.legacy_player ? R"({"legacy_player":true})" : "{}")));
    return DeviceView{d, std::nullopt, secret};
  });
  if (!r) return r;
  ctx_.cache.bump(devices_namespace(d.organization_id));
  ctx_.publish(domain_event(EventKind::device_created, d.organization_id, d.device_id, {}, d.name), actor);
  return r;
}

Result<DeviceView> Devices::get(const Actor& actor, std::string_view device_id) {
  return read_value<DeviceView>(ctx_.storage, [&](StorageSession& s) -> Result<DeviceView> {
    VC_ASSIGN(auto d, load_visible_device(s, actor, device_id));
    VC_TRY(require(actor, Permission::read));  // after the tenancy check: others get 404
    return view_of(s, std::move(d));
  });
}

Result<Page<DeviceView>> Devices::list(const Actor& actor, const DeviceQuery& q) {
  VC_TRY(require(actor, Permission::read));
  VC_TRY(validate_page(q.page));
  if (!q.status.empty() && q.status != "online" && q.status != "offline")
    return make_error(ErrorCode::invalid, "status must be online or offline");
  for (const auto& f : q.fields)
    if (std::find(field_names().begin(), field_names().end(), f) == field_names().end())
      return make_error(ErrorCode::invalid, fmt::format("unknown field '{}' in fields", f));
  if (actor.organization_id.empty()) return Page<DeviceView>{};
  return read_value<Page<DeviceView>>(ctx_.storage, [&](StorageSession& s) -> Result<Page<DeviceView>> {
    VC_ASSIGN(auto rows, s.devices().list(actor.organization_id, q.status, q.page.cursor, q.page.limit + 1));
    Page<DeviceView> page;
    if (static_cast<int>(rows.size()) > q.page.limit) {
      rows.resize(static_cast<std::size_t>(q.page.limit));
      page.next_cursor = rows.back().device_id;
    }
    const bool with_state = q.fields.empty() || std::find(q.fields.begin(), q.fields.end(), "now_playing") != q.fields.end();
    for (auto& d : rows) {
      if (with_state) {
        VC_ASSIGN(auto v, view_of(s, std::move(d)));
        page.items.push_back(std::move(v));
      } else {
        page.items.push_back(DeviceView{std::move(d), std::nullopt, {}});
      }
    }
    return page;
  });
}

Result<std::string> Devices::list_json(const Actor& actor, const DeviceQuery& q) {
  VC_TRY(require(actor, Permission::read));
  std::string fields;
  for (const auto& f : q.fields) fields += f + ",";
  const auto gen = ctx_.cache.generation(devices_namespace(actor.organization_id));
  const std::string key = fmt::format("devices:{}:g{}:{}:{}:{}:{}", actor.organization_id, gen, q.status, q.page.cursor,
                                      q.page.limit, fields);
  if (auto hit = ctx_.cache.get(key)) return std::move(*hit);
  VC_ASSIGN(auto page, list(actor, q));
  std::string body = json::device_page(page, q.fields);
  ctx_.cache.put(key, body, kDeviceListTtl);
  return body;
}

Result<DeviceView> Devices::rename(const Actor& actor, std::string_view device_id, std::string_view name) {
  VC_TRY(validate_name("name", name));
  std::string org;
  auto r = write_value<DeviceView>(ctx_.storage, [&](StorageSession& s) -> Result<DeviceView> {
    VC_ASSIGN(auto d, load_visible_device(s, actor, device_id));
    VC_TRY(require(actor, Permission::manage_content));  // after the tenancy check: others get 404
    org = d.organization_id;
    d.name = std::string(name);
    d.updated_at_ms = ctx_.now_ms();
    VC_TRY(s.devices().update(d));
    VC_TRY(s.audit().append(audit_entry(ctx_, actor, "device.rename", "device", d.device_id, d.organization_id)));
    return view_of(s, std::move(d));
  });
  if (!r) return r;
  ctx_.cache.bump(devices_namespace(org));
  ctx_.publish(domain_event(EventKind::device_renamed, org, r->device.device_id, {}, r->device.name), actor);
  return r;
}

Result<void> Devices::remove(const Actor& actor, std::string_view device_id) {
  std::string org;
  std::vector<std::string> freed;  // blobs whose last reference went with this device
  auto r = ctx_.storage.transact([&](StorageSession& s) -> Result<void> {
    VC_ASSIGN(auto d, load_visible_device(s, actor, device_id));
    VC_TRY(require(actor, Permission::manage_content));  // after the tenancy check: others get 404
    org = d.organization_id;
    VC_ASSIGN(auto orphans, s.media().only_on(d.id));
    VC_ASSIGN(bool removed, s.devices().remove(d.id));  // links and state go by cascade
    if (!removed) return device_not_found(device_id);
    for (const auto& media_id : orphans) {
      VC_ASSIGN(auto m, s.media().find(media_id));
      if (!m) continue;
      VC_ASSIGN(auto placeholders, s.devices().with_placeholder(media_id));
      if (!placeholders.empty()) continue;  // still some device's idle content
      VC_TRY(s.media().remove(media_id));
      VC_ASSIGN(bool last, s.blobs().release(m->blob_hash));
      if (last) freed.push_back(m->blob_hash);
    }
    return s.audit().append(audit_entry(ctx_, actor, "device.delete", "device", d.device_id, d.organization_id,
                                        JsonWriter().begin_object().key("media_deleted").value(static_cast<std::uint64_t>(orphans.size())).end_object().str()));
  });
  if (!r) return r;
  collect_blobs(ctx_, freed);  // after commit: a crash leaves only an orphan file, for the sweeper
  ctx_.cache.bump(devices_namespace(org));
  ctx_.cache.bump(media_namespace(org));
  ctx_.publish(domain_event(EventKind::device_deleted, org, std::string(device_id)), actor);
  return {};
}

Result<std::string> Devices::rotate_credential(const Actor& actor, std::string_view device_id) {
  std::string secret = "vcd_" + random_secret(40), org;
  VC_TRY(ctx_.storage.transact([&](StorageSession& s) -> Result<void> {
    VC_ASSIGN(auto d, load_visible_device(s, actor, device_id));
    VC_TRY(require(actor, Permission::manage_content));  // after the tenancy check: others get 404
    org = d.organization_id;
    d.credential_hash = sha256_hex(secret);
    d.updated_at_ms = ctx_.now_ms();
    VC_TRY(s.devices().update(d));
    return s.audit().append(audit_entry(ctx_, actor, "device.credential_rotate", "device", d.device_id, org));
  }));
  ctx_.cache.bump(devices_namespace(org));
  ctx_.publish(domain_event(EventKind::device_credential_changed, org, std::string(device_id)), actor);
  return secret;
}

Result<void> Devices::clear_credential(const Actor& actor, std::string_view device_id) {
  std::string org;
  VC_TRY(ctx_.storage.transact([&](StorageSession& s) -> Result<void> {
    VC_ASSIGN(auto d, load_visible_device(s, actor, device_id));
    VC_TRY(require(actor, Permission::manage_content));  // after the tenancy check: others get 404
    org = d.organization_id;
    d.credential_hash.clear();
    d.updated_at_ms = ctx_.now_ms();
    VC_TRY(s.devices().update(d));
    return s.audit().append(audit_entry(ctx_, actor, "device.credential_clear", "device", d.device_id, org));
  }));
  ctx_.cache.bump(devices_namespace(org));
  ctx_.publish(domain_event(EventKind::device_credential_changed, org, std::string(device_id)), actor);
  return {};
}

Result<DeviceView> Devices::set_legacy_player(const Actor& actor, std::string_view device_id, bool legacy) {
  std::string org;
  bool changed = false;
  auto r = write_value<DeviceView>(ctx_.storage, [&](StorageSession& s) -> Result<DeviceView> {
    VC_ASSIGN(auto d, load_visible_device(s, actor, device_id));
    VC_TRY(require(actor, Permission::manage_content));  // after the tenancy check: others get 404
    org = d.organization_id;
    changed = d.legacy_player != legacy;
    if (changed) {
      d.legacy_player = legacy;
      d.updated_at_ms = ctx_.now_ms();
      VC_TRY(s.devices().update(d));
      VC_TRY(s.audit().append(audit_entry(ctx_, actor, "device.legacy_player", "device", d.device_id, org,
                                          legacy ? R"({"legacy_player":true})" : R"({"legacy_player":false})")));
    }
    return view_of(s, std::move(d));
  });
  if (!r || !changed) return r;
  ctx_.cache.bump(devices_namespace(org));
  // The realtime hub ends the device's open connections: a player that registered by id alone
  // must now present its credential.
  ctx_.publish(domain_event(EventKind::device_credential_changed, org, std::string(device_id)), actor);
  return r;
}

Result<DeviceView> Devices::set_placeholder(const Actor& actor, std::string_view device_id, std::string_view media_id) {
  std::string org;
  auto r = write_value<DeviceView>(ctx_.storage, [&](StorageSession& s) -> Result<DeviceView> {
    VC_ASSIGN(auto d, load_visible_device(s, actor, device_id));
    VC_TRY(require(actor, Permission::manage_content));  // after the tenancy check: others get 404
    org = d.organization_id;
    VC_ASSIGN(auto m, placeholder_media(s, d.organization_id, media_id));
    d.placeholder_media_id = m.id;
    d.updated_at_ms = ctx_.now_ms();
    VC_TRY(s.devices().update(d));
    VC_TRY(s.audit().append(audit_entry(ctx_, actor, "device.placeholder_set", "device", d.device_id, org,
                                        JsonWriter().begin_object().key("media_id").value(m.id).end_object().str())));
    return view_of(s, std::move(d));
  });
  if (!r) return r;
  ctx_.cache.bump(devices_namespace(org));
  ctx_.publish(domain_event(EventKind::placeholder_changed, org, r->device.device_id, r->device.placeholder_media_id), actor);
  return r;
}

Result<DeviceView> Devices::clear_placeholder(const Actor& actor, std::string_view device_id) {
  std::string org;
  auto r = write_value<DeviceView>(ctx_.storage, [&](StorageSession& s) -> Result<DeviceView> {
    VC_ASSIGN(auto d, load_visible_device(s, actor, device_id));
    VC_TRY(require(actor, Permission::manage_content));  // after the tenancy check: others get 404
    org = d.organization_id;
    d.placeholder_media_id.clear();
    d.updated_at_ms = ctx_.now_ms();
    VC_TRY(s.devices().update(d));
    VC_TRY(s.audit().append(audit_entry(ctx_, actor, "device.placeholder_clear", "device", d.device_id, org)));
    return view_of(s, std::move(d));
  });
  if (!r) return r;
  ctx_.cache.bump(devices_namespace(org));
  ctx_.publish(domain_event(EventKind::placeholder_changed, org, r->device.device_id), actor);
  return r;
}

Result<GroupOutcome> Devices::set_group_placeholder(const Actor& actor, std::string_view group_id,
                                                   std::string_view media_id) {
  return group_placeholder(actor, group_id, media_id);
}

Result<GroupOutcome> Devices::clear_group_placeholder(const Actor& actor, std::string_view group_id) {
  return group_placeholder(actor, group_id, std::nullopt);
}

Result<GroupOutcome> Devices::group_placeholder(const Actor& actor, std::string_view group_id,
                                                std::optional<std::string_view> media_id) {
  VC_ASSIGN(auto group, read_value<DeviceGroup>(ctx_.storage, [&](StorageSession& s) -> Result<DeviceGroup> {
    VC_ASSIGN(auto g, load_visible_group(s, actor, group_id));
    VC_TRY(require(actor, Permission::manage_content));  // after the tenancy check: others get 404
    // The media is the same for every member: a bad one is refused once, before anything changes.
    if (media_id) {
      auto m = placeholder_media(s, g.organization_id, *media_id);
      if (!m) return m.error();
    }
    return g;
  }));
  GroupOutcome out;
  out.group_id = group.id;
  out.organization_id = group.organization_id;
  out.results.reserve(group.device_ids.size());
  // Each member through the single-device call (its own transaction, audit row and refresh event).
  for (const auto& device_id : group.device_ids) {
    GroupMemberOutcome m;
    m.device_id = device_id;
    auto r = media_id ? set_placeholder(actor, device_id, *media_id) : clear_placeholder(actor, device_id);
    if (r) m.placeholder_media_id = r->device.placeholder_media_id;
    else m.error = r.error();
    out.results.push_back(std::move(m));
  }
  return out;
}

Result<Device> Devices::register_player(const Actor& device, const PlayerInfo& info) {
  if (device.kind != Actor::Kind::device) return make_error(ErrorCode::forbidden, "only a device's player registers");
  const std::string_view device_id = device.id;
  // What a player reports is bounded and checked before anything is written (a 950 KB capabilities
  // blob was once accepted and served in every device list).
  // Type and platform: well-formed text without control characters, cut to 64 bytes (players have
  // sent user-agent strings as their platform; a cut one is kept rather than refused).
  auto reported = [](std::string_view field, const std::string& value) -> Result<std::string> {
    if (value.empty()) return std::string();
    if (!utf8::valid(value)) return make_error(ErrorCode::invalid, fmt::format("{} is not valid UTF-8", field));
    std::string cut(utf8::prefix(value, 64));
    VC_TRY(validate_name(field, cut, 64));
    return cut;
  };
  VC_ASSIGN(const std::string device_type, reported("device_type", info.device_type));
  VC_ASSIGN(const std::string platform, reported("platform", info.platform));
  if (info.capabilities_json.size() > kMaxCapabilitiesBytes)
    return make_error(ErrorCode::invalid, fmt::format("capabilities: at most {} bytes of JSON ({} sent)",
                                                      kMaxCapabilitiesBytes, info.capabilities_json.size()));
  if (!info.capabilities_json.empty() && info.capabilities_json.front() != '{')
    return make_error(ErrorCode::invalid, "capabilities: a JSON object");
  auto r = write_value<Device>(ctx_.storage, [&](StorageSession& s) -> Result<Device> {
    VC_ASSIGN(auto d, s.devices().find_by_device_id(device_id));
    if (!d || d->organization_id != device.organization_id) return device_not_found(device_id);
    if (!device_type.empty()) d->device_type = device_type;
    if (!platform.empty()) d->platform = platform;
    if (!info.capabilities_json.empty()) d->capabilities_json = info.capabilities_json;
    d->last_seen_at_ms = ctx_.now_ms();
    d->status = "online";
    d->updated_at_ms = *d->last_seen_at_ms;
    VC_TRY(s.devices().update(*d));
    return std::move(*d);
  });
  if (r) ctx_.cache.bump(devices_namespace(r->organization_id));
  return r;
}

Result<void> Devices::set_presence(std::string_view device_id, bool online) {
  std::string org;
  VC_TRY(ctx_.storage.transact([&](StorageSession& s) -> Result<void> {
    VC_ASSIGN(auto d, s.devices().find_by_device_id(device_id));
    if (!d) return {};  // deleted meanwhile: nothing to record
    org = d->organization_id;
    d->status = online ? "online" : "offline";
    d->last_seen_at_ms = ctx_.now_ms();
    return s.devices().update(*d);
  }));
  if (!org.empty()) ctx_.cache.bump(devices_namespace(org));
  return {};
}

}  // namespace vc
