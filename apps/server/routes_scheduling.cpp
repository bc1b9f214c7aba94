// Scheduling: /api/v1/groups, /api/v1/playlists, /api/v1/assignments, /api/v1/overrides, a device's
// schedule settings and timeline, and a schedule preview. Rules, roles and messages are the library's
// (vc::Scheduling, schedule.hpp); this file maps JSON and query parameters to it.
#include <string>
#include <vector>

#include <fmt/format.h>

#include "api_request.hpp"
#include "json.hpp"
#include "json_reader.hpp"
#include "rfc3339.hpp"
#include "router.hpp"
#include "routes.hpp"
#include "server_context.hpp"
#include "videocontrol/scheduling.hpp"

namespace vc::server {
namespace {

template <class T>
std::string items_json(const std::vector<T>& items) {
  std::string out = "{\"items\":[";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + Scheduling::to_json(items[i]);
  return out + "]}";
}

// ?from=&to= (RFC 3339); default: today in UTC, from 00:00 for one day.
Result<std::pair<std::int64_t, std::int64_t>> window(const Request& req, std::int64_t now_ms) {
  auto from = time_query_param(req, "from");
  if (!from) return from.error();
  auto to = time_query_param(req, "to");
  if (!to) return to.error();
  std::int64_t f = *from, t = *to;
  if (f == 0) f = now_ms - now_ms % 86'400'000;
  if (t == 0) t = f + 86'400'000;
  return std::pair{f, t};
}

Result<OverrideInput> override_input(const JsonBody& body) {
  OverrideInput in;
  for (auto [key, out] : {std::pair{"group_id", &in.group_id}, std::pair{"media_id", &in.media_id},
                          std::pair{"message", &in.message}}) {
    auto v = body.opt_string(key);
    if (!v) return v.error();
    if (*v) *out = std::move(**v);
  }
  if (body.has("ends_at") && body.kind("ends_at") != JsonBody::Kind::null) {
    auto text = body.string("ends_at");
    if (!text) return field_error("ends_at", "an RFC 3339 time string such as \"2030-01-31T12:00:00Z\", or null");
    auto ms = parse_rfc3339(*text);
    if (!ms) return field_error("ends_at", fmt::format("an RFC 3339 time such as \"2030-01-31T12:00:00Z\", not \"{}\"", *text));
    in.ends_at_ms = *ms;
  }
  return in;
}

}  // namespace

void register_scheduling_routes(Router& router, ServerContext& ctx) {
  // The service is looked up per request: routes are also registered without services (the
  // OpenAPI test builds the router alone).
  // ---- groups ----
  router.add("GET", "/api/v1/groups", actor_api(ctx, [&ctx](Request&, const Actor& actor) -> Result<Response> {
    Scheduling& s = ctx.services->scheduling();
    auto groups = s.list_groups(actor);
    if (!groups) return groups.error();
    return Response::json(200, items_json(*groups));
  }));
  // {"name","device_ids"?:[…]} → 201
  router.add("POST", "/api/v1/groups", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    Scheduling& s = ctx.services->scheduling();
    auto body = JsonBody::parse(req.body);
    if (!body) return body.error();
    auto name = body->string("name");
    if (!name) return name.error();
    auto devices = body->opt_string_array("device_ids");
    if (!devices) return devices.error();
    auto g = s.create_group(actor, *name, devices->value_or(std::vector<std::string>{}));
    if (!g) return g.error();
    return created(Scheduling::to_json(*g), "/api/v1/groups/" + g->id);
  }));
  router.add("GET", "/api/v1/groups/{id}", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    Scheduling& s = ctx.services->scheduling();
    auto g = s.get_group(actor, req.params.at("id"));
    if (!g) return g.error();
    return Response::json(200, Scheduling::to_json(*g));
  }));
  // {"name"?,"device_ids"?:[…]} (device_ids replaces the members)
  router.add("PATCH", "/api/v1/groups/{id}", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    Scheduling& s = ctx.services->scheduling();
    auto body = JsonBody::parse(req.body);
    if (!body) return body.error();
    auto name = body->opt_string("name");
    if (!name) return name.error();
    auto devices = body->opt_string_array("device_ids");
    if (!devices) return devices.error();
    Scheduling::GroupPatch patch;
    if (*name) patch.name = std::move(**name);
    if (*devices) patch.device_ids = std::move(**devices);
    auto g = s.update_group(actor, req.params.at("id"), patch);
    if (!g) return g.error();
    return Response::json(200, Scheduling::to_json(*g));
  }));
  router.add("DELETE", "/api/v1/groups/{id}", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    Scheduling& s = ctx.services->scheduling();
    auto done = s.delete_group(actor, req.params.at("id"));
    if (!done) return done.error();
    return no_content();
  }));
  router.add("GET", "/api/v1/groups/{id}/timeline", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    Scheduling& s = ctx.services->scheduling();
    auto w = window(req, ctx.services->clock().now_ms());
    if (!w) return w.error();
    auto t = s.group_timeline(actor, req.params.at("id"), w->first, w->second);
    if (!t) return t.error();
    return Response::json(200, items_json(*t));
  }));

  // ---- playlists ----
  router.add("GET", "/api/v1/playlists", actor_api(ctx, [&ctx](Request&, const Actor& actor) -> Result<Response> {
    Scheduling& s = ctx.services->scheduling();
    auto list = s.list_playlists(actor);
    if (!list) return list.error();
    return Response::json(200, items_json(*list));
  }));
  router.add("POST", "/api/v1/playlists", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    Scheduling& s = ctx.services->scheduling();
    auto in = parse_playlist_input(req.body);
    if (!in) return in.error();
    auto p = s.create_playlist(actor, *in);
    if (!p) return p.error();
    return created(Scheduling::to_json(*p), "/api/v1/playlists/" + p->id);
  }));
  router.add("GET", "/api/v1/playlists/{id}", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    Scheduling& s = ctx.services->scheduling();
    auto p = s.get_playlist(actor, req.params.at("id"));
    if (!p) return p.error();
    return Response::json(200, Scheduling::to_json(*p));
  }));
  // The whole playlist as in POST; items are replaced (reorder = send them in the new order).
  router.add("PUT", "/api/v1/playlists/{id}", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    Scheduling& s = ctx.services->scheduling();
    auto in = parse_playlist_input(req.body);
    if (!in) return in.error();
    auto p = s.update_playlist(actor, req.params.at("id"), *in);
    if (!p) return p.error();
    return Response::json(200, Scheduling::to_json(*p));
  }));
  router.add("DELETE", "/api/v1/playlists/{id}", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    Scheduling& s = ctx.services->scheduling();
    auto done = s.delete_playlist(actor, req.params.at("id"));
    if (!done) return done.error();
    return no_content();
  }));
  router.add("POST", "/api/v1/playlists/{id}/duplicate", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    Scheduling& s = ctx.services->scheduling();
    auto p = s.duplicate_playlist(actor, req.params.at("id"));
    if (!p) return p.error();
    return created(Scheduling::to_json(*p), "/api/v1/playlists/" + p->id);
  }));

  // ---- assignments ----
  // ?device_id= or ?group_id= narrows the list.
  router.add("GET", "/api/v1/assignments", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    Scheduling& s = ctx.services->scheduling();
    auto list = s.list_assignments(actor, req.query_param("device_id").value_or(""), req.query_param("group_id").value_or(""));
    if (!list) return list.error();
    return Response::json(200, items_json(*list));
  }));
  router.add("POST", "/api/v1/assignments", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    Scheduling& s = ctx.services->scheduling();
    auto in = parse_assignment_input(req.body);
    if (!in) return in.error();
    auto a = s.create_assignment(actor, *in);
    if (!a) return a.error();
    return created(Scheduling::to_json(*a), "/api/v1/assignments/" + a->id);
  }));
  router.add("PUT", "/api/v1/assignments/{id}", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    Scheduling& s = ctx.services->scheduling();
    auto in = parse_assignment_input(req.body);
    if (!in) return in.error();
    auto a = s.update_assignment(actor, req.params.at("id"), *in);
    if (!a) return a.error();
    return Response::json(200, Scheduling::to_json(*a));
  }));
  router.add("DELETE", "/api/v1/assignments/{id}", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    Scheduling& s = ctx.services->scheduling();
    auto done = s.delete_assignment(actor, req.params.at("id"));
    if (!done) return done.error();
    return no_content();
  }));

  // ---- a device's settings and timeline ----
  router.add("GET", "/api/v1/devices/{id}/schedule", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    Scheduling& s = ctx.services->scheduling();
    auto st = s.device_settings(actor, req.params.at("id"));
    if (!st) return st.error();
    return Response::json(200, Scheduling::to_json(*st));
  }));
  // {"default_playlist_id": id|null, "timezone": name|null} (null/absent: none / the organisation's)
  router.add("PUT", "/api/v1/devices/{id}/schedule", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    Scheduling& s = ctx.services->scheduling();
    auto body = JsonBody::parse(req.body);
    if (!body) return body.error();
    DeviceScheduleSettings in;
    for (auto [key, out] : {std::pair{"default_playlist_id", &in.default_playlist_id}, std::pair{"timezone", &in.timezone}}) {
      if (body->kind(key) == JsonBody::Kind::null) continue;  // null: none / the organisation's zone
      auto v = body->opt_string(key);
      if (!v) return v.error();
      if (*v) *out = std::move(**v);
    }
    auto st = s.set_device_settings(actor, req.params.at("id"), in);
    if (!st) return st.error();
    return Response::json(200, Scheduling::to_json(*st));
  }));
  // Manual control ends: the device plays its schedule again (role speaker and up).
  router.add("POST", "/api/v1/devices/{id}/schedule/resume", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    auto done = ctx.services->scheduling().resume_schedule(actor, req.params.at("id"));
    if (!done) return done.error();
    return no_content();
  }));
  // ?from=&to= (RFC 3339, at most 31 days; default: today, UTC)
  router.add("GET", "/api/v1/devices/{id}/timeline", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    Scheduling& s = ctx.services->scheduling();
    auto w = window(req, ctx.services->clock().now_ms());
    if (!w) return w.error();
    auto t = s.device_timeline(actor, req.params.at("id"), w->first, w->second);
    if (!t) return t.error();
    return Response::json(200, Scheduling::to_json(*t));
  }));

  // ---- overrides ----
  router.add("GET", "/api/v1/overrides", actor_api(ctx, [&ctx](Request&, const Actor& actor) -> Result<Response> {
    Scheduling& s = ctx.services->scheduling();
    auto list = s.active_overrides(actor);
    if (!list) return list.error();
    return Response::json(200, items_json(*list));
  }));
  // {"message"?,"media_id"?,"group_id"?,"ends_at"?} → 201
  router.add("POST", "/api/v1/overrides", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    Scheduling& s = ctx.services->scheduling();
    auto body = JsonBody::parse(req.body);
    if (!body) return body.error();
    auto in = override_input(*body);
    if (!in) return in.error();
    auto o = s.start_override(actor, *in);
    if (!o) return o.error();
    return created(Scheduling::to_json(*o), "/api/v1/overrides/" + o->id);
  }));
  router.add("DELETE", "/api/v1/overrides/{id}", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    Scheduling& s = ctx.services->scheduling();
    auto o = s.clear_override(actor, req.params.at("id"));
    if (!o) return o.error();
    return Response::json(200, Scheduling::to_json(*o));
  }));

  // ---- a schedule's preview (the schedule editor's "next runs") ----
  // {"schedule":{…},"timezone"?,"count"?} → {"timezone","description","schedule","next":[{"from","to","local_from","local_to"}]}
  router.add("POST", "/api/v1/schedules/preview", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    auto in = parse_schedule_preview(req.body);
    if (!in) return in.error();
    auto body = Scheduling::preview_json(actor, *in, ctx.services->clock().now_ms());
    if (!body) return body.error();
    return Response::json(200, std::move(*body));
  }));
}

}  // namespace vc::server
