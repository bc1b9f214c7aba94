// The HTTP routes players use (PROTOCOL.md, "HTTP routes players use"), REST control of playback
// (POST /api/v1/devices/{device_id}/commands) and the kiosk player page (/player).
//
// Player routes are unauthenticated unless DEVICE_CREDENTIALS=required; the player then shows its
// device credential as ?token= or X-Device-Token. The library has no player-facing reads yet (a
// device Actor may read nothing but its playback state), so after the device is looked up these
// routes read that one device's files with the system actor and never anything else.
#include <algorithm>
#include <charconv>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include <fmt/format.h>

#include "api_request.hpp"
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

namespace vc::server {

std::string_view player_page();  // web/player.html, embedded at build time

namespace {

// Compares secrets in time independent of where they differ.
bool same_secret(std::string_view a, std::string_view b) {
  unsigned diff = a.size() != b.size();
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    diff |= static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i]);
  return diff == 0;
}

// Device credentials already checked, so that a player fetching a video in many Range requests is
// verified once. Keyed by device; an entry counts only while the device's credential is unchanged.
class CredentialMemo {
 public:
  bool known(const Device& d, const std::string& token) {
    std::lock_guard lock(mu_);
    auto it = ok_.find(d.device_id);
    return it != ok_.end() && it->second.first == d.credential_hash && same_secret(it->second.second, token);
  }
  void remember(const Device& d, const std::string& token) {
    std::lock_guard lock(mu_);
    if (ok_.size() > 100'000) ok_.clear();  // a bound, not a policy: re-verifying is cheap enough
    ok_[d.device_id] = {d.credential_hash, token};
  }

 private:
  std::mutex mu_;
  std::unordered_map<std::string, std::pair<std::string, std::string>> ok_;
};

struct PlayerRoutes {
  explicit PlayerRoutes(ServerContext& c) : ctx(c) {}
  ServerContext& ctx;
  CredentialMemo memo;

  // The device a player asks about, after the credential policy. Errors: not_found (unknown device
  // or inactive organisation), unauthenticated (credential missing or wrong under `required`).
  Result<Device> device(const Request& req, const std::string& device_id) {
    const Actor sys = Actor::system();
    auto view = ctx.services->devices().get(sys, device_id);
    if (!view) return view.error();
    Device d = std::move(view->device);
    auto org = ctx.services->organizations().get(sys, d.organization_id);
    if (!org || !org->active) return make_error(ErrorCode::not_found, fmt::format("device '{}' not found", device_id));
    if (ctx.config.device_credentials != "required") return d;

    std::string token = req.query_param("token").value_or("");
    if (token.empty()) token = std::string(req.header("x-device-token"));
    if (token.empty())
      return make_error(ErrorCode::unauthenticated,
                        "this server requires a device credential: pass it as ?token= or X-Device-Token");
    if (memo.known(d, token)) return d;
    // The library checks credentials only inside register_player, which also records presence;
    // presence is put back to what the realtime hub knows (on every instance) right after.
    auto checked = ctx.services->devices().register_player(device_id, {}, token, "required");
    bool online = false;
    if (ctx.hub) {
      const auto ids = ctx.hub->online_devices(d.organization_id);
      online = std::find(ids.begin(), ids.end(), device_id) != ids.end();
    }
    (void)ctx.services->devices().set_presence(device_id, online);
    if (!checked) return checked.error();
    memo.remember(d, token);
    return d;
  }

  // The device's file of that name (its own name for the media), if any.
  Result<std::optional<DeviceFile>> find_file(const std::string& device_id, std::string_view name) {
    PageRequest page;
    page.limit = kMaxPageLimit;
    while (true) {
      auto files = ctx.services->media().files(Actor::system(), device_id, page);
      if (!files) return files.error();
      for (auto& f : files->items)
        if (f.name == name) return std::optional<DeviceFile>(std::move(f));
      if (files->next_cursor.empty()) return std::optional<DeviceFile>();
      page.cursor = std::move(files->next_cursor);
    }
  }

  // Every file of the device, in name order.
  Result<std::vector<DeviceFile>> all_files(const std::string& device_id) {
    std::vector<DeviceFile> out;
    PageRequest page;
    page.limit = kMaxPageLimit;
    while (true) {
      auto files = ctx.services->media().files(Actor::system(), device_id, page);
      if (!files) return files.error();
      for (auto& f : files->items) out.push_back(std::move(f));
      if (files->next_cursor.empty()) return out;
      page.cursor = std::move(files->next_cursor);
    }
  }

