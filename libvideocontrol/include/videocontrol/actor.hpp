// Actor: who a library call acts for (DESIGN.md principle 1). Every call that acts for someone takes
// one; the library checks tenancy and role against it, so the server never filters by organisation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "videocontrol/domain.hpp"
#include "videocontrol/export.hpp"

namespace vc {

// What an API key may do; a key holds any combination.
enum Scope : std::uint8_t { scope_read = 1, scope_write = 2, scope_control = 4 };
VC_API std::optional<std::uint8_t> parse_scopes(std::string_view comma_separated) noexcept;  // "read,control"
VC_API std::string scopes_to_string(std::uint8_t scopes);

struct VC_API Actor {
  enum class Kind { user, api_key, device, system };

  Kind kind = Kind::user;  // a default Actor is an unprivileged user; the system actor is only system()
  std::string id;               // user id, API key id, device_id; "system" for the system actor
  // The organisation the call acts in. A superadmin acts in its home organisation unless it names
  // another (Auth::act_in); empty only for the system actor and a superadmin without a home.
  std::string organization_id;
  Role role = Role::viewer;
  std::uint8_t scopes = 0;      // API keys only
  std::string session_id;       // users signed in with a token: the session family
  std::string address;          // client address, for the audit log
  // Set by Auth::act_in on a superadmin acting in an organisation other than its home: its home
  // (empty when it has none), and the mark that makes every audit entry it writes record that.
  std::string home_organization_id;
  bool as_superadmin = false;

  // The installation itself (first-run bootstrap, migrations, jobs). Allowed everything. Never the
  // actor of a request: requests act as the user, key or device that made them.
  static Actor system() { return Actor{Kind::system, "system", {}, Role::superadmin, 0, {}, {}, {}, false}; }
  // A player, once Players::authenticate has checked it: may read its own device only.
  static Actor device(std::string device_id, std::string organization_id) {
    return Actor{Kind::device, std::move(device_id), std::move(organization_id), Role::viewer, 0, {}, {}, {}, false};
  }

  bool is_system() const noexcept { return kind == Kind::system; }
  bool at_least(Role r) const noexcept { return is_system() || role >= r; }
  // A superadmin acting in an organisation other than its home (audited as such).
  bool acting_elsewhere() const noexcept { return as_superadmin; }
};

VC_API std::string_view to_string(Actor::Kind kind) noexcept;

}  // namespace vc
