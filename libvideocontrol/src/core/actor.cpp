#include "videocontrol/actor.hpp"

#include <utility>

namespace vc {

std::optional<std::uint8_t> parse_scopes(std::string_view text) noexcept {
  std::uint8_t out = 0;
  while (!text.empty()) {
    auto comma = text.find(',');
    auto item = text.substr(0, comma);
    if (item == "read") out |= scope_read;
    else if (item == "write") out |= scope_write;
    else if (item == "control") out |= scope_control;
    else return std::nullopt;
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
  }
  return out;
}

std::string scopes_to_string(std::uint8_t scopes) {
  std::string out;
  static constexpr std::pair<std::uint8_t, const char*> kNames[] = {
      {scope_read, "read"}, {scope_write, "write"}, {scope_control, "control"}};
  for (const auto& [bit, name] : kNames)
    if (scopes & bit) out += (out.empty() ? "" : ",") + std::string(name);
  return out;
}

std::string_view to_string(Actor::Kind kind) noexcept {
  switch (kind) {
    case Actor::Kind::user: return "user";
    case Actor::Kind::api_key: return "api_key";
    case Actor::Kind::device: return "device";
    case Actor::Kind::system: return "system";
  }
  return "system";
}

}  // namespace vc
