// Users: people of an organisation (and superadmins), their roles and accounts.
// Part of the services (services.hpp creates them); each call checks the Actor, permissions and tenancy.
#pragma once

#include "videocontrol/export.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "videocontrol/actor.hpp"
#include "videocontrol/domain.hpp"
#include "videocontrol/result.hpp"

namespace vc {

struct ServiceContext;  // private

struct VC_API UserInput {
  std::string username;        // [A-Za-z0-9_.@-], 3..64, unique across the installation
  std::string password;
  std::string role = "viewer";
  std::string organization_id; // superadmin only; default: the actor's organisation
};

struct VC_API UserPatch {
  std::optional<std::string> role;
  std::optional<bool> active;       // false signs the user out everywhere at once
  std::optional<std::string> password;  // an admin reset; signs the user out everywhere
};

class VC_API Users {
 public:
  explicit Users(ServiceContext& ctx) : ctx_(ctx) {}
  // Admins create users of their organisation up to the plan's user limit (race-safe).
  // Errors: invalid (weak password, bad role), conflict (username taken), quota, forbidden.
  Result<User> create(const Actor& actor, const UserInput& input);
  Result<User> get(const Actor& actor, std::string_view id);
  // organization_id: superadmin filter; ignored for others (always their own organisation).
  Result<Page<User>> list(const Actor& actor, const PageRequest& page, std::string_view organization_id = {});
  Result<User> update(const Actor& actor, std::string_view id, const UserPatch& patch);
  Result<void> remove(const Actor& actor, std::string_view id);

 private:
  ServiceContext& ctx_;
};

}  // namespace vc
