// Tenancy, roles, sign-in and audit, exercised through the library API (the same rules the HTTP
// server relies on; tests/integration/test_tenancy.py checks them again over HTTP).
#include <doctest/doctest.h>

#include <atomic>
#include <future>
#include <thread>
#include <vector>

#include "services/context.hpp"
#include "services_world.hpp"
#include "videocontrol/audit.hpp"
#include "videocontrol/blob_store.hpp"
#include "videocontrol/bootstrap.hpp"
#include "videocontrol/cache.hpp"
#include "videocontrol/clock.hpp"
#include "videocontrol/installation.hpp"
#include "videocontrol/json_writer.hpp"
#include "videocontrol/permissions.hpp"
#include "videocontrol/rate_limiter.hpp"
#include "videocontrol/services.hpp"

using namespace vc;
using vc::test::World;

namespace {
AuditFilter by_action(std::string action) {
  AuditFilter f;
  f.action = std::move(action);
  return f;
}
AuditFilter page_of(int limit, std::string cursor = {}) {
  AuditFilter f;
  f.limit = limit;
  f.cursor = std::move(cursor);
  return f;
}
}  // namespace


TEST_CASE("another organisation's objects are not found, never forbidden") {
  World w;
  auto a = w.org("org-a"), b = w.org("org-b");
  auto admin_a = w.user_in(a, "admin_a", "admin");
  auto user_b = w.svc->users().create(w.super, {"viewer_b", "Password-viewer-b-1", "viewer", b.id});
  REQUIRE(user_b.ok());

  CHECK(w.svc->organizations().get(admin_a, a.id).ok());
  auto other = w.svc->organizations().get(admin_a, b.id);
  REQUIRE_FALSE(other.ok());
  CHECK(other.error().code == ErrorCode::not_found);
  auto other_user = w.svc->users().get(admin_a, user_b->id);
  REQUIRE_FALSE(other_user.ok());
  CHECK(other_user.error().code == ErrorCode::not_found);
  auto del = w.svc->users().remove(admin_a, user_b->id);
  CHECK(del.error().code == ErrorCode::not_found);
  auto list = w.svc->users().list(admin_a, {}, b.id);  // the filter is ignored for non-superadmins
  REQUIRE(list.ok());
  for (const auto& u : list->items) CHECK(u.organization_id == a.id);
}

TEST_CASE("roles below the required one are forbidden with a message naming the role") {
  World w;
  auto a = w.org("org-roles");
  auto viewer = w.user_in(a, "viewer_r", "viewer");
  auto r = w.svc->users().create(viewer, {"someone", "Password-someone-1", "viewer", ""});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::forbidden);
  CHECK(r.error().message.find("viewer") != std::string::npos);
  auto admin = w.user_in(a, "admin_r", "admin");
  auto sup = w.svc->users().create(admin, {"wannabe", "Password-wannabe-1", "superadmin", ""});
  REQUIRE_FALSE(sup.ok());
  CHECK(sup.error().code == ErrorCode::forbidden);
  CHECK_FALSE(w.svc->organizations().create(admin, {"x", "xx", "FREE", "UTC"}).ok());
}

TEST_CASE("an organisation admin cannot change its own plan or limits, the superadmin can") {
  World w;
  auto a = w.org("org-plan");
  auto admin = w.user_in(a, "admin_p", "admin");
  OrganizationPatch upgrade;
  upgrade.plan = "ENTERPRISE";
  auto r = w.svc->organizations().update(admin, a.id, upgrade);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::forbidden);
  OrganizationPatch more;
  more.max_users = std::optional<std::int64_t>(100);
  CHECK(w.svc->organizations().update(admin, a.id, more).error().code == ErrorCode::forbidden);
  OrganizationPatch rename;
  rename.name = "Renamed";
  CHECK(w.svc->organizations().update(admin, a.id, rename).ok());
  auto by_super = w.svc->organizations().update(w.super, a.id, upgrade);
  REQUIRE(by_super.ok());
  CHECK(by_super->plan == "ENTERPRISE");
}

