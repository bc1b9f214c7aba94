// Tests for the in-process token-bucket RateLimiter (make_memory_rate_limiter).
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "videocontrol/clock.hpp"
#include "videocontrol/rate_limiter.hpp"

using namespace vc;
using namespace std::chrono_literals;

namespace {

struct Fixture {
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  std::unique_ptr<RateLimiter> limiter = make_memory_rate_limiter(clock);
};

}  // namespace

TEST_CASE_FIXTURE(Fixture, "a key gets exactly `limit` requests, then is told when the next one is due") {
  for (std::int64_t i = 0; i < 5; ++i) {
    auto d = limiter->check("login:1.2.3.4", 5, 1000ms);
    CHECK(d.allowed);
    CHECK(d.remaining == 4 - i);
    CHECK(d.retry_after_ms == 0);
  }
  auto denied = limiter->check("login:1.2.3.4", 5, 1000ms);
  CHECK_FALSE(denied.allowed);
  CHECK(denied.remaining == 0);
  // One token comes back every window/limit = 200 ms.
  CHECK(denied.retry_after_ms == 200);
  // A refused request costs nothing: asking again right away gives the same answer.
  auto again = limiter->check("login:1.2.3.4", 5, 1000ms);
  CHECK_FALSE(again.allowed);
  CHECK(again.retry_after_ms == 200);
}

TEST_CASE_FIXTURE(Fixture, "tokens refill continuously and retrying at retry_after succeeds") {
  for (int i = 0; i < 3; ++i) REQUIRE(limiter->check("k", 3, 1000ms).allowed);
  auto denied = limiter->check("k", 3, 1000ms);
  REQUIRE_FALSE(denied.allowed);
  // 1000/3 ms per token is not a whole number: the wait rounds up, never down.
  CHECK(denied.retry_after_ms == 334);

  clock->advance(333ms);
  auto early = limiter->check("k", 3, 1000ms);
  CHECK_FALSE(early.allowed);
  CHECK(early.retry_after_ms == 1);
  clock->advance(1ms);
  CHECK(limiter->check("k", 3, 1000ms).allowed);

  // Fractions carry over between calls: the third of a token left over at 334 ms makes the next
  // tokens due at exactly 667 ms and 1000 ms, three per window as promised.
  clock->advance(333ms);  // t = 667
  CHECK(limiter->check("k", 3, 1000ms).allowed);
  clock->advance(332ms);  // t = 999
  CHECK_FALSE(limiter->check("k", 3, 1000ms).allowed);
  clock->advance(1ms);  // t = 1000
  CHECK(limiter->check("k", 3, 1000ms).allowed);
  CHECK_FALSE(limiter->check("k", 3, 1000ms).allowed);
}

TEST_CASE_FIXTURE(Fixture, "a bucket never holds more than `limit` tokens however long it idles") {
  for (int i = 0; i < 10; ++i) REQUIRE(limiter->check("k", 10, 60s).allowed);
  clock->advance(24h);
  auto d = limiter->check("k", 10, 60s);
  CHECK(d.allowed);
  CHECK(d.remaining == 9);
  for (int i = 0; i < 9; ++i) REQUIRE(limiter->check("k", 10, 60s).allowed);
  CHECK_FALSE(limiter->check("k", 10, 60s).allowed);
}

TEST_CASE_FIXTURE(Fixture, "keys have independent buckets") {
  for (int i = 0; i < 2; ++i) REQUIRE(limiter->check("user:a", 2, 1s).allowed);
  CHECK_FALSE(limiter->check("user:a", 2, 1s).allowed);
  CHECK(limiter->check("user:b", 2, 1s).allowed);
  CHECK(limiter->check("user:b", 2, 1s).remaining == 0);
  CHECK(limiter->check("", 2, 1s).allowed);  // the empty key is a key like any other
  CHECK_FALSE(limiter->check("user:a", 2, 1s).allowed);
}

TEST_CASE_FIXTURE(Fixture, "a cost of 0 reports the tokens left without taking any") {
  auto fresh = limiter->check("k", 4, 1s, 0);
  CHECK(fresh.allowed);
  CHECK(fresh.remaining == 4);
  REQUIRE(limiter->check("k", 4, 1s).allowed);
  for (int i = 0; i < 10; ++i) {
    auto peek = limiter->check("k", 4, 1s, 0);
    CHECK(peek.allowed);
    CHECK(peek.remaining == 3);
  }
  for (int i = 0; i < 3; ++i) REQUIRE(limiter->check("k", 4, 1s).allowed);
  auto empty = limiter->check("k", 4, 1s, 0);
  CHECK(empty.allowed);
  CHECK(empty.remaining == 0);
  CHECK_FALSE(limiter->check("k", 4, 1s).allowed);
}

TEST_CASE_FIXTURE(Fixture, "a request costing several tokens waits until all of them are back") {
  REQUIRE(limiter->check("upload", 10, 10s, 8).allowed);
  auto d = limiter->check("upload", 10, 10s, 5);
  CHECK_FALSE(d.allowed);
  CHECK(d.remaining == 2);
  CHECK(d.retry_after_ms == 3000);  // 3 missing tokens at one per second
  // The refused request took nothing, so a cheaper one still fits.
  CHECK(limiter->check("upload", 10, 10s, 2).allowed);
  clock->advance(5000ms);
  auto later = limiter->check("upload", 10, 10s, 5);
  CHECK(later.allowed);
  CHECK(later.remaining == 0);
}

