// The cache of authenticated credentials (services/auth_cache.hpp): it serves repeated requests
// without database reads, and every change that revokes or alters an actor reaches it before the
// next request, on this instance and on another one sharing the event bus.
#include <doctest/doctest.h>

#include "services/auth_cache.hpp"
#include "services_world.hpp"
#include "videocontrol/api_keys.hpp"
#include "videocontrol/auth.hpp"
#include "videocontrol/event_bus.hpp"
#include "videocontrol/organizations.hpp"
#include "videocontrol/permissions.hpp"
#include "videocontrol/users.hpp"

using namespace vc;
using vc::test::World;

namespace {

std::uint64_t queries(World& w) { return w.storage->stats().queries; }

std::string key_of(World& w, const Actor& admin, const std::string& name = "kiosk") {
  auto k = w.svc->api_keys().create(admin, {name, {"read", "control"}, std::nullopt, ""});
  REQUIRE_MESSAGE(k.ok(), (k.ok() ? "" : k.error().message));
  return k->secret;
}

Tokens tokens_of(Services& svc, const std::string& user, const std::string& pw) {
  auto t = svc.auth().login(user, pw, "127.0.0.1");
  REQUIRE_MESSAGE(t.ok(), (t.ok() ? "" : t.error().message));
  return *t;
}

}  // namespace

TEST_CASE("a credential accepted once is served from memory: the requests after it read nothing") {
  World w;
  auto org = w.org("org-cache-hit");
  auto admin = w.user_in(org, "admin_ch", "admin");
  const auto key = key_of(w, admin);
  const auto token = tokens_of(*w.svc, "admin_ch", "Password-admin_ch-1").access_token;
  for (const auto& credential : {key, token}) {
    REQUIRE(w.svc->auth().authenticate(credential, "127.0.0.1").ok());  // reads, and is kept
    const auto before = queries(w);
    for (int i = 0; i < 5; ++i) {
      auto a = w.svc->auth().authenticate(credential, "10.0.0.7");
      REQUIRE(a.ok());
      CHECK(a->organization_id == org.id);
      CHECK(a->address == "10.0.0.7");  // the request's own address, not the first one's
    }
    CHECK(queries(w) == before);
  }
  // The TTL is a bound: past it the credential is read again.
  const auto before = queries(w);
  w.clock->advance(std::chrono::seconds(6));
  REQUIRE(w.svc->auth().authenticate(key, "127.0.0.1").ok());
  CHECK(queries(w) > before);
}

TEST_CASE("with the cache off every request reads the database") {
  World w;
  ServiceOptions o;
  o.password_hash = vc::test::kCheapHash;
  o.clock = w.clock;
  o.auth_cache_ttl = std::chrono::milliseconds(0);
  auto svc = Services::create({w.storage.get(), w.limiter.get(), w.blobs.get(), w.cache.get()}, o);
  REQUIRE(svc.ok());
  const auto token = tokens_of(**svc, "admin", "Super-Password-1").access_token;
  REQUIRE((*svc)->auth().authenticate(token, "127.0.0.1").ok());
  const auto before = queries(w);
  REQUIRE((*svc)->auth().authenticate(token, "127.0.0.1").ok());
  CHECK(queries(w) > before);
}

TEST_CASE("a revoked API key fails at the very next request, though it was cached") {
  World w;
  auto org = w.org("org-cache-revoke");
  auto admin = w.user_in(org, "admin_cr", "admin");
  auto created = w.svc->api_keys().create(admin, {"kiosk", {"read"}, std::nullopt, ""});
  REQUIRE(created.ok());
  auto other = key_of(w, admin, "other");
  REQUIRE(w.svc->auth().authenticate(created->secret, "127.0.0.1").ok());
  REQUIRE(w.svc->auth().authenticate(other, "127.0.0.1").ok());
  REQUIRE(w.svc->api_keys().revoke(admin, created->key.id).ok());
  auto r = w.svc->auth().authenticate(created->secret, "127.0.0.1");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::unauthenticated);
  // Only that key was dropped: the other one is still served without a read.
  const auto before = queries(w);
  CHECK(w.svc->auth().authenticate(other, "127.0.0.1").ok());
  CHECK(queries(w) == before);
}