TEST_CASE("plan limits: FREE allows 3 users and concurrent creates cannot overshoot") {
  World w;
  auto a = w.org("org-quota");
  auto admin = w.user_in(a, "admin_q", "admin");  // 1 of 3
  std::atomic<int> ok{0}, quota{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i)
    threads.emplace_back([&, i] {
      auto r = w.svc->users().create(admin, {"racer" + std::to_string(i), "Racer-password-1", "viewer", ""});
      if (r.ok()) ok++;
      else if (r.error().code == ErrorCode::quota) quota++;
      else other++;
    });
  for (auto& t : threads) t.join();
  CHECK(ok.load() == 2);
  CHECK(quota.load() == 4);
  CHECK(other.load() == 0);
  auto usage = w.svc->organizations().usage(admin, a.id);
  REQUIRE(usage.ok());
  CHECK(usage->users == 3);
  CHECK(usage->limits.users == 3);
}

TEST_CASE("refresh tokens rotate, and a reused one revokes the whole session") {
  World w;
  auto a = w.org("org-refresh");
  w.user_in(a, "rota", "viewer");
  auto first = w.svc->auth().login("rota", "Password-rota-1", "127.0.0.1");
  REQUIRE(first.ok());
  auto second = w.svc->auth().refresh(first->refresh_token, "127.0.0.1");
  REQUIRE(second.ok());
  CHECK(second->refresh_token != first->refresh_token);
  CHECK(w.svc->auth().authenticate(second->access_token, "127.0.0.1").ok());

  auto reuse = w.svc->auth().refresh(first->refresh_token, "10.0.0.9");
  REQUIRE_FALSE(reuse.ok());
  CHECK(reuse.error().code == ErrorCode::unauthenticated);
  CHECK(reuse.error().message.find("already used") != std::string::npos);
  // The thief's reuse ended the legitimate holder's session too: its newer tokens are dead.
  CHECK_FALSE(w.svc->auth().refresh(second->refresh_token, "127.0.0.1").ok());
  CHECK_FALSE(w.svc->auth().authenticate(second->access_token, "127.0.0.1").ok());
  auto audit = w.svc->audit().list(w.super, by_action("auth.refresh_reuse"));
  REQUIRE(audit.ok());
  CHECK(audit->items.size() == 1);
}

TEST_CASE("a disabled user's live access token stops working at once") {
  World w;
  auto a = w.org("org-disable");
  auto admin = w.user_in(a, "admin_d", "admin");
  auto victim = w.user_in(a, "victim", "operator");
  auto tokens = w.svc->auth().login("victim", "Password-victim-1", "127.0.0.1");
  REQUIRE(tokens.ok());
  UserPatch off;
  off.active = false;
  REQUIRE(w.svc->users().update(admin, victim.id, off).ok());
  CHECK_FALSE(w.svc->auth().authenticate(tokens->access_token, "127.0.0.1").ok());
  CHECK_FALSE(w.svc->auth().refresh(tokens->refresh_token, "127.0.0.1").ok());
  auto again = w.svc->auth().login("victim", "Password-victim-1", "127.0.0.1");
  REQUIRE_FALSE(again.ok());
  // The right password learns why (a page can say so); a wrong one learns nothing.
  CHECK(again.error().code == ErrorCode::forbidden);
  CHECK(again.error().message.find("disabled") != std::string::npos);
  auto wrong = w.svc->auth().login("victim", "Password-wrong-1", "127.0.0.1");
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.error().code == ErrorCode::unauthenticated);
  CHECK(wrong.error().message == "invalid username or password");
}

