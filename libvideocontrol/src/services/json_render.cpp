#include "json_render.hpp"

#include <algorithm>

#include "videocontrol/json_writer.hpp"
#include "videocontrol/text.hpp"

namespace vc::json {
namespace {

// Embeds a JSON document we produced ourselves (capabilities, metadata) as a value; empty = {}.
void raw_object(JsonWriter& w, std::string_view json_text) { w.raw(json_text.empty() ? "{}" : json_text); }

void write_now_playing(JsonWriter& w, const NowPlaying& n) {
  w.begin_object();
  w.key("type").string_or_null(n.type);
  w.key("file").string_or_null(n.file);
  w.key("page").optional(n.page);
  w.key("state").value(to_string(n.state));
  w.key("position_ms").optional(n.position_ms);
  w.key("volume").optional(n.volume);
  w.key("updated_at").time(n.updated_at_ms);
  w.end_object();
}

void write_device(JsonWriter& w, const DeviceView& v, const std::vector<std::string>& fields) {
  auto want = [&](const char* f) { return fields.empty() || std::find(fields.begin(), fields.end(), f) != fields.end(); };
  const Device& d = v.device;
  w.begin_object();
  if (want("device_id")) w.key("device_id").value(d.device_id);
  if (want("name")) w.key("name").value(d.name);
  if (want("status")) w.key("status").value(d.status);
  if (want("device_type")) w.key("device_type").string_or_null(d.device_type);
  if (want("platform")) w.key("platform").string_or_null(d.platform);
  if (want("capabilities")) raw_object(w.key("capabilities"), d.capabilities_json);
  if (want("has_credential")) w.key("has_credential").value(!d.credential_hash.empty());
  if (want("legacy_player")) w.key("legacy_player").value(d.legacy_player);
  if (!v.credential.empty()) w.key("credential").value(v.credential);  // create() only, shown once
  if (want("placeholder_media_id")) w.key("placeholder_media_id").string_or_null(d.placeholder_media_id);
  if (want("last_seen_at")) w.key("last_seen_at").time(d.last_seen_at_ms);
  if (want("now_playing")) {
    w.key("now_playing");
    if (v.now_playing) write_now_playing(w, *v.now_playing);
    else w.null();
  }
  if (want("organization_id")) w.key("organization_id").value(d.organization_id);
  if (want("created_at")) w.key("created_at").time(d.created_at_ms);
  if (want("updated_at")) w.key("updated_at").time(d.updated_at_ms);
  w.end_object();
}

void write_media(JsonWriter& w, const Media& m) {
  w.begin_object();
  w.key("id").value(m.id);
  w.key("name").value(m.name);
  w.key("kind").value(to_string(m.kind));
  w.key("mime").value(m.mime);
  w.key("size").value(m.size);
  w.key("hash").value(m.blob_hash);
  raw_object(w.key("metadata"), m.metadata_json);
  w.key("status").value(m.status);
  w.key("progress").value(m.progress);
  w.key("error").string_or_null(m.error);
  w.key("page_count").optional(m.page_count);
  w.key("organization_id").value(m.organization_id);
  w.key("created_at").time(m.created_at_ms);
  w.key("updated_at").time(m.updated_at_ms);
  w.end_object();
}

void write_file(JsonWriter& w, const DeviceFile& f, std::string_view device_id = {}) {
  // A device's file is its media plus the device's name for it; "type" is what a player infers.
  w.begin_object();
  w.key("name").value(f.name);
  w.key("id").value(f.media.id);
  w.key("media_name").value(f.media.name);
  w.key("kind").value(to_string(f.media.kind));
  w.key("mime").value(f.media.mime);
  w.key("size").value(f.media.size);
  w.key("hash").value(f.media.blob_hash);
  w.key("status").value(f.media.status);     // processing, ready, error (the content pipeline's)
  w.key("progress").value(f.media.progress);
  w.key("error").string_or_null(f.media.error);
  w.key("page_count").optional(f.media.page_count);
  raw_object(w.key("metadata"), f.media.metadata_json);  // width, height, duration… once probed
  // Derived files, with their version so they may be cached for good (pipeline.hpp).
  if (!device_id.empty() && !f.media.derived.empty()) {
    const std::string base = "/api/v1/devices/" + text::url_encode_component(device_id) + "/media/" +
                             text::url_encode_component(f.name);
    const std::string v = "?v=" + f.media.blob_hash.substr(0, 12) + "-" + f.media.derived;
    w.key("thumbnail_url");
    if (f.media.metadata_json.find("\"thumbnail\":true") != std::string::npos) w.value(base + "/thumbnail" + v);
    else w.null();
    w.key("pages_url");
    if (f.media.page_count) w.value(base + "/pages/{n}" + v);
    else w.null();
  } else {
    w.key("thumbnail_url").null().key("pages_url").null();
  }
  w.key("created_at").time(f.media.created_at_ms);
  w.end_object();
}

template <class T, class F>
std::string page_of(const Page<T>& page, F&& write_item) {
  JsonWriter w;
  w.begin_object().key("items").begin_array();
  for (const auto& item : page.items) write_item(w, item);
  w.end_array();
  w.key("next_cursor").string_or_null(page.next_cursor);
  w.end_object();
  return std::move(w).str();
}

template <class F>
std::string one(F&& write) {
  JsonWriter w;
  write(w);
  return std::move(w).str();
}

}  // namespace

std::string device(const DeviceView& v, const std::vector<std::string>& fields) {
  return one([&](JsonWriter& w) { write_device(w, v, fields); });
}
std::string device_page(const Page<DeviceView>& page, const std::vector<std::string>& fields) {
  return page_of(page, [&](JsonWriter& w, const DeviceView& v) { write_device(w, v, fields); });
}
std::string media(const Media& m) { return one([&](JsonWriter& w) { write_media(w, m); }); }
std::string media_page(const Page<Media>& page) { return page_of(page, write_media); }
std::string file(const DeviceFile& f, std::string_view device_id) {
  return one([&](JsonWriter& w) { write_file(w, f, device_id); });
}
std::string file_page(const Page<DeviceFile>& page, std::string_view device_id) {
  return page_of(page, [&](JsonWriter& w, const DeviceFile& f) { write_file(w, f, device_id); });
}
std::string now_playing(const NowPlaying& n) { return one([&](JsonWriter& w) { write_now_playing(w, n); }); }

}  // namespace vc::json
