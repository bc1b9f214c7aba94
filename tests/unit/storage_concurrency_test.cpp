#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "test_support.hpp"
#include "videocontrol/clock.hpp"
#include "videocontrol/id.hpp"
#include "videocontrol/storage.hpp"

using namespace vc;

TEST_CASE("concurrent write transactions from many threads all commit") {
  test::TempDir dir;
  auto storage = test::migrated_storage(dir.file("concurrent.db"), 4);
  ManualClock clock;
  constexpr int kThreads = 8, kPerThread = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        Organization o;
        o.id = new_id(clock);
        o.name = "org";
        o.slug = "org-" + std::to_string(t) + "-" + std::to_string(i);
        auto r = storage->transact([&](StorageSession& s) { return s.organizations().insert(o); });
        if (!r.ok()) failures.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(failures.load() == 0);
  std::int64_t n = 0;
  REQUIRE(storage->read([&](StorageSession& s) -> Result<void> {
    auto c = s.organizations().count();
    if (!c) return std::move(c).error();
    n = *c;
    return {};
  }).ok());
  CHECK(n == kThreads * kPerThread);
}

TEST_CASE("a transaction whose callback fails leaves nothing behind") {
  test::TempDir dir;
  auto storage = test::migrated_storage(dir.file("rollback.db"));
  ManualClock clock;
  Organization o;
  o.id = new_id(clock);
  o.name = "gone";
  o.slug = "gone";
  auto r = storage->transact([&](StorageSession& s) -> Result<void> {
    VC_TRY(s.organizations().insert(o));
    return make_error(ErrorCode::conflict, "changed my mind");
  });
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "changed my mind");
  Result<std::optional<Organization>> found = std::optional<Organization>{};
  REQUIRE(storage->read([&](StorageSession& s) -> Result<void> {
    found = s.organizations().find(o.id);
    return {};
  }).ok());
  REQUIRE(found.ok());
  CHECK_FALSE(found->has_value());
}

TEST_CASE("a throwing callback is rolled back and reported, not propagated") {
  test::TempDir dir;
  auto storage = test::migrated_storage(dir.file("throw.db"));
  auto r = storage->transact([&](StorageSession&) -> Result<void> { throw std::runtime_error("boom"); });
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("boom") != std::string::npos);
  CHECK(storage->ping().ok());  // the connection went back to the pool usable
}

TEST_CASE("a duplicate unique key is a conflict") {
  test::TempDir dir;
  auto storage = test::migrated_storage(dir.file("dup.db"));
  ManualClock clock;
  Organization a;
  a.id = new_id(clock);
  a.name = "A";
  a.slug = "same";
  Organization b = a;
  b.id = new_id(clock);
  REQUIRE(storage->transact([&](StorageSession& s) { return s.organizations().insert(a); }).ok());
  auto r = storage->transact([&](StorageSession& s) { return s.organizations().insert(b); });
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::conflict);
}