TEST_CASE("logout ends the session; logout everywhere ends all of them") {
  World w;
  auto a = w.org("org-logout");
  w.user_in(a, "leaver", "viewer");
  auto one = w.svc->auth().login("leaver", "Password-leaver-1", "127.0.0.1");
  auto two = w.svc->auth().login("leaver", "Password-leaver-1", "127.0.0.1");
  REQUIRE(one.ok());
  REQUIRE(two.ok());
  auto actor_one = w.svc->auth().authenticate(one->access_token, "127.0.0.1");
  REQUIRE(actor_one.ok());
  REQUIRE(w.svc->auth().logout(*actor_one, "").ok());
  CHECK_FALSE(w.svc->auth().authenticate(one->access_token, "127.0.0.1").ok());
  auto actor_two = w.svc->auth().authenticate(two->access_token, "127.0.0.1");
  REQUIRE(actor_two.ok());
  REQUIRE(w.svc->auth().logout_everywhere(*actor_two).ok());
  CHECK_FALSE(w.svc->auth().authenticate(two->access_token, "127.0.0.1").ok());
}

TEST_CASE("failed sign-ins are limited per account and per address") {
  World w;
  auto a = w.org("org-limit");
  w.user_in(a, "target", "viewer");
  for (int i = 0; i < 5; ++i) {
    auto r = w.svc->auth().login("target", "wrong-password-1", "10.1.0." + std::to_string(i));
    CHECK(r.error().code == ErrorCode::unauthenticated);
  }
  auto blocked = w.svc->auth().login("target", "Password-target-1", "10.1.0.99");
  REQUIRE_FALSE(blocked.ok());
  CHECK(blocked.error().code == ErrorCode::rate_limited);
  CHECK(blocked.error().retry_after_s > 0);
  w.clock->advance(std::chrono::minutes(16));
  CHECK(w.svc->auth().login("target", "Password-target-1", "10.1.0.99").ok());

  for (int i = 0; i < 5; ++i) (void)w.svc->auth().login("nobody" + std::to_string(i), "x-wrong-1", "10.2.0.1");
  auto by_address = w.svc->auth().login("target", "Password-target-1", "10.2.0.1");
  REQUIRE_FALSE(by_address.ok());
  CHECK(by_address.error().code == ErrorCode::rate_limited);
}

namespace {
std::vector<AuditEntry> audit_of(World& w, const std::string& action) {
  std::vector<AuditEntry> out;
  (void)w.storage->read([&](StorageSession& s) -> Result<void> {
    AuditQuery q;
    q.action = action;
    q.limit = 1000;
    auto r = s.audit().list(q);
    if (r) out = *r;
    return {};
  });
  return out;
}
}  // namespace

TEST_CASE("concurrent wrong passwords from one address: exactly the limit is evaluated, the rest refused before hashing") {
  World w;
  auto a = w.org("org-race");
  w.user_in(a, "raced", "viewer");
  ServiceOptions o;  // the hash gate wide open: only the limiter stands in the way
  o.password_hash = vc::test::kCheapHash;
  o.clock = w.clock;
  o.password_hash_concurrency = 32;
  auto svc = Services::create({w.storage.get(), w.limiter.get(), w.blobs.get(), w.cache.get()}, o);
  REQUIRE(svc.ok());
  std::atomic<int> evaluated{0}, limited{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 24; ++i)
    threads.emplace_back([&, i] {
      // Different accounts (the one that exists among them): the address's bucket is the limit.
      const std::string user = i == 0 ? "raced" : "guess" + std::to_string(i);
      auto r = (*svc)->auth().login(user, "wrong-password-" + std::to_string(i), "10.9.0.1");
      if (r.ok()) ++other;
      else if (r.error().code == ErrorCode::unauthenticated) ++evaluated;
      else if (r.error().code == ErrorCode::rate_limited) ++limited;
      else ++other;
    });
  for (auto& t : threads) t.join();
  CHECK(evaluated == 5);  // LOGIN_ATTEMPTS
  CHECK(limited == 19);
  CHECK(other == 0);
  CHECK(audit_of(w, "auth.login_failed").size() == 5);
  // A flood of refusals writes one audit entry per bucket and window, not one per request.
  CHECK(audit_of(w, "auth.login_rate_limited").size() == 1);
}

