// Devices: /api/v1/devices, and a device group's placeholder (/api/v1/groups/{id}/placeholder).
// Roles, tenancy, the device_id rule, the plan's device limit and the placeholder rule (image or
// video, validated before anything changes) are the library's (vc::Devices); this file maps JSON
// and query parameters to it. What changed reaches players and
// control panels as the library's domain events, through the realtime hub.
#include <string>
#include <string_view>
#include <vector>

#include "api_request.hpp"
#include "json.hpp"
#include "json_reader.hpp"
#include "router.hpp"
#include "routes.hpp"
#include "server_context.hpp"
#include "videocontrol/devices.hpp"

namespace vc::server {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// ?fields=a,b (names checked by the library), ?status=online|offline, ?limit=, ?cursor=.
Result<DeviceQuery> device_query(const Request& req) {
  DeviceQuery q;
  auto page = page_request(req);
  if (!page) return page.error();
  q.page = std::move(*page);
  q.status = req.query_param("status").value_or("");
  if (auto fields = req.query_param("fields")) {
    std::string_view rest = *fields;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      const auto field = trim(rest.substr(0, comma));
      if (!field.empty()) q.fields.emplace_back(field);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return q;
}

std::string device_location(std::string_view device_id) { return "/api/v1/devices/" + std::string(device_id); }

}  // namespace

void register_devices_routes(Router& router, ServerContext& ctx) {
  // Served from the library's cache (60 s; every change to the organisation's devices invalidates).
  router.add("GET", "/api/v1/devices", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    auto query = device_query(req);
    if (!query) return query.error();
    auto body = ctx.services->devices().list_json(actor, *query);
    if (!body) return body.error();
    return Response::json(200, std::move(*body));
  }));

  // {"device_id","name"?,"legacy_player"?} → 201 with the device; unless it is a legacy player, with
  // its new credential ("credential", shown once).
  router.add("POST", "/api/v1/devices", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    auto body = JsonBody::parse(req.body);
    if (!body) return body.error();
    DeviceInput input;
    auto device_id = body->string("device_id");
    if (!device_id) return device_id.error();
    input.device_id = std::move(*device_id);
    auto name = body->opt_string("name");
    if (!name) return name.error();
    if (*name) input.name = std::move(**name);
    auto legacy = body->opt_boolean("legacy_player");
    if (!legacy) return legacy.error();
    input.legacy_player = legacy->value_or(false);
    auto view = ctx.services->devices().create(actor, input);
    if (!view) return view.error();
    Response r = created(Devices::to_json(*view), device_location(view->device.device_id));
    if (!view->credential.empty()) r.headers.emplace_back("Cache-Control", "no-store");
    return r;
  }));

  router.add("GET", "/api/v1/devices/{device_id}",
             actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
               auto view = ctx.services->devices().get(actor, req.params.at("device_id"));
               if (!view) return view.error();
               return Response::json(200, Devices::to_json(*view));
             }));

  // {"name"?, "legacy_player"?}: at least one; each applied as its own change.
  router.add("PATCH", "/api/v1/devices/{device_id}",
             actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
               auto body = JsonBody::parse(req.body);
               if (!body) return body.error();
               auto name = body->opt_string("name");
               if (!name) return name.error();
               auto legacy = body->opt_boolean("legacy_player");
               if (!legacy) return legacy.error();
               if (!*name && !*legacy) return field_error("name", "given (or legacy_player)");
               const std::string& id = req.params.at("device_id");
               Result<DeviceView> view = make_error(ErrorCode::internal, "nothing changed");
               if (*name) view = ctx.services->devices().rename(actor, id, **name);
               if (*legacy && (!*name || view)) view = ctx.services->devices().set_legacy_player(actor, id, **legacy);
               if (!view) return view.error();
               return Response::json(200, Devices::to_json(*view));
             }));

  // Removes the device with its links and state; media on no other device go too.
  router.add("DELETE", "/api/v1/devices/{device_id}",
             actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
               auto done = ctx.services->devices().remove(actor, req.params.at("device_id"));
               if (!done) return done.error();
               return no_content();
             }));

  // A new device credential, shown once: 201 {"credential": "..."}.
  router.add("POST", "/api/v1/devices/{device_id}/credential",
             actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
               const std::string& device_id = req.params.at("device_id");
               auto secret = ctx.services->devices().rotate_credential(actor, device_id);
               if (!secret) return secret.error();
               JsonWriter w;
               w.begin_object().key("credential").value(*secret).end_object();
               Response r = created(w.str(), device_location(device_id));
               r.headers.emplace_back("Cache-Control", "no-store");
               return r;
             }));

  router.add("DELETE", "/api/v1/devices/{device_id}/credential",
             actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
               auto done = ctx.services->devices().clear_credential(actor, req.params.at("device_id"));
               if (!done) return done.error();
               return no_content();
             }));

  // {"media_id"}: an image or video of the same organisation; a refused one keeps the old placeholder.
  router.add("PUT", "/api/v1/devices/{device_id}/placeholder",
             actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
               auto body = JsonBody::parse(req.body);
               if (!body) return body.error();
               auto media_id = body->string("media_id");
               if (!media_id) return media_id.error();
               auto view = ctx.services->devices().set_placeholder(actor, req.params.at("device_id"), *media_id);
               if (!view) return view.error();
               return Response::json(200, Devices::to_json(*view));
             }));

  router.add("DELETE", "/api/v1/devices/{device_id}/placeholder",
             actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
               auto view = ctx.services->devices().clear_placeholder(actor, req.params.at("device_id"));
               if (!view) return view.error();
               return Response::json(200, Devices::to_json(*view));
             }));

  // The same for every member of a device group → 200 {group_id, results:[{device_id, ok,
  // placeholder_media_id | error, code}]}. A refused media item changes no member.
  router.add("PUT", "/api/v1/groups/{id}/placeholder",
             actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
               auto body = JsonBody::parse(req.body);
               if (!body) return body.error();
               auto media_id = body->string("media_id");
               if (!media_id) return media_id.error();
               auto out = ctx.services->devices().set_group_placeholder(actor, req.params.at("id"), *media_id);
               if (!out) return out.error();
               return Response::json(200, group_outcome_json(*out));
             }));

  router.add("DELETE", "/api/v1/groups/{id}/placeholder",
             actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
               auto out = ctx.services->devices().clear_group_placeholder(actor, req.params.at("id"));
               if (!out) return out.error();
               return Response::json(200, group_outcome_json(*out));
             }));
}

}  // namespace vc::server
