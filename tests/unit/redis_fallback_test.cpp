// Fault tests for the Redis backends: Redis absent at start, appearing, frozen, stopped and
// restarted. The backends must keep working through their in-process fallbacks, report
// healthy() == false meanwhile, and return to shared operation by themselves.
//
// Runs only when VC_TEST_REDIS_URL is set (i.e. Redis is installed and the suite is asked to use
// it); the test then starts and stops its own throwaway server on a fresh port with
// scripts/redis_test_server.sh via std::system, so the shared test server is never disturbed.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "redis/redis_connection.hpp"
#include "videocontrol/clock.hpp"
#include "videocontrol/redis.hpp"

using namespace vc;
using namespace std::chrono_literals;

namespace {

const char* test_redis_url() {
  const char* url = std::getenv("VC_TEST_REDIS_URL");
  return url && *url ? url : nullptr;
}

std::filesystem::path source_dir() {
#ifdef VC_SOURCE_DIR
  return VC_SOURCE_DIR;
#else
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();  // tests/unit/x.cpp
#endif
}

std::filesystem::path temp_root() {
#ifdef VC_TEST_TMP
  return VC_TEST_TMP;
#else
  return std::filesystem::temp_directory_path();
#endif
}

// A port nothing listens on (the kernel's pick, released again).
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// The throwaway server, driven through the repository's script.
class TestServer {
 public:
  explicit TestServer(int port)
      : port_(port), dir_(temp_root() / ("redis_fallback_" + std::to_string(::getpid()))) {}
  ~TestServer() { stop(); }

  void start() {
    REQUIRE(run("start '" + dir_.string() + "' " + std::to_string(port_)) == 0);
    running_ = true;
  }
  void stop() {
    if (running_) (void)run("stop '" + dir_.string() + "'");
    running_ = false;
  }
  // SIGSTOP/SIGCONT: a hung server (accepts connections, answers nothing) rather than a gone one.
  void freeze(bool frozen) {
    std::ifstream in(dir_ / "redis.pid");
    pid_t pid = 0;
    in >> pid;
    REQUIRE(pid > 0);
    REQUIRE(::kill(pid, frozen ? SIGSTOP : SIGCONT) == 0);
  }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

 private:
  int run(const std::string& args) {
    const std::string cmd = "bash '" + (source_dir() / "scripts" / "redis_test_server.sh").string() + "' " + args +
                            " >/dev/null";
    return std::system(cmd.c_str());
  }

  int port_;
  std::filesystem::path dir_;
  bool running_ = false;
};

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

class Recorder {
 public:
  EventBus::Handler handler() {
    return [this](std::string_view, std::string_view message) {
      std::lock_guard lock(mu_);
      seen_.emplace_back(message);
    };
  }
  std::size_t count(std::string_view message) const {
    std::lock_guard lock(mu_);
    std::size_t n = 0;
    for (const auto& m : seen_) n += m == message;
    return n;
  }

 private:
  mutable std::mutex mu_;
  std::vector<std::string> seen_;
};

template <class T>
std::unique_ptr<T> unwrap(Result<std::unique_ptr<T>> r) {
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  return std::move(*r);
}

}  // namespace

TEST_SUITE("redis_fallback") {

TEST_CASE("a malformed REDIS_URL is rejected; a reachable-or-not one is accepted") {
  RedisOptions o;
  for (const char* bad : {"http://localhost:6379", "redis://", "redis://host:99999", "redis://host:port",
                          "redis://host:6379/x", "rediss://host:6379", "redis://host:6379/0?timeout=1"}) {
    o.url = bad;
    INFO(bad);
    auto r = make_redis_cache(o, nullptr);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::invalid);
  }
}