TEST_CASE("a sign-in re-hashes a password made with another cost; a wrong one changes nothing") {
  World w;  // hashes at the suite's cheap cost
  auto org = w.org("org-rehash");
  w.user_in(org, "rehashed", "viewer");
  auto before = w.svc->auth().login("rehashed", "Password-rehashed-1", "10.9.0.1");
  REQUIRE(before.ok());
  auto stored = [&] {
    std::string hash;
    REQUIRE(w.storage->read([&](StorageSession& s) -> Result<void> {
      VC_ASSIGN(auto u, s.users().find_by_username("rehashed"));
      hash = u->password_hash;
      return {};
    }).ok());
    return hash;
  };
  const std::string cheap = stored();
  REQUIRE(cheap.find("$m=8,t=1,") != std::string::npos);
  // The operator raises the cost (here: back to the default) and restarts.
  ServiceOptions o;
  o.clock = w.clock;
  auto svc = Services::create({w.storage.get(), w.limiter.get(), w.blobs.get(), w.cache.get()}, o);
  REQUIRE(svc.ok());
  CHECK((*svc)->auth().login("rehashed", "wrong-password-7", "10.9.0.1").error().code == ErrorCode::unauthenticated);
  CHECK(stored() == cheap);
  REQUIRE((*svc)->auth().login("rehashed", "Password-rehashed-1", "10.9.0.1").ok());
  const std::string upgraded = stored();
  CHECK(upgraded.find("$m=65536,t=2,") != std::string::npos);
  CHECK(verify_password("Password-rehashed-1", upgraded));
  // Only the hash changed: the session from before still works, and the next sign-in keeps it.
  CHECK(w.svc->auth().authenticate(before->access_token, "10.9.0.1").ok());
  CHECK(w.svc->auth().refresh(before->refresh_token, "10.9.0.1").ok());
  REQUIRE((*svc)->auth().login("rehashed", "Password-rehashed-1", "10.9.0.1").ok());
  CHECK(stored() == upgraded);
  // An impossible cost is refused when the services are created.
  o.password_hash = {0, 8};
  auto bad = Services::create({w.storage.get(), w.limiter.get(), w.blobs.get(), w.cache.get()}, o);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == ErrorCode::invalid);
}

TEST_CASE("a successful sign-in gives its reserved attempt back") {
  World w;
  auto a = w.org("org-giveback");
  w.user_in(a, "often", "viewer");
  // Many correct sign-ins in a row never lock the account or the address.
  for (int i = 0; i < 7; ++i) REQUIRE(w.svc->auth().login("often", "Password-often-1", "10.8.0.1").ok());
  // Four failures leave one attempt; a success does not spend it.
  for (int i = 0; i < 4; ++i) CHECK(w.svc->auth().login("often", "wrong-password-1", "10.8.0.1").error().code == ErrorCode::unauthenticated);
  CHECK(w.svc->auth().login("often", "Password-often-1", "10.8.0.1").ok());
  CHECK(w.svc->auth().login("often", "wrong-password-1", "10.8.0.1").error().code == ErrorCode::unauthenticated);
  CHECK(w.svc->auth().login("often", "Password-often-1", "10.8.0.1").error().code == ErrorCode::rate_limited);
}

