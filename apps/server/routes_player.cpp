// The HTTP routes players use (docs/protocol.md, "HTTP routes players use") and REST control of
// playback (POST /api/v1/devices/{device_id}/commands, and for a device group
// POST /api/v1/groups/{id}/control). The browser player's pages (/player,
// /player-videojs.html) and its service worker are web pages: web/src/player, served by routes_web.cpp.
//
// Player routes authenticate the device (vc::Players, DEVICE_CREDENTIALS): its credential comes as
// ?token= or X-Device-Token, unless the policy lets it register by id alone; requests and failed
// authentications are rate-limited per client address. The routes then read that one device's
// files and never anything else.
#include <algorithm>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "api_request.hpp"
#include "auth_middleware.hpp"
#include "file_response.hpp"
#include "json.hpp"
#include "json_reader.hpp"
#include "router.hpp"
#include "routes.hpp"
#include "server_context.hpp"
#include "videocontrol/devices.hpp"
#include "videocontrol/media.hpp"
#include "videocontrol/media_types.hpp"
#include "videocontrol/playback.hpp"
#include "videocontrol/players.hpp"
#include "videocontrol/text.hpp"
#include "videocontrol/json_writer.hpp"

namespace vc::server {

namespace {

// The player routes: the device comes from the path, its credential from ?token= or X-Device-Token;
// the library (vc::Players) applies the credential policy and answers for that device only.
struct PlayerRoutes {
  explicit PlayerRoutes(ServerContext& c) : ctx(c) {}
  ServerContext& ctx;

  Result<Actor> device(const Request& req, const std::string& device_id) {
    std::string token = req.query_param("token").value_or("");
    if (token.empty()) token = std::string(req.header("x-device-token"));
    return ctx.services->players().authenticate(device_id, token, client_address(req, ctx.config.trusted_proxies));
  }

  // The bytes of the device's file `name` (or of its placeholder under that name): the pipeline's
  // rendition of a video when it made one, the uploaded bytes with ?original=1.
  Result<Response> resolve(Request& req) {
    auto d = device(req, req.params.at("device_id"));
    if (!d) return d.error();
    const auto original = req.query_param("original");
    auto content = ctx.services->players().resolve(*d, req.params.at("file"), original && *original != "0");
    if (!content) return content.error();
    if (!content->blob.url.empty()) return redirect_to_store(content->blob.url);
    StoredFile stored;
    stored.path = content->blob.path;
    stored.size = content->blob.size;
    stored.etag = "\"" + content->media.blob_hash + (content->rendition ? "-" + content->media.derived : "") + "\"";
    stored.modified_ms = content->blob.mtime_ms;
    stored.content_type = content->rendition ? "video/mp4" : std::string(content_type_for(content->media.mime));
    return file_response(req, stored);
  }

  // Page n of a document or image n of a folder, as the content pipeline made it.
  Result<Response> derived(Request& req, const std::string& file_param, std::string_view what) {
    const std::string& name = req.params.at(file_param);
    auto index = page_number(req, what);
    if (!index) return index.error();
    auto d = device(req, req.params.at("device_id"));
    if (!d) return d.error();
    auto content = ctx.services->players().derived(*d, name, DerivedPart::page, *index);
    if (!content) return content.error();
    // Each route serves its own kind: documents' pages, folders' images.
    if ((file_param == "folder") != (content->media.kind == MediaKind::zip))
      return make_error(ErrorCode::not_found, fmt::format("'{}' is not a {}", name,
                                                          file_param == "folder" ? "folder" : "document"));
    return derived_response(req, *content);
  }

