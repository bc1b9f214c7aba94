// Services: the library's use cases over a Storage, each checking Actor, permissions and tenancy.
// Integrators create one Services per process and call it from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "videocontrol/actor.hpp"
#include "videocontrol/domain.hpp"
#include "videocontrol/result.hpp"

namespace vc {

class BlobStore;
class Cache;
class Clock;
class Devices;
class DomainEvents;
class EventBus;
class MediaLibrary;
class Playback;
class Players;
class RateLimiter;
class Storage;
struct ServiceContext;  // private

struct ServiceOptions {
  std::shared_ptr<Clock> clock;                             // default: the system clock
  std::string jwt_secret;                                   // empty: generated once, kept in the database
  std::int64_t api_requests_per_minute = 100;               // per API key or user
  std::int64_t login_attempts = 5;                          // failed sign-ins per account and per address …
  std::chrono::milliseconds login_window = std::chrono::minutes(15);  // … in this window
  std::chrono::seconds access_token_ttl = std::chrono::minutes(15);
  std::chrono::seconds refresh_token_ttl = std::chrono::hours(24 * 30);
  std::uint64_t max_upload_bytes = 5ull << 30;              // per uploaded file
  CredentialPolicy device_credentials = CredentialPolicy::off;  // players (players.hpp)
};

// The backends the services run on; each must outlive the Services.
struct ServiceBackends {
  Storage* storage = nullptr;
  RateLimiter* limiter = nullptr;
  BlobStore* blobs = nullptr;
  Cache* cache = nullptr;
  // Where the services publish their domain events (events.hpp): the installation's bus, shared by
  // every instance. Null = an in-process bus of the Services' own.
  EventBus* bus = nullptr;
};

// ---- organisations ---------------------------------------------------------------------------

struct OrganizationInput {
  std::string name;
  std::string slug;           // [a-z0-9-], 2..63, unique
  std::string plan = "FREE";
  std::string timezone = "UTC";
};

struct OrganizationPatch {
  std::optional<std::string> name, slug, plan, timezone;
  std::optional<bool> active;
  // Limit overrides: outer nullopt = unchanged; inner nullopt = back to the plan's value.
  std::optional<std::optional<std::int64_t>> max_devices, max_users, max_storage_bytes;
};

struct Usage {
  std::int64_t devices = 0, users = 0, storage_bytes = 0;
  Limits limits;
};

class Organizations {
 public:
  explicit Organizations(ServiceContext& ctx) : ctx_(ctx) {}
  // Superadmin only. Errors: invalid, conflict (slug taken), forbidden.
  Result<Organization> create(const Actor& actor, const OrganizationInput& input);
  Result<Organization> get(const Actor& actor, std::string_view id);
  // Superadmin: all; everyone else: their own organisation.
  Result<Page<Organization>> list(const Actor& actor, const PageRequest& page);
  // Superadmin: any field. Organisation admin: name and timezone of its own; plan, limits and the
  // active flag are forbidden to it.
  Result<Organization> update(const Actor& actor, std::string_view id, const OrganizationPatch& patch);
  // Superadmin only; deletes everything the organisation owns.
  Result<void> remove(const Actor& actor, std::string_view id);
  // Anyone who can read the organisation (operators need it before uploading).
  Result<Usage> usage(const Actor& actor, std::string_view id);

 private:
  ServiceContext& ctx_;
};

// ---- users -----------------------------------------------------------------------------------

struct UserInput {
  std::string username;        // [A-Za-z0-9_.@-], 3..64, unique across the installation
  std::string password;
  std::string role = "viewer";
  std::string organization_id; // superadmin only; default: the actor's organisation
};

struct UserPatch {
  std::optional<std::string> role;
  std::optional<bool> active;       // false signs the user out everywhere at once
  std::optional<std::string> password;  // an admin reset; signs the user out everywhere
};

class Users {
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

// ---- sign-in ---------------------------------------------------------------------------------

struct Tokens {
  std::string access_token;   // JWT HS256, short-lived
  std::string refresh_token;  // opaque, single use
  std::int64_t expires_in = 0;  // seconds until the access token expires
  User user;
};

class Auth {
 public:
  explicit Auth(ServiceContext& ctx) : ctx_(ctx) {}
  // Errors: unauthenticated (one message for unknown user, wrong password and disabled user),
  // rate_limited (too many failures for the account or the address; retry_after_s set).
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
  // A superadmin acting in another organisation, named by its id: returns the actor scoped to it,
  // marked `as_superadmin` with its own home kept in `home_organization_id`, so every audit entry
  // made with it records that (details "as_superadmin": true, "home_organization_id"). Naming its
  // own home returns the actor unchanged. Writes nothing.
  // Errors: forbidden (not a signed-in superadmin: organisation users and API keys act only in
  // their own), not_found (no such organisation), invalid (empty id).
  Result<Actor> act_in(const Actor& superadmin, std::string_view organization_id);
  Result<User> me(const Actor& actor);

 private:
  ServiceContext& ctx_;
};

// ---- API keys --------------------------------------------------------------------------------

struct ApiKeyInput {
  std::string name;
  std::vector<std::string> scopes;               // read, write, control
  std::optional<std::int64_t> expires_at_ms;     // must be in the future
  std::string organization_id;                   // superadmin only
};

struct CreatedApiKey {
  ApiKey key;
  std::string secret;  // shown once; only its hash is stored
};

class ApiKeys {
 public:
  explicit ApiKeys(ServiceContext& ctx) : ctx_(ctx) {}
  Result<CreatedApiKey> create(const Actor& actor, const ApiKeyInput& input);
  Result<Page<ApiKey>> list(const Actor& actor, const PageRequest& page, std::string_view organization_id = {});
  Result<void> revoke(const Actor& actor, std::string_view id);

 private:
  ServiceContext& ctx_;
};

// ---- audit log -------------------------------------------------------------------------------

struct AuditFilter {
  std::string organization_id;  // superadmin only; admins always see their own organisation
  std::string action, actor_id, object_type, object_id;
  std::int64_t since_ms = 0, until_ms = 0;
  std::string cursor;
  int limit = 50;
};

class AuditLog {
 public:
  explicit AuditLog(ServiceContext& ctx) : ctx_(ctx) {}
  Result<Page<AuditEntry>> list(const Actor& actor, const AuditFilter& filter);
  // Records an action outside any other change (e.g. a failed sign-in).
  Result<void> record(const Actor& actor, std::string_view action, std::string_view object_type,
                      std::string_view object_id, std::string_view organization_id, std::string_view details_json = "{}");

 private:
  ServiceContext& ctx_;
};

// ---- the set ---------------------------------------------------------------------------------

class Services {
 public:
  // REQUIRES: every backend set; storage migrated.
  // Errors: invalid when a backend is missing, unavailable when the signing key cannot be loaded.
  static Result<std::unique_ptr<Services>> create(ServiceBackends backends, ServiceOptions options = {});
  ~Services();

  Organizations& organizations();
  Users& users();
  Auth& auth();
  ApiKeys& api_keys();
  AuditLog& audit();
  Devices& devices();
  MediaLibrary& media();
  Playback& playback();
  Players& players();
  Cache& cache();
  const Clock& clock() const;
  // What changed, after each commit (events.hpp).
  DomainEvents& events();

 private:
  Services();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vc
