// One behaviour suite for the Cache, RateLimiter, EventBus and Presence backends: it runs against
// the in-process ones always and, when VC_TEST_REDIS_URL names a Redis server (ctest starts a
// throwaway one, scripts/redis_test_server.sh), against the Redis ones too — same test bodies.
//
// "Two instances" are two objects on Redis (sharing a fresh key prefix, as two servers would) and
// one shared object in-process (one process is one instance), so cross-instance promises are
// checked by the same code on both.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "videocontrol/cache.hpp"
#include "videocontrol/clock.hpp"
#include "videocontrol/event_bus.hpp"
#include "videocontrol/presence.hpp"
#include "videocontrol/rate_limiter.hpp"
#include "videocontrol/redis.hpp"

using namespace vc;
using namespace std::chrono_literals;

namespace {

const char* test_redis_url() {
  const char* url = std::getenv("VC_TEST_REDIS_URL");
  return url && *url ? url : nullptr;
}

template <class T>
std::shared_ptr<T> unwrap(Result<std::unique_ptr<T>> r) {
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  return std::shared_ptr<T>(std::move(*r));
}

template <class T>
using Pair = std::pair<std::shared_ptr<T>, std::shared_ptr<T>>;

// A backend family under test and the means to make two instances' handles onto it.
class Backend {
 public:
  explicit Backend(bool redis) : redis_(redis) {
    if (!redis_) return;
    static std::atomic<int> counter{0};
    options_.url = test_redis_url();
    // A fresh prefix per test: no state from earlier tests or runs leaks in.
    options_.key_prefix = "vctest:" + std::to_string(::getpid()) + ":" + std::to_string(counter++) + ":";
  }

  const char* name() const { return redis_ ? "redis" : "memory"; }
  bool redis() const { return redis_; }
  std::shared_ptr<ManualClock> clock() const { return clock_; }

  // Time passes: the injected clock moves, and Redis (whose TTLs run on its own clock) really waits.
  void advance(std::chrono::milliseconds d) const {
    clock_->advance(d);
    if (redis_) std::this_thread::sleep_for(d);
  }

  Pair<Cache> caches() const {
    if (!redis_) {
      std::shared_ptr<Cache> c = make_memory_cache(clock_);
      return {c, c};
    }
    auto a = unwrap(make_redis_cache(options_, clock_));
    auto b = unwrap(make_redis_cache(options_, clock_));
    REQUIRE(a->healthy());
    return {a, b};
  }

  Pair<RateLimiter> limiters() const {
    if (!redis_) {
      std::shared_ptr<RateLimiter> l = make_memory_rate_limiter(clock_);
      return {l, l};
    }
    auto a = unwrap(make_redis_rate_limiter(options_, clock_));
    auto b = unwrap(make_redis_rate_limiter(options_, clock_));
    REQUIRE(a->healthy());
    return {a, b};
  }

  Pair<EventBus> buses() const {
    if (!redis_) {
      std::shared_ptr<EventBus> bus = make_local_event_bus();
      return {bus, bus};
    }
    auto a = unwrap(make_redis_event_bus(options_));
    auto b = unwrap(make_redis_event_bus(options_));
    REQUIRE(a->healthy());
    REQUIRE(b->healthy());
    return {a, b};
  }

  Pair<Presence> presences() const {
    if (!redis_) {
      std::shared_ptr<Presence> p = make_local_presence();
      return {p, p};
    }
    auto a = unwrap(make_redis_presence(options_));
    auto b = unwrap(make_redis_presence(options_));
    REQUIRE(a->healthy());
    return {a, b};
  }

 private:
  bool redis_;
  std::shared_ptr<ManualClock> clock_ = std::make_shared<ManualClock>();
  RedisOptions options_;
};

// Runs `body` once per available backend, naming the backend in every failure.
template <class F>
void for_each_backend(F&& body) {
  std::vector<bool> kinds{false};
  if (test_redis_url()) kinds.push_back(true);
  for (bool redis : kinds) {
    Backend backend(redis);
    INFO("backend: " << backend.name());
    body(backend);
  }
}

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout = 3s) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

