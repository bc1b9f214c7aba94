// First run: an empty installation gets a default organisation and the superadmin `admin`.
#pragma once

#include "videocontrol/export.hpp"

#include <optional>
#include <string>

#include "videocontrol/password.hpp"
#include "videocontrol/result.hpp"

namespace vc {

class Clock;
class Storage;

struct VC_API FirstRun {
  std::string organization_id;
  std::string admin_username;      // "admin"
  std::string generated_password;  // empty when the caller supplied one; show it once, never log it
};

// When no user exists yet, creates the organisation "Default" (slug "default") and the superadmin
// `admin`, whose home organisation it is, in one transaction, with `admin_password` or, when empty, a generated one. Returns nullopt
// when the installation already has users (nothing changes). Safe when several instances start at
// once: exactly one of them creates the admin.
// Errors: invalid when admin_password is too weak (the message says why).
VC_API Result<std::optional<FirstRun>> bootstrap_first_run(Storage& storage, const Clock& clock,
                                                    const std::string& admin_password,
                                                    const PasswordHashCost& hash_cost = {});

}  // namespace vc
