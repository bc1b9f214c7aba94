// Actor: who a library call acts for (DESIGN.md principle 1). Every call that acts for someone takes
// one; the library checks tenancy and role against it, so the server never filters by organisation.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace vc {

// Ordered from least to most privileged; superadmin is system-wide, the rest are per organisation.
enum class Role { viewer, speaker, operator_, admin, superadmin };

std::string_view to_string(Role role) noexcept;
std::optional<Role> parse_role(std::string_view text) noexcept;

struct Actor {
  enum class Kind { user, api_key, device, system };

  Kind kind = Kind::system;
  std::string id;               // user id, API key id, device id; "system" for the system actor
  std::string organization_id;  // empty only for the system actor and the superadmin
  Role role = Role::viewer;

  // The server itself (first-run bootstrap, migrations, jobs). Allowed everything.
  static Actor system() { return Actor{Kind::system, "system", {}, Role::superadmin}; }

  bool is_system() const noexcept { return kind == Kind::system; }
  bool at_least(Role r) const noexcept { return is_system() || role >= r; }
};

std::string_view to_string(Actor::Kind kind) noexcept;

}  // namespace vc