// Collects what a handler saw, from whichever thread runs it.
class Recorder {
 public:
  EventBus::Handler handler() {
    return [this](std::string_view channel, std::string_view message) {
      std::lock_guard lock(mu_);
      seen_.push_back(std::string(channel) + "=" + std::string(message));
    };
  }
  std::vector<std::string> seen() const {
    std::lock_guard lock(mu_);
    return seen_;
  }
  std::size_t count() const { return seen().size(); }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> seen_;
};

// Long enough for a duplicate to show up on Redis if there were one.
void settle(const Backend& b) {
  if (b.redis()) std::this_thread::sleep_for(200ms);
}

}  // namespace

TEST_SUITE("backend_conformance") {

// --- Cache -------------------------------------------------------------------------------------

TEST_CASE("a cached value is served until its TTL has passed, then it is a miss") {
  for_each_backend([](const Backend& b) {
    auto [cache, other] = b.caches();
    cache->put("k", "v1", 400ms);
    CHECK(cache->get("k") == std::optional<std::string>("v1"));
    b.advance(100ms);
    CHECK(cache->get("k") == std::optional<std::string>("v1"));
    b.advance(400ms);
    CHECK_FALSE(cache->get("k").has_value());
  });
}

TEST_CASE("put replaces a value and a never-written key is a miss") {
  for_each_backend([](const Backend& b) {
    auto [cache, other] = b.caches();
    CHECK_FALSE(cache->get("absent").has_value());
    cache->put("k", "first", 60s);
    cache->put("k", std::string("se\0cond\n", 8), 60s);  // values are bytes, not C strings
    CHECK(cache->get("k") == std::optional<std::string>(std::string("se\0cond\n", 8)));
  });
}

TEST_CASE("hits and misses are counted") {
  for_each_backend([](const Backend& b) {
    auto [cache, other] = b.caches();
    const CacheStats before = cache->stats();
    cache->put("k", "v", 60s);
    (void)cache->get("k");
    (void)cache->get("k");
    (void)cache->get("nope");
    const CacheStats after = cache->stats();
    CHECK(after.hits - before.hits == 2);
    CHECK(after.misses - before.misses == 1);
  });
}

TEST_CASE("bumping a namespace makes its old keys unreachable, on every instance, and only that namespace") {
  for_each_backend([](const Backend& b) {
    auto [a, other] = b.caches();
    const std::uint64_t g0 = a->generation("devices:org-1");
    const std::uint64_t media0 = a->generation("media:org-1");
    CHECK(other->generation("devices:org-1") == g0);
    const auto key = [](std::uint64_t g) { return "devices:org-1:" + std::to_string(g) + ":list"; };
    a->put(key(g0), "old list", 60s);
    CHECK(other->get(key(other->generation("devices:org-1"))) == std::optional<std::string>("old list"));

    other->bump("devices:org-1");  // a mutation on the other instance
    const std::uint64_t g1 = a->generation("devices:org-1");
    CHECK(g1 != g0);
    CHECK(other->generation("devices:org-1") == g1);
    CHECK_FALSE(a->get(key(g1)).has_value());
    CHECK(a->generation("media:org-1") == media0);
  });
}

// --- RateLimiter -------------------------------------------------------------------------------

TEST_CASE("a bucket allows `limit` requests, then says when the next one is due, and refills") {
  for_each_backend([](const Backend& b) {
    auto [limiter, other] = b.limiters();
    for (int i = 0; i < 3; ++i) {
      const auto d = limiter->check("login:1.2.3.4", 3, 3000ms);
      CHECK(d.allowed);
      CHECK(d.remaining == 2 - i);
    }
    const auto denied = limiter->check("login:1.2.3.4", 3, 3000ms);
    CHECK_FALSE(denied.allowed);
    CHECK(denied.remaining == 0);
    CHECK(denied.retry_after_ms == 1000);

    b.clock()->advance(999ms);
    CHECK_FALSE(limiter->check("login:1.2.3.4", 3, 3000ms).allowed);
    b.clock()->advance(1ms);
    CHECK(limiter->check("login:1.2.3.4", 3, 3000ms).allowed);
    b.clock()->advance(3000ms);
    CHECK(limiter->check("login:1.2.3.4", 3, 3000ms, 0).remaining == 3);  // full again, never above limit
  });
}

TEST_CASE("cost 0 only looks, and a look at an unknown key sees a full bucket") {
  for_each_backend([](const Backend& b) {
    auto [limiter, other] = b.limiters();
    const auto fresh = limiter->check("peek", 5, 1000ms, 0);
    CHECK(fresh.allowed);
    CHECK(fresh.remaining == 5);
    CHECK(limiter->check("peek", 5, 1000ms, 2).remaining == 3);
    CHECK(limiter->check("peek", 5, 1000ms, 0).remaining == 3);
    CHECK(limiter->check("peek", 5, 1000ms, 0).remaining == 3);
    const auto too_much = limiter->check("peek", 5, 1000ms, 4);
    CHECK_FALSE(too_much.allowed);
    CHECK(too_much.retry_after_ms == 200);  // one token per 200 ms
    CHECK(limiter->check("peek", 5, 1000ms, 0).remaining == 3);  // a refused take takes nothing
  });
}

TEST_CASE("a negative cost gives tokens back, up to the limit, on every instance") {
  for_each_backend([](const Backend& b) {
    auto [a, other] = b.limiters();
    CHECK(a->check("give", 3, 60s, -1).remaining == 3);  // unknown key: nothing to give back
    CHECK(a->check("give", 3, 60s, -1).allowed);
    CHECK(a->check("give", 3, 60s, 1).remaining == 2);
    CHECK(a->check("give", 3, 60s, 1).remaining == 1);
    CHECK(other->check("give", 3, 60s, -1).remaining == 2);  // the shared bucket
    CHECK(a->check("give", 3, 60s, -3).remaining == 3);      // capped at the limit
    CHECK(a->check("give", 3, 60s, 0).remaining == 3);
    CHECK_FALSE(a->check("give", 3, 60s, -4).allowed);       // below -limit: broken, fails closed
  });
}

TEST_CASE("keys have independent buckets, shared by all instances, and reset refills one") {
  for_each_backend([](const Backend& b) {
    auto [a, other] = b.limiters();
    CHECK(a->check("k1", 2, 60s).allowed);
    CHECK(other->check("k1", 2, 60s).allowed);  // the same bucket, seen from the other instance
    CHECK_FALSE(a->check("k1", 2, 60s).allowed);
    CHECK(a->check("k2", 2, 60s).allowed);
    CHECK(a->check("k2", 2, 60s).remaining == 0);
    other->reset("k1");
    CHECK(a->check("k1", 2, 60s, 0).remaining == 2);
    CHECK(a->check("k2", 2, 60s, 0).remaining == 0);
  });
}

TEST_CASE("concurrent takes from several threads on two instances never exceed the limit") {
  for_each_backend([](const Backend& b) {
    auto [a, other] = b.limiters();
    std::atomic<int> allowed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&, t] {
        RateLimiter& limiter = t % 2 ? *other : *a;
        for (int i = 0; i < 40; ++i)
          if (limiter.check("api-key:1", 100, 3600s).allowed) ++allowed;
      });
    for (auto& t : threads) t.join();
    CHECK(allowed.load() == 100);
  });
}

