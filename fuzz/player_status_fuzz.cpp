// Fuzzes the check of a player's player/status report (libvideocontrol/src/realtime/player_status.cpp):
// any bytes either are refused with `invalid` or become one JSON object, valid UTF-8, naming the
// device and a known state, and never larger than the report allows.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <rapidjson/document.h>

#include "realtime/player_status.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto r = vc::realtime::player_status_payload("lobby", in, 1'700'000'000'000);
  if (!r) {
    if (r.error().code != vc::ErrorCode::invalid) std::abort();
    return 0;
  }
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(r->data(), r->size());
  if (doc.HasParseError() || !doc.IsObject()) std::abort();
  if (!doc.HasMember("device_id") || std::string_view(doc["device_id"].GetString()) != "lobby") std::abort();
  if (!doc.HasMember("state") || !doc["state"].IsString()) std::abort();
  // Escaping can grow the text, but never past six bytes per input byte plus the fixed fields.
  if (r->size() > 6 * vc::realtime::PlayerStatusLimits::max_arg_bytes + 256) std::abort();
  return 0;
}