TEST_CASE("a cached user's token fails at once when the user is disabled or deleted, and carries a new role at once") {
  World w;
  auto org = w.org("org-cache-user");
  auto admin = w.user_in(org, "admin_cu", "admin");
  auto victim = w.user_in(org, "victim_cu", "operator");
  auto gone = w.user_in(org, "gone_cu", "viewer");
  const auto victim_token = tokens_of(*w.svc, "victim_cu", "Password-victim_cu-1").access_token;
  const auto gone_token = tokens_of(*w.svc, "gone_cu", "Password-gone_cu-1").access_token;
  REQUIRE(w.svc->auth().authenticate(victim_token, "127.0.0.1").ok());
  REQUIRE(w.svc->auth().authenticate(gone_token, "127.0.0.1").ok());

  UserPatch demote;
  demote.role = "viewer";
  REQUIRE(w.svc->users().update(admin, victim.id, demote).ok());
  auto a = w.svc->auth().authenticate(victim_token, "127.0.0.1");
  REQUIRE(a.ok());
  CHECK(a->role == Role::viewer);
  CHECK_FALSE(allows(*a, Permission::manage_content));

  UserPatch off;
  off.active = false;
  REQUIRE(w.svc->users().update(admin, victim.id, off).ok());
  CHECK_FALSE(w.svc->auth().authenticate(victim_token, "127.0.0.1").ok());

  REQUIRE(w.svc->users().remove(admin, gone.id).ok());
  CHECK_FALSE(w.svc->auth().authenticate(gone_token, "127.0.0.1").ok());
}

TEST_CASE("sign-out, sign-out everywhere and a password change end cached sessions at once") {
  World w;
  auto org = w.org("org-cache-logout");
  w.user_in(org, "leaver_c", "viewer");
  const std::string pw = "Password-leaver_c-1";
  SUBCASE("sign-out") {
    auto t = tokens_of(*w.svc, "leaver_c", pw);
    auto a = w.svc->auth().authenticate(t.access_token, "127.0.0.1");
    REQUIRE(a.ok());
    REQUIRE(w.svc->auth().logout(*a, "").ok());
    CHECK_FALSE(w.svc->auth().authenticate(t.access_token, "127.0.0.1").ok());
  }
  SUBCASE("sign-out everywhere") {
    auto one = tokens_of(*w.svc, "leaver_c", pw);
    auto two = tokens_of(*w.svc, "leaver_c", pw);
    REQUIRE(w.svc->auth().authenticate(one.access_token, "127.0.0.1").ok());
    auto a = w.svc->auth().authenticate(two.access_token, "127.0.0.1");
    REQUIRE(a.ok());
    REQUIRE(w.svc->auth().logout_everywhere(*a).ok());
    CHECK_FALSE(w.svc->auth().authenticate(one.access_token, "127.0.0.1").ok());
    CHECK_FALSE(w.svc->auth().authenticate(two.access_token, "127.0.0.1").ok());
  }
  SUBCASE("password change") {
    auto t = tokens_of(*w.svc, "leaver_c", pw);
    auto a = w.svc->auth().authenticate(t.access_token, "127.0.0.1");
    REQUIRE(a.ok());
    REQUIRE(w.svc->auth().change_password(*a, pw, "Another-Password-leaver-2").ok());
    CHECK_FALSE(w.svc->auth().authenticate(t.access_token, "127.0.0.1").ok());
  }
  SUBCASE("a reused refresh token") {
    auto t = tokens_of(*w.svc, "leaver_c", pw);
    auto next = w.svc->auth().refresh(t.refresh_token, "127.0.0.1");
    REQUIRE(next.ok());
    REQUIRE(w.svc->auth().authenticate(next->access_token, "127.0.0.1").ok());
    REQUIRE_FALSE(w.svc->auth().refresh(t.refresh_token, "10.0.0.9").ok());  // the reuse ends the family
    CHECK_FALSE(w.svc->auth().authenticate(next->access_token, "127.0.0.1").ok());
  }
}

TEST_CASE("a disabled or deleted organisation's cached keys and tokens fail at once") {
  World w;
  auto org = w.org("org-cache-org");
  auto admin = w.user_in(org, "admin_co", "admin");
  const auto key = key_of(w, admin);
  const auto token = tokens_of(*w.svc, "admin_co", "Password-admin_co-1").access_token;
  REQUIRE(w.svc->auth().authenticate(key, "127.0.0.1").ok());
  REQUIRE(w.svc->auth().authenticate(token, "127.0.0.1").ok());
  SUBCASE("disabled") {
    OrganizationPatch off;
    off.active = false;
    REQUIRE(w.svc->organizations().update(w.super, org.id, off).ok());
  }
  SUBCASE("deleted") {
    REQUIRE(w.svc->organizations().remove(w.super, org.id).ok());
  }
  CHECK_FALSE(w.svc->auth().authenticate(key, "127.0.0.1").ok());
  CHECK_FALSE(w.svc->auth().authenticate(token, "127.0.0.1").ok());
}

