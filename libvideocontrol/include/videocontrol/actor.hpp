// Actor: who a library call acts for (DESIGN.md principle 1). Every call that acts for someone takes
// one; the library checks tenancy and role against it, so the server never filters by organisation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vc {

// Ordered from least to most privileged; superadmin is system-wide, the rest are per organisation.
enum class Role { viewer, speaker, operator_, admin, superadmin };

std::string_view to_string(Role role) noexcept;
std::optional<Role> parse_role(std::string_view text) noexcept;

// What an API key may do; a key holds any combination.
enum Scope : std::uint8_t { scope_read = 1, scope_write = 2, scope_control = 4 };
std::optional<std::uint8_t> parse_scopes(std::string_view comma_separated) noexcept;  // "read,control"
std::string scopes_to_string(std::uint8_t scopes);

struct Actor {
  enum class Kind { user, api_key, device, system };

  Kind kind = Kind::system;
  std::string id;               // user id, API key id, device id; "system" for the system actor
  std::string organization_id;  // empty only for the system actor and the superadmin
  Role role = Role::viewer;
  std::uint8_t scopes = 0;      // API keys only
  std::string session_id;       // users signed in with a token: the session family
  std::string address;          // client address, for the audit log

  // The server itself (first-run bootstrap, migrations, jobs). Allowed everything.
  static Actor system() { return Actor{Kind::system, "system", {}, Role::superadmin, 0, {}, {}}; }

  bool is_system() const noexcept { return kind == Kind::system; }
  bool at_least(Role r) const noexcept { return is_system() || role >= r; }
};

std::string_view to_string(Actor::Kind kind) noexcept;

}  // namespace vc
