// Services: the library's use cases over a Storage, each checking Actor, permissions and tenancy.
// One header per service (organizations, users, auth, api_keys, audit, devices, media, playback,
// players); this one creates the set and includes the first five for existing code.
// Integrators create one Services per process and call it from any thread.
#pragma once

#include "videocontrol/export.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "videocontrol/actor.hpp"
#include "videocontrol/api_keys.hpp"
#include "videocontrol/audit.hpp"
#include "videocontrol/auth.hpp"
#include "videocontrol/domain.hpp"
#include "videocontrol/organizations.hpp"
#include "videocontrol/password.hpp"
#include "videocontrol/result.hpp"
#include "videocontrol/users.hpp"
#include "videocontrol/webhooks.hpp"

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
class Scheduling;
class RateLimiter;
class Storage;
struct ServiceContext;  // private

struct VC_API ServiceOptions {
  std::shared_ptr<Clock> clock;                             // default: the system clock
  std::string jwt_secret;                                   // empty: generated once, kept in the database
  std::int64_t api_requests_per_minute = 600;               // per API key or user
  std::int64_t login_attempts = 5;                          // failed sign-ins per account and per address …
  std::chrono::milliseconds login_window = std::chrono::minutes(15);  // … in this window
  // Password hashes (sign-ins, password changes) running at once, so sign-ins cannot take every
  // core; others wait for a place (at most 10 s). One account has at most one hash in flight: a
  // second sign-in of the same account meanwhile is refused with rate_limited (retry in 1 s), so a
  // client looping sign-ins on parallel connections holds no threads. 0 = half the cores, at least 1.
  unsigned password_hash_concurrency = 0;
  // The cost of new password hashes (password.hpp); a sign-in re-hashes a password made with
  // another cost.
  PasswordHashCost password_hash;
  std::chrono::seconds access_token_ttl = std::chrono::minutes(15);
  // Credentials Auth::authenticate accepted are kept in memory (up to auth_cache_entries), so a
  // request with one costs no database read. A change that revokes or alters one (user disabled,
  // deleted or changed, sign-out, password change, API key revoked, organisation changed) drops it
  // at once on every instance through the domain events; auth_cache_ttl bounds how long an entry
  // lives when such an event is lost (the shared bus down). A zero TTL or 0 entries turns it off.
  std::chrono::milliseconds auth_cache_ttl = std::chrono::seconds(5);
  std::size_t auth_cache_entries = 10000;
  std::chrono::seconds refresh_token_ttl = std::chrono::hours(24 * 30);
  std::uint64_t max_upload_bytes = 5ull << 30;              // per uploaded file
  // Players (players.hpp): the credential policy; requests a client address may make on the player
  // routes (registrations included) per minute, 0 = unlimited; failed device authentications per
  // address in the window, after which that address is refused until the window refills.
  CredentialPolicy device_credentials = CredentialPolicy::required;
  std::int64_t player_requests_per_minute = 3000;
  std::int64_t device_auth_failures = 30;
  std::chrono::milliseconds device_auth_window = std::chrono::minutes(5);
  // The content pipeline (pipeline.hpp): where derived files (pages, thumbnails, renditions) live,
  // and whether uploads become processing jobs. Without it, uploads are ready as they are and
  // documents and folders have no pages.
  std::string derived_dir;
  bool process_media = false;
  // Webhooks (webhooks.hpp): the SSRF allow-list checked at registration, and the delivery settings
  // the WebhookDispatcher uses.
  WebhookOptions webhooks;
};

// The backends the services run on; each must outlive the Services.
struct VC_API ServiceBackends {
  Storage* storage = nullptr;
  RateLimiter* limiter = nullptr;
  BlobStore* blobs = nullptr;
  Cache* cache = nullptr;
  // Where the services publish their domain events (events.hpp): the installation's bus, shared by
  // every instance. Null = an in-process bus of the Services' own.
  EventBus* bus = nullptr;
};

// ---- the set ---------------------------------------------------------------------------------

class VC_API Services {
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
  Webhooks& webhooks();      // signed webhooks (webhooks.hpp)
  Scheduling& scheduling();  // groups, playlists, assignments, overrides, timelines (scheduling.hpp)
  Cache& cache();
  const Clock& clock() const;
  // What changed, after each commit (events.hpp).
  DomainEvents& events();

 private:
  friend ServiceContext& service_context(Services& services);
  Services();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vc