TEST_CASE("a change made on one instance reaches another instance's cache before its next request") {
  World w;
  auto bus = make_local_event_bus();  // the shared bus two instances would reach through Redis
  ServiceOptions o;
  o.password_hash = vc::test::kCheapHash;
  o.clock = w.clock;
  o.api_requests_per_minute = 1000;
  auto one = Services::create({w.storage.get(), w.limiter.get(), w.blobs.get(), w.cache.get(), bus.get()}, o);
  auto two = Services::create({w.storage.get(), w.limiter.get(), w.blobs.get(), w.cache.get(), bus.get()}, o);
  REQUIRE(one.ok());
  REQUIRE(two.ok());
  Services& a = **one;
  Services& b = **two;
  auto super = a.auth().authenticate(tokens_of(a, "admin", "Super-Password-1").access_token, "127.0.0.1");
  REQUIRE(super.ok());
  auto org = a.organizations().create(*super, {"Two", "org-cache-two", "FREE", "UTC"});
  REQUIRE(org.ok());
  auto user = a.users().create(*super, {"op_two", "Password-op_two-1", "operator", org->id});
  REQUIRE(user.ok());
  auto key = a.api_keys().create(*super, {"kiosk", {"read"}, std::nullopt, org->id});
  REQUIRE_MESSAGE(key.ok(), (key.ok() ? "" : key.error().message));
  const auto token = tokens_of(a, "op_two", "Password-op_two-1").access_token;

  REQUIRE(b.auth().authenticate(key->secret, "127.0.0.1").ok());  // cached on instance two
  REQUIRE(b.auth().authenticate(token, "127.0.0.1").ok());
  REQUIRE(a.api_keys().revoke(*super, key->key.id).ok());         // revoked on instance one
  CHECK_FALSE(b.auth().authenticate(key->secret, "127.0.0.1").ok());
  UserPatch off;
  off.active = false;
  REQUIRE(a.users().update(*super, user->id, off).ok());
  CHECK_FALSE(b.auth().authenticate(token, "127.0.0.1").ok());
}

TEST_CASE("a control socket's re-check reads the database even when the credential is cached") {
  World w;
  auto org = w.org("org-cache-recheck");
  auto admin = w.user_in(org, "admin_rc", "admin");
  auto created = w.svc->api_keys().create(admin, {"panel", {"read", "control"}, std::nullopt, ""});
  REQUIRE(created.ok());
  REQUIRE(w.svc->auth().authenticate(created->secret, "127.0.0.1").ok());
  // Revoked behind the services' back (no event): only a read can tell.
  REQUIRE(w.storage->transact([&](StorageSession& s) -> Result<void> {
    VC_TRY(s.api_keys().revoke(created->key.id, w.clock->now_ms()));
    return {};
  }).ok());
  CHECK_FALSE(w.svc->auth().recheck(created->secret, "127.0.0.1").ok());
}

TEST_CASE("an authentication read before an invalidation is not kept after it") {
  AuthCache cache(100, std::chrono::seconds(5));
  AuthCache::Entry e;
  e.actor.kind = Actor::Kind::api_key;
  e.actor.id = e.api_key_id = "k1";
  e.actor.organization_id = "o1";
  e.expires_at_ms = 5000;
  const auto generation = cache.generation();  // the read starts …
  DomainEvent revoked;
  revoked.kind = EventKind::api_key_changed;
  revoked.organization_id = "o1";
  revoked.media_id = "k1";
  revoked.name = "revoked";
  cache.on_event(revoked);                     // … the key is revoked meanwhile …
  cache.insert("h1", e, generation, 0);        // … and the stale result is not kept
  CHECK_FALSE(cache.find("h1", 0).has_value());
  cache.insert("h1", e, cache.generation(), 0);
  CHECK(cache.find("h1", 0).has_value());
  CHECK_FALSE(cache.find("h1", 5000).has_value());  // expired
}

TEST_CASE("the authentication cache stays within its bound") {
  AuthCache cache(3, std::chrono::seconds(5));
  for (int i = 0; i < 10; ++i) {
    AuthCache::Entry e;
    e.user_id = "u" + std::to_string(i);
    e.expires_at_ms = 5000;
    cache.insert("h" + std::to_string(i), e, cache.generation(), 0);
    CHECK(cache.size() <= 3);
  }
  CHECK(cache.find("h9", 0).has_value());  // the newest is always kept
}