TEST_CASE("password hashes run on a bounded gate; one account has one in flight, uncounted when turned away") {
  World w;
  ServiceOptions o;
  o.password_hash = vc::test::kCheapHash;
  o.clock = w.clock;
  o.password_hash_concurrency = 1;
  auto svc = Services::create({w.storage.get(), w.limiter.get(), w.blobs.get(), w.cache.get()}, o);
  REQUIRE(svc.ok());
  HashGate& gate = *service_context(**svc).hash_gate;
  // The admin account has a hash in flight (held here): its second sign-in is turned away at once.
  REQUIRE(gate.enter("login:account:admin"));
  auto busy = (*svc)->auth().login("admin", "Super-Password-1", "10.7.0.1");
  REQUIRE_FALSE(busy.ok());
  CHECK(busy.error().code == ErrorCode::rate_limited);
  CHECK(busy.error().retry_after_s == 1);
  // Another account waits for the one place and gets it when it frees.
  auto other = std::async(std::launch::async, [&] { return (*svc)->auth().login("nobody", "wrong-password-8", "10.7.0.2"); });
  while (gate.waiting() == 0) std::this_thread::yield();
  gate.leave("login:account:admin");
  CHECK(other.get().error().code == ErrorCode::unauthenticated);
  // The refused attempt did not count: five wrong passwords are still evaluated afterwards.
  for (int i = 0; i < 5; ++i)
    CHECK((*svc)->auth().login("admin", "wrong-password-9", "10.7.0.1").error().code == ErrorCode::unauthenticated);
  CHECK((*svc)->auth().login("admin", "Super-Password-1", "10.7.0.1").error().code == ErrorCode::rate_limited);
}

TEST_CASE("the hash gate turns away a wait longer than its bound") {
  HashGate gate(1, std::chrono::milliseconds(50));
  REQUIRE(gate.enter("a"));
  CHECK_FALSE(gate.enter("b"));  // no place within 50 ms
  CHECK(gate.waiting() == 0);
  gate.leave("a");
  CHECK(gate.enter("b"));
  gate.leave("b");
}

TEST_CASE("rate limiters take a negative cost as tokens given back, never above the limit") {
  auto clock = std::make_shared<ManualClock>(1'000'000);
  auto limiter = make_memory_rate_limiter(clock);
  const auto window = std::chrono::minutes(1);
  CHECK(limiter->check("k", 3, window, -1).remaining == 3);  // an unknown key: nothing to give back
  CHECK(limiter->check("k", 3, window, 1).remaining == 2);
  CHECK(limiter->check("k", 3, window, 1).remaining == 1);
  CHECK(limiter->check("k", 3, window, -1).remaining == 2);
  CHECK(limiter->check("k", 3, window, -3).remaining == 3);  // capped at the limit
  CHECK_FALSE(limiter->check("k", 3, window, -4).allowed);  // beyond -limit: a broken precondition
}

TEST_CASE("an audit entry is bounded whatever the request carried") {
  World w;
  const std::string huge(1 << 20, 'x');                       // a 1 MiB user name
  (void)w.svc->auth().login(huge, "wrong-password-1", "192.0.2.9");
  auto failed = audit_of(w, "auth.login_failed");
  REQUIRE(failed.size() == 1);
  CHECK(failed[0].details_json.size() < 600);
  CHECK(failed[0].details_json.find("\xE2\x80\xA6") != std::string::npos);  // marked as cut
  // A multi-byte character is never cut in half: the cut (at 253 bytes) falls inside the first 'я'.
  auto admin = w.user_in(w.org("org-clip"), "clipper", "admin");
  const std::string name = std::string(252, 'a') + "\xd1\x8f\xd1\x8f\xd1\x8f";
  REQUIRE(w.svc->audit().record(admin, "test.clip", "thing", "id-1", admin.organization_id,
                                JsonWriter().begin_object().key("name").value(name).end_object().str()).ok());
  auto clipped = audit_of(w, "test.clip");
  REQUIRE(clipped.size() == 1);
  const auto& d = clipped[0].details_json;
  CHECK(d.find(std::string(252, 'a') + "\xE2\x80\xA6\"") != std::string::npos);
  CHECK(d.size() <= 256 + 16);
  // A details document of many short strings is dropped with a note rather than stored whole.
  JsonWriter many;
  many.begin_object().key("items").begin_array();
  for (int i = 0; i < 2000; ++i) many.value("item-" + std::to_string(i));
  many.end_array().end_object();
  REQUIRE(w.svc->audit().record(admin, "test.many", "thing", "id-2", admin.organization_id, many.str()).ok());
  auto dropped = audit_of(w, "test.many");
  REQUIRE(dropped.size() == 1);
  CHECK(dropped[0].details_json.find("details_dropped") != std::string::npos);
}