TEST_CASE("broken rate-limit preconditions fail closed") {
  for_each_backend([](const Backend& b) {
    auto [limiter, other] = b.limiters();
    CHECK_FALSE(limiter->check("x", 0, 1000ms).allowed);
    CHECK_FALSE(limiter->check("x", 5, 0ms).allowed);
    CHECK_FALSE(limiter->check("x", 5, 1000ms, 6).allowed);
  });
}

// --- EventBus ----------------------------------------------------------------------------------

TEST_CASE("a message reaches every subscriber on every instance exactly once, in publish order") {
  for_each_backend([](const Backend& b) {
    Recorder a1, a2, b1, unrelated;  // declared first: they outlive the buses' threads
    auto [bus_a, bus_b] = b.buses();
    bus_a->subscribe("device:dev-1", a1.handler());
    bus_a->subscribe("device:dev-1", a2.handler());
    bus_b->subscribe("device:dev-1", b1.handler());
    bus_b->subscribe("device:dev-2", unrelated.handler());

    CHECK(bus_a->publish("device:dev-1", "m1"));
    CHECK(bus_a->publish("device:dev-1", "m2"));
    CHECK(bus_a->publish("device:dev-1", "m3"));
    CHECK(eventually([&] { return a1.count() >= 3 && a2.count() >= 3 && b1.count() >= 3; }));
    CHECK(bus_b->publish("device:dev-1", "from-b"));
    CHECK(eventually([&] { return a1.count() >= 4 && a2.count() >= 4 && b1.count() >= 4; }));
    settle(b);

    const std::vector<std::string> expected{"device:dev-1=m1", "device:dev-1=m2", "device:dev-1=m3",
                                            "device:dev-1=from-b"};
    CHECK(a1.seen() == expected);
    CHECK(a2.seen() == expected);
    CHECK(b1.seen() == expected);
    CHECK(unrelated.count() == 0);
  });
}

