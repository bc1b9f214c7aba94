#include "player_status.hpp"

#include <array>
#include <cmath>
#include <optional>

#include <fmt/format.h>
#include <rapidjson/document.h>

#include "videocontrol/json_writer.hpp"
#include "../util/utf8.hpp"

namespace vc::realtime {
namespace {

constexpr std::array<std::string_view, 5> kStates = {"playing", "paused", "ended", "error", "idle"};
constexpr std::array<std::string_view, 6> kTypes = {"video", "audio", "image", "pdf", "pptx", "folder"};

template <std::size_t N>
bool one_of(const std::array<std::string_view, N>& set, std::string_view v) {
  for (auto s : set)
    if (s == v) return true;
  return false;
}

Error bad(std::string message) { return make_error(ErrorCode::invalid, "player/status: " + std::move(message)); }

// The longest prefix of s within max bytes that ends at a character boundary (s is valid UTF-8).
std::string_view cut(std::string_view s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t end = 0;
  while (end < s.size()) {
    const std::size_t n = utf8::sequence_length(s, end);
    if (n == 0 || end + n > max) break;
    end += n;
  }
  return s.substr(0, end);
}

}  // namespace

Result<std::string> player_status_payload(std::string_view device_id, std::string_view arg_json, std::int64_t at_ms) {
  using L = PlayerStatusLimits;
  if (arg_json.size() > L::max_arg_bytes) return bad(fmt::format("the payload is over {} bytes", L::max_arg_bytes));
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(arg_json.data(), arg_json.size());
  if (doc.HasParseError() || !doc.IsObject()) return bad("the payload must be an object with state");

  // A string field: absent → empty; present → a valid UTF-8 string (RapidJSON lets an escaped lone
  // surrogate through as bytes that are not UTF-8).
  auto text = [&](const char* key, std::string_view& out) -> Result<void> {
    auto it = doc.FindMember(key);
    if (it == doc.MemberEnd() || it->value.IsNull()) return {};
    const std::string_view v = it->value.IsString() ? std::string_view(it->value.GetString(), it->value.GetStringLength())
                                                    : std::string_view();
    if (!it->value.IsString() || !utf8::valid(v)) return bad(fmt::format("{} must be a string", key));
    out = v;
    return {};
  };

  std::string_view state, file, type, error;
  VC_TRY(text("state", state));
  if (!one_of(kStates, state)) return bad("state must be one of playing, paused, ended, error, idle");
  VC_TRY(text("file", file));
  if (file.size() > L::max_file_bytes) return bad(fmt::format("file is over {} bytes", L::max_file_bytes));
  VC_TRY(text("type", type));
  if (!type.empty() && !one_of(kTypes, type)) return bad("type must be one of video, audio, image, pdf, pptx, folder");
  VC_TRY(text("error", error));

  std::optional<int> page;
  if (auto it = doc.FindMember("page"); it != doc.MemberEnd() && !it->value.IsNull()) {
    if (!it->value.IsInt() || it->value.GetInt() < 1 || it->value.GetInt() > L::max_page)
      return bad(fmt::format("page must be an integer from 1 to {}", L::max_page));
    page = it->value.GetInt();
  }
  std::optional<double> position;
  if (auto it = doc.FindMember("position"); it != doc.MemberEnd() && !it->value.IsNull()) {
    if (!it->value.IsNumber()) return bad("position must be a number of seconds");
    const double p = it->value.GetDouble();
    if (!std::isfinite(p) || p < 0 || p > L::max_position_s) return bad("position must be between 0 and 1e7 seconds");
    position = p;
  }

  JsonWriter w;
  w.begin_object().key("device_id").value(device_id).key("state").value(state);
  if (!file.empty()) w.key("file").value(file);
  if (!type.empty()) w.key("type").value(type);
  if (page) w.key("page").value(*page);
  if (position) w.key("position").value(*position);
  if (state == "error") w.key("error").value(error.empty() ? std::string_view("unknown") : cut(error, L::max_error_bytes));
  else if (!error.empty()) w.key("error").value(cut(error, L::max_error_bytes));
  w.key("at").value(at_ms);
  return std::move(w.end_object()).str();
}

}  // namespace vc::realtime