TEST_CASE("audit retention deletes entries older than the window, in batches, and only for the system") {
  World w;
  auto a = w.org("org-retention");
  auto admin = w.user_in(a, "keeper", "admin");
  REQUIRE(w.storage->transact([&](StorageSession& s) -> Result<void> {
    for (int i = 0; i < 5'001; ++i) {  // two batches of the prune
      AuditEntry e;
      e.actor_kind = "system";
      e.action = "test.old";
      e.at_ms = w.clock->now_ms() - std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::hours(24 * 400)).count();
      VC_TRY(s.audit().append(e));
    }
    return {};
  }).ok());
  REQUIRE(w.svc->audit().record(admin, "test.recent", "thing", "id", a.id).ok());
  CHECK(w.svc->audit().prune(admin, std::chrono::hours(24 * 365)).error().code == ErrorCode::forbidden);
  auto n = w.svc->audit().prune(Actor::system(), std::chrono::hours(24 * 365));
  REQUIRE(n.ok());
  CHECK(*n == 5'001);
  CHECK(audit_of(w, "test.old").empty());
  CHECK(audit_of(w, "test.recent").size() == 1);
  CHECK(*w.svc->audit().prune(Actor::system(), std::chrono::milliseconds(0)) == 0);  // 0 keeps everything
  CHECK(audit_of(w, "test.recent").size() == 1);
}

TEST_CASE("API keys authenticate with their scopes until revoked or expired") {
  World w;
  auto a = w.org("org-keys");
  auto admin = w.user_in(a, "admin_k", "admin");
  auto created = w.svc->api_keys().create(admin, {"kiosk", {"read", "control"}, std::nullopt, ""});
  REQUIRE(created.ok());
  CHECK(created->secret.starts_with("vck_"));
  CHECK(created->key.key_hash != created->secret);
  auto actor = w.svc->auth().authenticate(created->secret, "127.0.0.1");
  REQUIRE(actor.ok());
  CHECK(actor->kind == Actor::Kind::api_key);
  CHECK(allows(*actor, Permission::control));
  CHECK_FALSE(allows(*actor, Permission::manage_content));
  CHECK_FALSE(allows(*actor, Permission::manage_users));
  REQUIRE(w.svc->api_keys().revoke(admin, created->key.id).ok());
  CHECK_FALSE(w.svc->auth().authenticate(created->secret, "127.0.0.1").ok());

  auto expiring = w.svc->api_keys().create(admin, {"short", {"read"}, w.clock->now_ms() + 1000, ""});
  REQUIRE(expiring.ok());
  CHECK(w.svc->auth().authenticate(expiring->secret, "127.0.0.1").ok());
  w.clock->advance(std::chrono::seconds(2));
  CHECK_FALSE(w.svc->auth().authenticate(expiring->secret, "127.0.0.1").ok());
  CHECK(w.svc->api_keys().create(admin, {"bad", {"admin"}, std::nullopt, ""}).error().code == ErrorCode::invalid);
}

TEST_CASE("the API request rate is limited per actor") {
  World w;
  ServiceOptions o;
  o.password_hash = vc::test::kCheapHash;
  o.clock = w.clock;
  o.api_requests_per_minute = 3;
  auto svc = Services::create({w.storage.get(), w.limiter.get(), w.blobs.get(), w.cache.get()}, o);
  REQUIRE(svc.ok());
  auto t = (*svc)->auth().login("admin", "Super-Password-1", "127.0.0.1");
  REQUIRE(t.ok());
  for (int i = 0; i < 3; ++i) CHECK((*svc)->auth().authenticate(t->access_token, "127.0.0.1").ok());
  auto limited = (*svc)->auth().authenticate(t->access_token, "127.0.0.1");
  REQUIRE_FALSE(limited.ok());
  CHECK(limited.error().code == ErrorCode::rate_limited);
  CHECK(limited.error().retry_after_s >= 1);
}