TEST_CASE("bus messages are bytes: separators, newlines and NULs arrive intact") {
  for_each_backend([](const Backend& b) {
    Recorder got;
    auto [bus_a, bus_b] = b.buses();
    bus_b->subscribe("raw", got.handler());
    // Looks like another instance's tag, then a NUL, a format directive and our member separator.
    std::string tricky = "vc1 0123456789abcdef\n";
    tricky += '\0';
    tricky += "%s\x1f end";
    CHECK(bus_a->publish("raw", tricky));
    CHECK(eventually([&] { return got.count() >= 1; }));
    settle(b);
    REQUIRE(got.count() == 1);
    CHECK(got.seen()[0] == "raw=" + tricky);
  });
}

// --- Presence ----------------------------------------------------------------------------------

TEST_CASE("online lists agree on every instance and a device stays online while any instance holds it") {
  for_each_backend([](const Backend& b) {
    auto [pa, pb] = b.presences();
    const std::int64_t now = b.clock()->now_ms();
    pa->heartbeat("org-1", "dev-1", "instance-a", now + 30'000);
    pb->heartbeat("org-1", "dev-1", "instance-b", now + 30'000);
    pb->heartbeat("org-1", "dev-2", "instance-b", now + 30'000);
    pb->heartbeat("org-2", "dev-9", "instance-b", now + 30'000);

    const std::vector<std::string> both{"dev-1", "dev-2"};
    CHECK(pa->online("org-1", now) == both);
    CHECK(pb->online("org-1", now) == both);
    CHECK(pa->online("org-2", now) == std::vector<std::string>{"dev-9"});
    CHECK(pa->online("org-3", now).empty());

    pa->remove("org-1", "dev-1", "instance-a");  // instance b still holds dev-1
    CHECK(pa->is_online("org-1", "dev-1", now));
    CHECK(pb->online("org-1", now) == both);
    pb->remove("org-1", "dev-1", "instance-b");
    CHECK_FALSE(pa->is_online("org-1", "dev-1", now));
    CHECK(pa->online("org-1", now) == std::vector<std::string>{"dev-2"});
    CHECK_FALSE(pa->is_online("org-2", "dev-1", now));
  });
}

TEST_CASE("a presence entry counts until its expiry and not at it; a heartbeat extends it") {
  for_each_backend([](const Backend& b) {
    auto [pa, pb] = b.presences();
    const std::int64_t now = b.clock()->now_ms();
    pa->heartbeat("org-1", "dev-1", "instance-a", now + 10'000);
    pb->heartbeat("org-1", "dev-2", "instance-b", now + 20'000);
    CHECK(pb->online("org-1", now + 9'999) == std::vector<std::string>{"dev-1", "dev-2"});
    CHECK(pb->online("org-1", now + 10'000) == std::vector<std::string>{"dev-2"});
    CHECK_FALSE(pb->is_online("org-1", "dev-1", now + 10'000));
    CHECK(pa->online("org-1", now + 20'000).empty());

    pa->heartbeat("org-1", "dev-1", "instance-a", now + 40'000);  // reconnected / refreshed
    CHECK(pb->online("org-1", now + 30'000) == std::vector<std::string>{"dev-1"});
  });
}

TEST_CASE("expired entries are reaped once across instances; a device live elsewhere is not reported") {
  for_each_backend([](const Backend& b) {
    auto [pa, pb] = b.presences();
    const std::int64_t now = b.clock()->now_ms();
    pa->heartbeat("org-1", "dev-1", "instance-dead", now + 10'000);
    pa->heartbeat("org-2", "dev-2", "instance-dead", now + 10'000);
    pa->heartbeat("org-1", "dev-3", "instance-dead", now + 10'000);
    pb->heartbeat("org-1", "dev-3", "instance-b", now + 30'000);  // reconnected to instance b
    pb->heartbeat("org-1", "dev-4", "instance-b", now + 30'000);
    CHECK(pb->reap_expired(now + 5'000).empty());  // nothing expired yet

    auto reaped = pb->reap_expired(now + 15'000);
    std::vector<std::string> got;
    for (const auto& d : reaped) got.push_back(d.organization_id + "/" + d.device_id);
    std::sort(got.begin(), got.end());
    CHECK(got == std::vector<std::string>{"org-1/dev-1", "org-2/dev-2"});
    CHECK(pa->reap_expired(now + 15'000).empty());  // claimed already: reported by one instance only
    CHECK(pb->reap_expired(now + 16'000).empty());
    CHECK(pa->online("org-1", now + 15'000) == std::vector<std::string>{"dev-3", "dev-4"});
    CHECK(pb->is_online("org-1", "dev-3", now + 15'000));
  });
}

TEST_CASE("a batch heartbeat refreshes many devices of several organisations at once, like single ones") {
  for_each_backend([](const Backend& b) {
    auto [pa, pb] = b.presences();
    const std::int64_t now = b.clock()->now_ms();
    // More devices than one Redis command carries, in two organisations.
    std::vector<Presence::Held> held;
    std::vector<std::string> org1;
    for (int i = 0; i < 1200; ++i) {
      std::string device = std::to_string(10000 + i);
      device = "dev-" + device.substr(1);  // dev-0000 … dev-1199
      held.push_back({i % 3 == 0 ? "org-2" : "org-1", device});
      if (i % 3 != 0) org1.push_back(device);
    }
    pa->heartbeat_many(held, "instance-a", now + 10'000);
    pb->heartbeat("org-1", "dev-other", "instance-b", now + 10'000);
    auto expected1 = org1;
    expected1.push_back("dev-other");
    std::sort(expected1.begin(), expected1.end());
    CHECK(pb->online("org-1", now) == expected1);
    CHECK(pb->online("org-2", now).size() == 400);
    CHECK(pb->is_online("org-2", "dev-0000", now));
    CHECK_FALSE(pb->is_online("org-2", "dev-0001", now));

    // A later batch extends them; entries not in it expire as before.
    held.erase(held.begin() + 600, held.end());
    pa->heartbeat_many(held, "instance-a", now + 30'000);
    CHECK(pb->online("org-1", now + 20'000).size() == 400);  // of dev-0000..0599, those of org-1
    CHECK(pb->online("org-2", now + 20'000).size() == 200);
    pa->remove("org-2", "dev-0000", "instance-a");
    CHECK_FALSE(pb->is_online("org-2", "dev-0000", now + 20'000));
    pa->heartbeat_many({}, "instance-a", now + 30'000);  // nothing held: nothing to do
    CHECK(pb->online("org-2", now + 20'000).size() == 199);
  });
}

}  // TEST_SUITE
