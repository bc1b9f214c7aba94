#include "videocontrol/permissions.hpp"

#include <fmt/format.h>

namespace vc {

std::string_view to_string(Permission p) noexcept {
  switch (p) {
    case Permission::read: return "read";
    case Permission::control: return "control playback";
    case Permission::manage_content: return "manage devices and media";
    case Permission::manage_users: return "manage users";
    case Permission::manage_api_keys: return "manage API keys";
    case Permission::read_audit: return "read the audit log";
    case Permission::manage_organizations: return "manage organisations";
  }
  return "?";
}

namespace {

// The table of permissions.hpp, as the least role that holds each permission.
Role least_role(Permission p) noexcept {
  switch (p) {
    case Permission::read: return Role::viewer;
    case Permission::control: return Role::speaker;
    case Permission::manage_content: return Role::operator_;
    case Permission::manage_users:
    case Permission::manage_api_keys:
    case Permission::read_audit: return Role::admin;
    case Permission::manage_organizations: return Role::superadmin;
  }
  return Role::superadmin;
}

std::uint8_t scope_for(Permission p) noexcept {
  switch (p) {
    case Permission::read: return scope_read;
    case Permission::control: return scope_control;
    case Permission::manage_content: return scope_write;
    default: return 0;  // users, keys, audit and organisations are for people only
  }
}

}  // namespace

bool allows(const Actor& actor, Permission p) noexcept {
  switch (actor.kind) {
    case Actor::Kind::system: return true;
    case Actor::Kind::user: return actor.role >= least_role(p);
    case Actor::Kind::api_key: {
      const auto need = scope_for(p);
      return need != 0 && (actor.scopes & need) != 0;
    }
    case Actor::Kind::device: return false;
  }
  return false;
}

Result<void> require(const Actor& actor, Permission p) {
  if (allows(actor, p)) return {};
  if (actor.kind == Actor::Kind::api_key)
    return make_error(ErrorCode::forbidden, fmt::format("this API key (scopes: {}) may not {}",
                                                        scopes_to_string(actor.scopes), to_string(p)));
  return make_error(ErrorCode::forbidden, fmt::format("role '{}' may not {}", to_string(actor.role), to_string(p)));
}

bool can_see(const Actor& actor, std::string_view organization_id) noexcept {
  if (actor.kind == Actor::Kind::system || (actor.kind == Actor::Kind::user && actor.role == Role::superadmin))
    return true;
  return !actor.organization_id.empty() && actor.organization_id == organization_id;
}

}  // namespace vc
