// Who may do what: the one table every service checks (DESIGN.md principle 1).
//
//   permission            viewer speaker operator admin superadmin  API key scope
//   read                    x      x       x       x      x          read
//   control (playback)             x       x       x      x          control
//   manage_content                         x       x      x          write
//     (devices, media, playlists, schedules)
//   manage_users                                   x      x          -
//   manage_api_keys                                x      x          -
//   read_audit                                     x      x          -
//   manage_organizations                                  x          -
//
// Everything except manage_organizations is limited to the actor's own organisation; the superadmin
// and the system actor act in every organisation. An object of another organisation is reported as
// not found, never as forbidden, so ids of other tenants cannot be probed.
#pragma once

#include "videocontrol/export.hpp"

#include <string_view>

#include "videocontrol/actor.hpp"
#include "videocontrol/result.hpp"

namespace vc {

enum class Permission { read, control, manage_content, manage_users, manage_api_keys, read_audit, manage_organizations };

VC_API std::string_view to_string(Permission p) noexcept;

VC_API bool allows(const Actor& actor, Permission p) noexcept;

// Errors: forbidden, with a message naming the role (or key scopes) and the permission.
VC_API Result<void> require(const Actor& actor, Permission p);

// True when the actor may see objects of that organisation.
VC_API bool can_see(const Actor& actor, std::string_view organization_id) noexcept;

}  // namespace vc
