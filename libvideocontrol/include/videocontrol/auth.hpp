// Auth: sign-in, token refresh and rotation, sign-out, password change, and turning a
// credential (access token or API key) into the Actor it stands for.
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

struct VC_API Tokens {
  std::string access_token;   // JWT HS256, short-lived
  std::string refresh_token;  // opaque, single use
  std::int64_t expires_in = 0;          // seconds until the access token expires
  std::int64_t refresh_expires_in = 0;  // seconds until the refresh token expires
  User user;
};

class VC_API Auth {
 public:
  explicit Auth(ServiceContext& ctx) : ctx_(ctx) {}
  // Errors: unauthenticated (one message for an unknown user and a wrong password), forbidden (the
  // password is right but the account or its organisation is disabled: said only to someone who
  // knows the password), rate_limited (too many failures for the account or the address;
  // retry_after_s set).
  Result<Tokens> login(std::string_view username, std::string_view password, std::string_view address);
  // Rotates: the presented token becomes used and a new pair is returned. A used token presented
  // again revokes its whole session family. Errors: unauthenticated.
  Result<Tokens> refresh(std::string_view refresh_token, std::string_view address);
  // Revokes the session of `refresh_token`, or the actor's current session when it is empty.
  Result<void> logout(const Actor& actor, std::string_view refresh_token);
  Result<void> logout_everywhere(const Actor& actor);
  // Errors: unauthenticated (wrong current password), invalid (weak new password).
  Result<void> change_password(const Actor& actor, std::string_view current, std::string_view next);
  // An access token or an API key → the Actor it stands for, after checking that the user is
  // active and its session live (or the key unrevoked and unexpired), and the per-actor request
  // rate. Errors: unauthenticated, rate_limited.
  Result<Actor> authenticate(std::string_view credential, std::string_view address);
  // The same checks without counting a request: for a connection that presented the credential
  // once and re-checks it (a control socket, before each command and every few seconds), so that
  // a disabled or deleted user, a revoked key or session, a changed role and an expired token reach
  // connections already open. Errors: unauthenticated.
  Result<Actor> recheck(std::string_view credential, std::string_view address);
  // A superadmin acting in another organisation, named by its id: returns the actor scoped to it,
  // marked `as_superadmin` with its own home kept in `home_organization_id`, so every audit entry
  // made with it records that (details "as_superadmin": true, "home_organization_id"). Naming its
  // own home returns the actor unchanged. Writes nothing.
  // Errors: forbidden (not a signed-in superadmin: organisation users and API keys act only in
  // their own), not_found (no such organisation), invalid (empty id).
  Result<Actor> act_in(const Actor& superadmin, std::string_view organization_id);
  Result<User> me(const Actor& actor);

 private:
  Result<Actor> check_credential(std::string_view credential, std::string_view address, bool count_request);
  ServiceContext& ctx_;
};

}  // namespace vc