TEST_CASE("redis URLs carry credentials, port and database") {
  auto e = redis::parse_url("redis://user:p%40ss@w0rd@cache.internal:6380/3");
  REQUIRE(e.ok());
  CHECK(e->host == "cache.internal");
  CHECK(e->port == 6380);
  CHECK(e->username == "user");
  CHECK(e->password == "p@ss@w0rd");
  CHECK(e->db == 3);
  CHECK(e->display().find("p@ss") == std::string::npos);

  auto plain = redis::parse_url("redis://127.0.0.1");
  REQUIRE(plain.ok());
  CHECK(plain->port == 6379);
  CHECK(plain->db == 0);
  CHECK(plain->password.empty());

  auto legacy = redis::parse_url("redis://:secret@[::1]:7000");
  REQUIRE(legacy.ok());
  CHECK(legacy->host == "::1");
  CHECK(legacy->port == 7000);
  CHECK(legacy->username.empty());
  CHECK(legacy->password == "secret");
}

TEST_CASE("redis backends serve through their fallbacks while Redis is away and recover by themselves") {
  if (!test_redis_url()) {
    MESSAGE("VC_TEST_REDIS_URL is not set: Redis fault tests skipped");
    return;
  }
  TestServer server(free_port());
  RedisOptions o;
  o.url = server.url();
  o.key_prefix = "vcfallback:" + std::to_string(::getpid()) + ":";
  o.connect_timeout_ms = 200;
  o.command_timeout_ms = 300;
  auto clock = std::make_shared<ManualClock>();

  Recorder on_a, on_b;  // outlive the buses
  auto cache_a = unwrap(make_redis_cache(o, clock));
  auto cache_b = unwrap(make_redis_cache(o, clock));
  auto limiter = unwrap(make_redis_rate_limiter(o, clock));
  auto limiter_b = unwrap(make_redis_rate_limiter(o, clock));
  auto bus_a = unwrap(make_redis_event_bus(o));
  auto bus_b = unwrap(make_redis_event_bus(o));
  auto presence_a = unwrap(make_redis_presence(o));
  auto presence_b = unwrap(make_redis_presence(o));
  bus_a->subscribe("control", on_a.handler());
  bus_b->subscribe("control", on_b.handler());

  const auto all_healthy = [&] {
    return cache_a->healthy() && cache_b->healthy() && limiter->healthy() &&
           limiter_b->healthy() && bus_a->healthy() &&
           bus_b->healthy() && presence_a->healthy() && presence_b->healthy();
  };
  const auto none_healthy = [&] {
    return !cache_a->healthy() && !limiter->healthy() && !bus_a->healthy() && !presence_a->healthy();
  };
  const auto key = [](Cache& c, std::string_view ns) {
    return std::string(ns) + ":" + std::to_string(c.generation(ns)) + ":list";
  };

  // 1. Nothing listens on the port: everything works in-process.
  CHECK(none_healthy());
  cache_a->put("k", "local", 60s);
  CHECK(cache_a->get("k") == std::optional<std::string>("local"));
  const std::string old_key = key(*cache_a, "devices:org-1");
  cache_a->put(old_key, "old", 60s);
  cache_a->bump("devices:org-1");  // bumped while down: must reach Redis once it is there
  CHECK(key(*cache_a, "devices:org-1") != old_key);
  CHECK_FALSE(cache_a->get(key(*cache_a, "devices:org-1")).has_value());
  CHECK(limiter->check("login", 2, 60s).allowed);
  CHECK(limiter->check("login", 2, 60s).allowed);
  CHECK_FALSE(limiter->check("login", 2, 60s).allowed);
  CHECK_FALSE(bus_a->publish("control", "while-down"));
  CHECK(eventually([&] { return on_a.count("while-down") == 1; }, 3s));
  const std::int64_t now = clock->now_ms();
  presence_a->heartbeat("org-1", "dev-1", "instance-a", now + 60'000);
  CHECK(presence_a->online("org-1", now) == std::vector<std::string>{"dev-1"});
  CHECK(presence_b->online("org-1", now).empty());  // the documented degradation: local view only

  // 2. Redis appears: every backend notices within the backoff (<= 5 s) and the instances share again.
  server.start();
  REQUIRE(eventually(all_healthy, 15s));
  CHECK(cache_b->generation("devices:org-1") >= 1);  // the bump made while down reached Redis
  CHECK(presence_b->online("org-1", now) == std::vector<std::string>{"dev-1"});  // replayed on reconnect
  CHECK(bus_a->publish("control", "after-start"));
  CHECK(eventually([&] { return on_a.count("after-start") == 1 && on_b.count("after-start") == 1; }, 3s));
  cache_a->put("shared", "from-a", 60s);
  CHECK(cache_b->get("shared") == std::optional<std::string>("from-a"));
  CHECK(limiter->check("login", 2, 60s).allowed);  // Redis buckets start afresh

  // 3. Redis hangs (accepts, answers nothing): commands time out, fallbacks serve, and a bump or a
  //    rate-limit reset made meanwhile still applies to what Redis kept once it answers again.
  const std::string stale_key = key(*cache_b, "media:org-1");
  cache_b->put(stale_key, "stale", 60s);
  CHECK(limiter->check("login-x", 1, 60s).allowed);
  CHECK_FALSE(limiter_b->check("login-x", 1, 60s).allowed);
  server.freeze(true);
  cache_a->bump("media:org-1");
  limiter->reset("login-x");  // e.g. a successful login: must not be lost
  CHECK_FALSE(bus_a->publish("control", "while-frozen"));
  CHECK(eventually([&] { return on_a.count("while-frozen") == 1; }, 3s));
  cache_a->put("k2", "frozen-local", 60s);
  CHECK(cache_a->get("k2") == std::optional<std::string>("frozen-local"));
  server.freeze(false);
  REQUIRE(eventually(all_healthy, 15s));
  CHECK(key(*cache_a, "media:org-1") == key(*cache_b, "media:org-1"));
  CHECK(key(*cache_b, "media:org-1") != stale_key);
  CHECK_FALSE(cache_b->get(key(*cache_b, "media:org-1")).has_value());
  CHECK(limiter_b->check("login-x", 1, 60s).allowed);

  // 4. Redis stops: local delivery, cache and limits keep working; healthy() turns false.
  server.stop();
  CHECK(eventually(none_healthy, 10s));
  bus_a->publish("control", "after-stop");
  CHECK(eventually([&] { return on_a.count("after-stop") == 1; }, 3s));
  cache_a->put("k3", "v3", 60s);
  CHECK(cache_a->get("k3") == std::optional<std::string>("v3"));
  CHECK(limiter->check("after-stop", 1, 60s).allowed);
  CHECK_FALSE(limiter->check("after-stop", 1, 60s).allowed);

  // 5. Redis restarts (empty): the backends reconnect, resubscribe and share again.
  server.start();
  REQUIRE(eventually(all_healthy, 15s));
  CHECK(bus_b->publish("control", "after-restart"));
  CHECK(eventually([&] { return on_a.count("after-restart") == 1 && on_b.count("after-restart") == 1; }, 3s));
  cache_b->put("shared", "again", 60s);
  CHECK(cache_a->get("shared") == std::optional<std::string>("again"));
  CHECK(limiter->check("after-restart", 1, 60s).allowed);  // the script is gone with the old server: reloaded
  CHECK_FALSE(limiter_b->check("after-restart", 1, 60s).allowed);  // and the bucket is shared again
  presence_b->heartbeat("org-1", "dev-2", "instance-b", now + 60'000);
  CHECK(presence_a->online("org-1", now) == std::vector<std::string>{"dev-1", "dev-2"});

  std::this_thread::sleep_for(200ms);  // no late duplicates
  CHECK(on_a.count("while-down") == 1);
  CHECK(on_b.count("while-down") == 0);
  CHECK(on_a.count("after-start") == 1);
  CHECK(on_b.count("after-start") == 1);
  CHECK(on_a.count("after-restart") == 1);
  CHECK(on_b.count("after-restart") == 1);
}

}  // TEST_SUITE
