#include "json_render.hpp"

#include <algorithm>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "videocontrol/clock.hpp"

namespace vc::json {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void str(Writer& w, const char* key, std::string_view v) {
  w.Key(key);
  w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
}
void str_or_null(Writer& w, const char* key, std::string_view v) {
  w.Key(key);
  if (v.empty()) w.Null();
  else w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
}
void time_or_null(Writer& w, const char* key, std::optional<std::int64_t> ms) {
  w.Key(key);
  if (!ms) w.Null();
  else {
    auto s = format_rfc3339(*ms);
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  }
}
void time(Writer& w, const char* key, std::int64_t ms) { time_or_null(w, key, ms); }

// Embeds a JSON document we produced ourselves (capabilities, metadata) as a value.
void raw(Writer& w, const char* key, std::string_view json_text) {
  w.Key(key);
  if (json_text.empty()) json_text = "{}";
  w.RawValue(json_text.data(), json_text.size(), rapidjson::kObjectType);
}

void write_now_playing(Writer& w, const NowPlaying& n) {
  w.StartObject();
  str_or_null(w, "type", n.type);
  str_or_null(w, "file", n.file);
  w.Key("page");
  if (n.page) w.Int(*n.page);
  else w.Null();
  str(w, "state", to_string(n.state));
  w.Key("position_ms");
  if (n.position_ms) w.Int64(*n.position_ms);
  else w.Null();
  w.Key("volume");
  if (n.volume) w.Int(*n.volume);
  else w.Null();
  time(w, "updated_at", n.updated_at_ms);
  w.EndObject();
}

void write_device(Writer& w, const DeviceView& v, const std::vector<std::string>& fields) {
  auto want = [&](const char* f) { return fields.empty() || std::find(fields.begin(), fields.end(), f) != fields.end(); };
  const Device& d = v.device;
  w.StartObject();
  if (want("device_id")) str(w, "device_id", d.device_id);
  if (want("name")) str(w, "name", d.name);
  if (want("status")) str(w, "status", d.status);
  if (want("device_type")) str_or_null(w, "device_type", d.device_type);
  if (want("platform")) str_or_null(w, "platform", d.platform);
  if (want("capabilities")) raw(w, "capabilities", d.capabilities_json);
  if (want("has_credential")) {
    w.Key("has_credential");
    w.Bool(!d.credential_hash.empty());
  }
  if (want("placeholder_media_id")) str_or_null(w, "placeholder_media_id", d.placeholder_media_id);
  if (want("last_seen_at")) time_or_null(w, "last_seen_at", d.last_seen_at_ms);
  if (want("now_playing")) {
    w.Key("now_playing");
    if (v.now_playing) write_now_playing(w, *v.now_playing);
    else w.Null();
  }
  if (want("organization_id")) str(w, "organization_id", d.organization_id);
  if (want("created_at")) time(w, "created_at", d.created_at_ms);
  if (want("updated_at")) time(w, "updated_at", d.updated_at_ms);
  w.EndObject();
}

void write_media(Writer& w, const Media& m) {
  w.StartObject();
  str(w, "id", m.id);
  str(w, "name", m.name);
  str(w, "kind", to_string(m.kind));
  str(w, "mime", m.mime);
  w.Key("size");
  w.Int64(m.size);
  str(w, "hash", m.blob_hash);
  raw(w, "metadata", m.metadata_json);
  str(w, "status", m.status);
  w.Key("page_count");
  if (m.page_count) w.Int(*m.page_count);
  else w.Null();
  str(w, "organization_id", m.organization_id);
  time(w, "created_at", m.created_at_ms);
  time(w, "updated_at", m.updated_at_ms);
  w.EndObject();
}

void write_file(Writer& w, const DeviceFile& f) {
  // A device's file is its media plus the device's name for it; "type" is what a player infers.
  w.StartObject();
  str(w, "name", f.name);
  str(w, "id", f.media.id);
  str(w, "media_name", f.media.name);
  str(w, "kind", to_string(f.media.kind));
  str(w, "mime", f.media.mime);
  w.Key("size");
  w.Int64(f.media.size);
  str(w, "hash", f.media.blob_hash);
  str(w, "status", f.media.status);
  time(w, "created_at", f.media.created_at_ms);
  w.EndObject();
}

template <class T, class F>
std::string page_of(const Page<T>& page, F&& write_item) {
  rapidjson::StringBuffer b;
  Writer w(b);
  w.StartObject();
  w.Key("items");
  w.StartArray();
  for (const auto& item : page.items) write_item(w, item);
  w.EndArray();
  str_or_null(w, "next_cursor", page.next_cursor);
  w.EndObject();
  return std::string(b.GetString(), b.GetSize());
}

template <class F>
std::string one(F&& write) {
  rapidjson::StringBuffer b;
  Writer w(b);
  write(w);
  return std::string(b.GetString(), b.GetSize());
}

}  // namespace

std::string device(const DeviceView& v, const std::vector<std::string>& fields) {
  return one([&](Writer& w) { write_device(w, v, fields); });
}
std::string device_page(const Page<DeviceView>& page, const std::vector<std::string>& fields) {
  return page_of(page, [&](Writer& w, const DeviceView& v) { write_device(w, v, fields); });
}
std::string media(const Media& m) { return one([&](Writer& w) { write_media(w, m); }); }
std::string media_page(const Page<Media>& page) { return page_of(page, write_media); }
std::string file(const DeviceFile& f) { return one([&](Writer& w) { write_file(w, f); }); }
std::string file_page(const Page<DeviceFile>& page) { return page_of(page, write_file); }
std::string now_playing(const NowPlaying& n) { return one([&](Writer& w) { write_now_playing(w, n); }); }

}  // namespace vc::json