  // The placeholder as the device names it: the device's own file name for the media when it offers
  // it, else the media's library name. nullopt when the device has none.
  Result<std::optional<DeviceFile>> placeholder(const Device& d) {
    if (d.placeholder_media_id.empty()) return std::optional<DeviceFile>();
    auto files = all_files(d.device_id);
    if (!files) return files.error();
    for (auto& f : *files)
      if (f.media.id == d.placeholder_media_id) return std::optional<DeviceFile>(std::move(f));
    auto m = ctx.services->media().get(Actor::system(), d.placeholder_media_id);
    if (!m && m.error().code == ErrorCode::not_found) return std::optional<DeviceFile>();
    if (!m) return m.error();
    return std::optional<DeviceFile>(DeviceFile{m->name, std::move(*m)});
  }

  // The bytes of the device's file `name` (or of its placeholder under that name).
  Result<Response> resolve(Request& req) {
    const std::string& id = req.params.at("device_id");
    const std::string& name = req.params.at("file");
    auto d = device(req, id);
    if (!d) return d.error();
    auto file = find_file(id, name);
    if (!file) return file.error();
    if (!*file) {
      auto ph = placeholder(*d);
      if (!ph) return ph.error();
      if (*ph && (*ph)->name == name) *file = std::move(*ph);
    }
    if (!*file) return make_error(ErrorCode::not_found, fmt::format("device '{}' has no file '{}'", id, name));
    auto content = ctx.services->media().open(Actor::system(), (*file)->media.id);
    if (!content) return content.error();
    StoredFile stored;
    stored.path = content->blob.path;
    stored.size = content->blob.size;
    stored.etag = "\"" + content->media.blob_hash + "\"";
    stored.modified_ms = content->blob.mtime_ms;
    stored.content_type = std::string(content_type_for(content->media.mime));
    return file_response(req, stored);
  }

  // Page and folder images need the conversion pipeline, which is not built yet: the device and the
  // file are checked, then the answer is a clean 404 saying so.
  Result<Response> not_converted(Request& req, const std::string& file_param, std::string_view what) {
    const std::string& id = req.params.at("device_id");
    const std::string& name = req.params.at(file_param);
    const std::string& n = req.params.at("n");
    int index = 0;
    auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), index);
    if (ec != std::errc() || end != n.data() + n.size() || index < 1)
      return make_error(ErrorCode::not_found, fmt::format("no {} '{}': numbers start at 1", what, n));
    auto d = device(req, id);
    if (!d) return d.error();
    auto file = find_file(id, name);
    if (!file) return file.error();
    if (!*file) return make_error(ErrorCode::not_found, fmt::format("device '{}' has no file '{}'", id, name));
    return make_error(ErrorCode::not_found,
                      fmt::format("{} {} of '{}' is not available: the conversion pipeline that renders pages and "
                                  "unpacks folders is not built yet",
                                  what, index, name));
  }
};

}  // namespace

void register_player_routes(Router& router, ServerContext& ctx) {
  auto routes = std::make_shared<PlayerRoutes>(ctx);

  // {"placeholder": name|null}: what the device shows when idle, fetched through the resolver.
  router.add("GET", "/api/devices/{device_id}/placeholder", public_api([routes](Request& req) -> Result<Response> {
    auto d = routes->device(req, req.params.at("device_id"));
    if (!d) return d.error();
    auto ph = routes->placeholder(*d);
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
    auto files = routes->all_files(id);
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
      w.key("placeholder").value(f.media.id == d->placeholder_media_id);
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
               return routes->not_converted(req, "file", kind == "page" ? "page" : "slide");
             }));
  router.add("GET", "/api/devices/{device_id}/folder/{folder}/image/{n}",
             public_api([routes](Request& req) { return routes->not_converted(req, "folder", "image"); }));

  // {action, file?, page?} → the same rules as control/* events; the players get the event.
  router.add("POST", "/api/v1/devices/{device_id}/commands",
             actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
               auto body = JsonBody::parse(req.body);
               if (!body) return body.error();
               auto action_text = body->string("action");
               if (!action_text) return action_text.error();
               auto action = parse_playback_action(*action_text);
               if (!action)
                 return field_error("action", "one of play, pause, resume, restart, stop, next, prev, page");
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
               if (cmd.action == PlaybackAction::goto_page && !cmd.page)
                 return field_error("page", "given for the action 'page'");
               auto out = ctx.services->playback().command(actor, req.params.at("device_id"), cmd);
               if (!out) return out.error();
               JsonWriter w;
               w.begin_object().key("device_id").value(out->device_id);
               w.key("state").raw(Playback::state_json(out->state));
               w.end_object();
               return Response::json(200, w.str());
             }));

  // The kiosk player: one self-contained page (web/player.html). A constant: never blocks.
  RouteOptions inline_route;
  inline_route.inline_handler = true;
  router.add("GET", "/player", [](Request&) {
    Response r;
    r.content_type = "text/html; charset=utf-8";
    r.headers.emplace_back("Cache-Control", "no-cache");
    r.body = std::string(player_page());
    return r;
  }, inline_route);
}

}  // namespace vc::server