TEST_CASE_FIXTURE(Fixture, "reset gives a key a full bucket again") {
  for (int i = 0; i < 3; ++i) REQUIRE(limiter->check("k", 3, 1h).allowed);
  REQUIRE_FALSE(limiter->check("k", 3, 1h).allowed);
  limiter->reset("k");
  auto d = limiter->check("k", 3, 1h);
  CHECK(d.allowed);
  CHECK(d.remaining == 2);
  limiter->reset("never-seen");  // forgetting an unknown key is harmless
  CHECK(limiter->check("never-seen", 3, 1h).remaining == 2);
}

TEST_CASE_FIXTURE(Fixture, "a clock that steps back grants no extra tokens") {
  for (int i = 0; i < 2; ++i) REQUIRE(limiter->check("k", 2, 1s).allowed);
  clock->advance(-10s);
  CHECK_FALSE(limiter->check("k", 2, 1s).allowed);
  clock->advance(10s);
  CHECK_FALSE(limiter->check("k", 2, 1s).allowed);
  clock->advance(500ms);
  CHECK(limiter->check("k", 2, 1s).allowed);
}

TEST_CASE_FIXTURE(Fixture, "changing a key's limit keeps the tokens it has left") {
  for (int i = 0; i < 8; ++i) REQUIRE(limiter->check("k", 10, 1s).allowed);
  // 2 tokens left; under a smaller limit the bucket still holds 2, not a fresh 5.
  auto d = limiter->check("k", 5, 2s);
  CHECK(d.allowed);
  CHECK(d.remaining == 1);
  CHECK(limiter->check("k", 5, 2s).allowed);
  auto denied = limiter->check("k", 5, 2s);
  CHECK_FALSE(denied.allowed);
  CHECK(denied.retry_after_ms == 400);
  // Tokens above a lowered limit are cut to the new limit.
  CHECK(limiter->check("full", 100, 1s).remaining == 99);
  CHECK(limiter->check("full", 3, 1s).remaining == 2);
}

TEST_CASE_FIXTURE(Fixture, "sweeping idle buckets never forgets one that is still refilling") {
  for (int i = 0; i < 3; ++i) REQUIRE(limiter->check("hot", 3, 1h).allowed);
  // Enough new keys to make every shard sweep several times; half of them refill completely.
  for (int i = 0; i < 50'000; ++i) {
    REQUIRE(limiter->check("ip:" + std::to_string(i), i % 2 ? 1000 : 1, 1s).allowed);
    if (i % 1000 == 999) clock->advance(1ms);
  }
  auto d = limiter->check("hot", 3, 1h);
  CHECK_FALSE(d.allowed);
  CHECK(d.remaining == 0);
  // A bucket that was dropped because it was full behaves exactly like the full bucket it was.
  clock->advance(1s);
  auto dropped = limiter->check("ip:0", 1, 1s);
  CHECK(dropped.allowed);
  CHECK(dropped.remaining == 0);
}

TEST_CASE_FIXTURE(Fixture, "arguments outside the contract are refused rather than unlimited") {
  CHECK_FALSE(limiter->check("k", 0, 1s).allowed);
  CHECK_FALSE(limiter->check("k", -1, 1s).allowed);
  CHECK_FALSE(limiter->check("k", 5, 0ms).allowed);
  CHECK_FALSE(limiter->check("k", 5, 1s, 6).allowed);
  CHECK(limiter->check("k", 5, 1s, 6).retry_after_ms > 0);
  // Huge limits and windows do not overflow.
  const std::int64_t big = std::numeric_limits<std::int64_t>::max();
  auto d = limiter->check("huge", big, std::chrono::milliseconds(big), big - 1);
  CHECK(d.allowed);
  CHECK(d.remaining == 1);
  auto rest = limiter->check("huge", big, std::chrono::milliseconds(big), 2);
  CHECK_FALSE(rest.allowed);
  CHECK(rest.retry_after_ms == 1);
}

TEST_CASE("a limiter without a clock uses real time") {
  auto limiter = make_memory_rate_limiter(nullptr);
  CHECK(limiter->check("k", 1, 1h).allowed);
  CHECK_FALSE(limiter->check("k", 1, 1h).allowed);
}

TEST_CASE_FIXTURE(Fixture, "many threads on one key are allowed exactly `limit` requests while time stands still") {
  constexpr int threads = 8;
  constexpr int attempts = 500;
  constexpr std::int64_t limit = 1000;
  std::atomic<int> allowed{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      while (!go.load()) std::this_thread::yield();
      for (int i = 0; i < attempts; ++i) {
        // Other keys in between so the shards' sweeps run concurrently too.
        (void)limiter->check("noise:" + std::to_string(i), 10, 1s);
        if (limiter->check("shared", limit, 1min).allowed) allowed.fetch_add(1);
      }
    });
  }
  go.store(true);
  for (auto& th : pool) th.join();
  CHECK(allowed.load() == limit);
  CHECK(limiter->check("shared", limit, 1min, 0).remaining == 0);
}