  // {file, type, kind, status, progress, error, page_count, pages: [url…]}: what a player needs to
  // page through a document or folder (readable with the device's own credential).
  Result<Response> listing(Request& req, const std::string& file_param, bool folder) {
    const std::string& id = req.params.at("device_id");
    const std::string& name = req.params.at(file_param);
    auto d = device(req, id);
    if (!d) return d.error();
    auto file = ctx.services->players().file(*d, name);
    if (!file) return file.error();
    const Media& m = file->media;
    if (folder != (m.kind == MediaKind::zip))
      return make_error(ErrorCode::not_found,
                        fmt::format("'{}' is not a {}", name, folder ? "folder" : "document: use /folder/ for folders"));
    JsonWriter w;
    w.begin_object().key("file").value(name).key("type").value(player_type(m.kind)).key("kind").value(to_string(m.kind));
    w.key("status").value(m.status).key("progress").value(m.progress);
    w.key("error").string_or_null(m.error);
    w.key("page_count").optional(m.page_count);
    w.key("pages").begin_array();
    if (m.status == "ready" && !m.derived.empty() && m.page_count) {
      const std::string base = folder ? fmt::format("/api/devices/{}/folder/{}/image/", text::url_encode_component(id), text::url_encode_component(name))
                                      : fmt::format("/api/devices/{}/converted/{}/page/", text::url_encode_component(id), text::url_encode_component(name));
      const std::string v = derived_version(m);
      for (int i = 1; i <= *m.page_count; ++i) w.value(fmt::format("{}{}?v={}", base, i, v));
    }
    w.end_array().end_object();
    return Response::json(200, std::move(w).str());
  }
};

// {action, file?, page?}: a control command, as the control/* events carry it.
Result<PlaybackCommand> command_body(const Request& req) {
  auto body = JsonBody::parse(req.body);
  if (!body) return body.error();
  auto action_text = body->string("action");
  if (!action_text) return action_text.error();
  auto action = parse_playback_action(*action_text);
  if (!action) return field_error("action", "one of play, pause, resume, restart, stop, next, prev, page");
  PlaybackCommand cmd;
  cmd.action = *action;
  auto file = body->opt_string("file");
  if (!file) return file.error();
  if (*file) cmd.file = std::move(**file);
  auto page = body->opt_integer("page");
  if (!page) return page.error();
  if (*page) {
    if (**page < 1 || **page > 1'000'000) return field_error("page", "an integer from 1");
    cmd.page = static_cast<int>(**page);
  }
  if (cmd.action == PlaybackAction::goto_page && !cmd.page) return field_error("page", "given for the action 'page'");
  return cmd;
}

}  // namespace

void register_player_routes(Router& router, ServerContext& ctx) {
  auto routes = std::make_shared<PlayerRoutes>(ctx);

  // {"placeholder": name|null}: what the device shows when idle, fetched through the resolver.
  router.add("GET", "/api/devices/{device_id}/placeholder", public_api([routes](Request& req) -> Result<Response> {
    auto d = routes->device(req, req.params.at("device_id"));
    if (!d) return d.error();
    auto ph = routes->ctx.services->players().placeholder(*d);
    if (!ph) return ph.error();
    JsonWriter w;
    w.begin_object().key("placeholder");
    if (*ph) w.value((*ph)->name);
    else w.null();
    w.end_object();
    return Response::json(200, w.str());
  }));

  // The bytes of a device's file with Range/ETag (HEAD falls back to this route). ?t= cache
  // busters are ignored like every other unknown query parameter.
  auto resolve = public_api([routes](Request& req) { return routes->resolve(req); });
  router.add("GET", "/api/files/resolve/{device_id}/{file}", resolve);
  router.add("GET", "/content/{device_id}/{file}", resolve);  // the 2.x players' form

  // The device's files as the player sees them: its names, player types and page counts.
  router.add("GET", "/api/devices/{device_id}/files", public_api([routes](Request& req) -> Result<Response> {
    const std::string& id = req.params.at("device_id");
    auto d = routes->device(req, id);
    if (!d) return d.error();
    auto device = routes->ctx.services->players().device(*d);
    if (!device) return device.error();
    auto files = routes->ctx.services->players().files(*d);
    if (!files) return files.error();
    JsonWriter w;
    w.begin_object().key("device_id").value(id).key("items").begin_array();
    for (const auto& f : *files) {
      w.begin_object();
      w.key("name").value(f.name);
      w.key("type").value(player_type(f.media.kind));
      w.key("kind").value(to_string(f.media.kind));
      w.key("mime").value(f.media.mime);
      w.key("size").value(f.media.size);
      w.key("status").value(f.media.status);
      w.key("page_count");
      if (f.media.page_count) w.value(*f.media.page_count);
      else w.null();
      w.key("placeholder").value(f.media.id == device->placeholder_media_id);
      w.end_object();
    }
    w.end_array().end_object();
    return Response::json(200, w.str());
  }));

  router.add("GET", "/api/devices/{device_id}/converted/{file}/{kind}/{n}",
             public_api([routes](Request& req) -> Result<Response> {
               const std::string& kind = req.params.at("kind");
               if (kind != "page" && kind != "slide")
                 return make_error(ErrorCode::not_found, fmt::format("unknown image kind '{}': use page or slide", kind));
               return routes->derived(req, "file", kind == "page" ? "page" : "slide");
             }));
  router.add("GET", "/api/devices/{device_id}/folder/{folder}/image/{n}",
             public_api([routes](Request& req) { return routes->derived(req, "folder", "image"); }));
  // Page counts and the pages' URLs of a document, and the images of a folder.
  router.add("GET", "/api/devices/{device_id}/converted/{file}",
             public_api([routes](Request& req) { return routes->listing(req, "file", false); }));
  router.add("GET", "/api/devices/{device_id}/folder/{folder}",
             public_api([routes](Request& req) { return routes->listing(req, "folder", true); }));

  // {action, file?, page?} → the same rules as control/* events; the players get the event.
  router.add("POST", "/api/v1/devices/{device_id}/commands",
             actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
               auto cmd = command_body(req);
               if (!cmd) return cmd.error();
               auto out = ctx.services->playback().command(actor, req.params.at("device_id"), *cmd);
               if (!out) return out.error();
               JsonWriter w;
               w.begin_object().key("device_id").value(out->device_id);
               w.key("state").raw(Playback::state_json(out->state));
               w.end_object();
               return Response::json(200, w.str());
             }));

  // The same body for every member of a device group → 200 {group_id, results:[{device_id, ok,
  // state | error, code}]}: one member's refusal (the file is not on it) does not stop the others.
  router.add("POST", "/api/v1/groups/{id}/control",
             actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
               auto cmd = command_body(req);
               if (!cmd) return cmd.error();
               auto out = ctx.services->playback().command_group(actor, req.params.at("id"), *cmd);
               if (!out) return out.error();
               return Response::json(200, group_outcome_json(*out));
             }));
}

}  // namespace vc::server