TEST_CASE("the audit log records who did what, and admins see only their organisation") {
  World w;
  auto a = w.org("org-audit-a"), b = w.org("org-audit-b");
  auto admin_a = w.user_in(a, "auditor_a", "admin");
  w.user_in(b, "auditor_b", "admin");
  (void)w.svc->auth().login("auditor_a", "not-the-password-1", "192.0.2.7");
  auto created = w.svc->users().create(admin_a, {"made_by_a", "Password-made-1", "viewer", ""});
  REQUIRE(created.ok());

  auto mine = w.svc->audit().list(admin_a, by_action("user.create"));
  REQUIRE(mine.ok());
  bool found = false;
  for (const auto& e : mine->items) {
    CHECK(e.organization_id == a.id);
    if (e.object_id == created->id) {
      found = true;
      CHECK(e.actor_kind == "user");
      CHECK(e.actor_id == admin_a.id);
    }
  }
  CHECK(found);
  auto failed = w.svc->audit().list(admin_a, by_action("auth.login_failed"));
  REQUIRE(failed.ok());
  REQUIRE(failed->items.size() == 1);
  CHECK(failed->items[0].address == "192.0.2.7");
  auto all = w.svc->audit().list(w.super, by_action("organization.create"));
  REQUIRE(all.ok());
  CHECK(all->items.size() == 2);

  auto page1 = w.svc->audit().list(w.super, page_of(2));
  REQUIRE(page1.ok());
  CHECK(page1->items.size() == 2);
  REQUIRE_FALSE(page1->next_cursor.empty());
  auto page2 = w.svc->audit().list(w.super, page_of(2, page1->next_cursor));
  REQUIRE(page2.ok());
  CHECK(page2->items.front().id < page1->items.back().id);
  auto viewer = w.user_in(a, "viewer_audit", "viewer");
  CHECK(w.svc->audit().list(viewer, {}).error().code == ErrorCode::forbidden);
}

TEST_CASE("an installation prunes the audit log by itself, a second after it opens") {
  test::TempDir dir;
  InstallationOptions o;
  o.password_hash = vc::test::kCheapHash;
  o.data_dir = dir.path().string();
  o.admin_password = "Retention-pass-1";
  o.run_pipeline = false;
  o.drive_schedules = false;
  o.run_webhooks = false;
  o.audit_retention = std::chrono::hours(24);
  auto inst = Installation::open(o);
  REQUIRE_MESSAGE(inst.ok(), (inst.ok() ? "" : inst.error().message));
  const auto now = (*inst)->clock()->now_ms();
  REQUIRE((*inst)->storage().transact([&](StorageSession& s) -> Result<void> {
    AuditEntry old;
    old.actor_kind = "system";
    old.action = "test.old";
    old.at_ms = now - 2 * 24 * 3600 * 1000LL;
    VC_TRY(s.audit().append(old));
    AuditEntry fresh = old;
    fresh.action = "test.fresh";
    fresh.at_ms = now;
    return s.audit().append(fresh);
  }).ok());
  auto count = [&](const char* action) {
    std::size_t n = 0;
    (void)(*inst)->storage().read([&](StorageSession& s) -> Result<void> {
      AuditQuery q;
      q.action = action;
      auto r = s.audit().list(q);
      if (r) n = r->size();
      return {};
    });
    return n;
  };
  for (int i = 0; i < 100 && count("test.old") > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(count("test.old") == 0);
  CHECK(count("test.fresh") == 1);
}
