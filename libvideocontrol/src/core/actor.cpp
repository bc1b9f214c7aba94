#include "videocontrol/actor.hpp"

namespace vc {

std::string_view to_string(Role role) noexcept {
  switch (role) {
    case Role::viewer: return "viewer";
    case Role::speaker: return "speaker";
    case Role::operator_: return "operator";
    case Role::admin: return "admin";
    case Role::superadmin: return "superadmin";
  }
  return "viewer";
}

std::optional<Role> parse_role(std::string_view text) noexcept {
  for (Role r : {Role::viewer, Role::speaker, Role::operator_, Role::admin, Role::superadmin})
    if (text == to_string(r)) return r;
  return std::nullopt;
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
