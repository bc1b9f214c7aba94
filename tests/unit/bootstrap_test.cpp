#include <doctest/doctest.h>

#include <thread>
#include <vector>

#include "test_support.hpp"
#include "videocontrol/actor.hpp"
#include "videocontrol/bootstrap.hpp"
#include "videocontrol/clock.hpp"
#include "videocontrol/password.hpp"

using namespace vc;

namespace {
std::optional<User> find_admin(Storage& storage) {
  std::optional<User> out;
  REQUIRE(storage.read([&](StorageSession& s) -> Result<void> {
    auto u = s.users().find_by_username("admin");
    if (!u) return std::move(u).error();
    out = *u;
    return {};
  }).ok());
  return out;
}
}  // namespace

TEST_CASE("first run creates the default organisation and a superadmin with the given password") {
  test::TempDir dir;
  auto storage = test::migrated_storage(dir.file("boot.db"));
  ManualClock clock;
  auto r = bootstrap_first_run(*storage, clock, "Given-Password-42");
  REQUIRE(r.ok());
  REQUIRE(r->has_value());
  CHECK((*r)->admin_username == "admin");
  CHECK((*r)->generated_password.empty());
  auto admin = find_admin(*storage);
  REQUIRE(admin.has_value());
  CHECK(admin->role == Role::superadmin);
  CHECK(verify_password("Given-Password-42", admin->password_hash));
  CHECK_FALSE(verify_password("wrong", admin->password_hash));
  CHECK(admin->password_hash.find("Given-Password-42") == std::string::npos);
}

TEST_CASE("first run without a password generates a strong one, usable once printed") {
  test::TempDir dir;
  auto storage = test::migrated_storage(dir.file("gen.db"));
  ManualClock clock;
  auto r = bootstrap_first_run(*storage, clock, "");
  REQUIRE(r.ok());
  REQUIRE(r->has_value());
  const auto& pw = (*r)->generated_password;
  CHECK(pw.size() >= 16);
  CHECK(check_password_strength(pw, "admin").ok());
  auto admin = find_admin(*storage);
  REQUIRE(admin.has_value());
  CHECK(verify_password(pw, admin->password_hash));
}

TEST_CASE("a second start changes nothing and prints no password") {
  test::TempDir dir;
  auto storage = test::migrated_storage(dir.file("twice.db"));
  ManualClock clock;
  REQUIRE(bootstrap_first_run(*storage, clock, "").ok());
  auto hash_before = find_admin(*storage)->password_hash;
  auto again = bootstrap_first_run(*storage, clock, "Another-Password-9");
  REQUIRE(again.ok());
  CHECK_FALSE(again->has_value());
  CHECK(find_admin(*storage)->password_hash == hash_before);
}

TEST_CASE("a weak ADMIN_PASSWORD is refused and nothing is created") {
  test::TempDir dir;
  auto storage = test::migrated_storage(dir.file("weak.db"));
  ManualClock clock;
  auto r = bootstrap_first_run(*storage, clock, "admin");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::invalid);
  CHECK(r.error().message.find("ADMIN_PASSWORD") != std::string::npos);
  CHECK_FALSE(find_admin(*storage).has_value());
}

TEST_CASE("concurrent first runs create exactly one admin") {
  test::TempDir dir;
  auto storage = test::migrated_storage(dir.file("race.db"), 4);
  ManualClock clock;
  std::vector<std::thread> threads;
  std::atomic<int> created{0}, failed{0};
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      auto r = bootstrap_first_run(*storage, clock, "Race-Password-123");
      if (!r.ok()) failed++;
      else if (r->has_value()) created++;
    });
  for (auto& t : threads) t.join();
  CHECK(failed.load() == 0);
  CHECK(created.load() == 1);
  std::int64_t users = 0, orgs = 0, audits = 0;
  REQUIRE(storage->read([&](StorageSession& s) -> Result<void> {
    users = *s.users().count();
    orgs = *s.organizations().count();
    audits = *s.audit().count();
    return {};
  }).ok());
  CHECK(users == 1);
  CHECK(orgs == 1);
  CHECK(audits == 1);
}
