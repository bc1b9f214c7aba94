// Metrics (issue 15): the exposition writer and histogram, statement names, the pool's and
// statements' counts, job queue counts (SQLite and, with VC_TEST_POSTGRES_URL, PostgreSQL), cache
// hits by kind, the counting event bus, and every family an installation writes.
#include <doctest/doctest.h>

#include <thread>

#include "storage/connection_pool.hpp"
#include "test_support.hpp"
#include "videocontrol/cache.hpp"
#include "videocontrol/clock.hpp"
#include "videocontrol/event_bus.hpp"
#include "videocontrol/installation.hpp"
#include "videocontrol/jobs.hpp"
#include "videocontrol/metrics.hpp"

using namespace vc;

namespace {

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.starts_with(line + "\n");
}

}  // namespace

TEST_CASE("the writer renders families, escaped labels and cumulative histogram buckets") {
  Histogram h({0.1, 1});
  h.observe(0.05);
  h.observe(0.5);
  h.observe(0.5);
  h.observe(7);
  h.observe(-1);  // a clock step counts as zero
  MetricsWriter w;
  w.family("x_seconds", "histogram", "Line one\nline two with \\.");
  w.histogram("x_seconds", {{"route", "/a/{id}"}, {"q", "say \"hi\"\n"}}, h.snapshot());
  w.family("y_total", "counter", "Y.");
  w.sample("y_total", 3);
  const auto& t = w.text();
  CHECK(has_line(t, "# HELP x_seconds Line one\\nline two with \\\\."));
  CHECK(has_line(t, "# TYPE x_seconds histogram"));
  CHECK(has_line(t, R"(x_seconds_bucket{route="/a/{id}",q="say \"hi\"\n",le="0.1"} 2)"));
  CHECK(has_line(t, R"(x_seconds_bucket{route="/a/{id}",q="say \"hi\"\n",le="1"} 4)"));
  CHECK(has_line(t, R"(x_seconds_bucket{route="/a/{id}",q="say \"hi\"\n",le="+Inf"} 5)"));
  CHECK(has_line(t, R"(x_seconds_sum{route="/a/{id}",q="say \"hi\"\n"} 8.05)"));
  CHECK(has_line(t, R"(x_seconds_count{route="/a/{id}",q="say \"hi\"\n"} 5)"));
  CHECK(has_line(t, "y_total 3"));
}

TEST_CASE("histogram observations from many threads are all counted") {
  Histogram h(latency_buckets());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) h.observe(0.002);
    });
  for (auto& t : threads) t.join();
  const auto s = h.snapshot();
  CHECK(s.count == 40000);
  CHECK(s.sum == doctest::Approx(80.0));
}

TEST_CASE("statements are named by verb and table") {
  using storage::statement_name;
  CHECK(statement_name("SELECT id, name FROM devices WHERE organization_id = :o") == "select devices");
  CHECK(statement_name("  insert INTO media (id) VALUES (:i)") == "insert media");
  CHECK(statement_name("UPDATE jobs SET status = 'running' WHERE id = (SELECT id FROM jobs)") == "update jobs");
  CHECK(statement_name("DELETE FROM sessions WHERE user_id = :u") == "delete sessions");
  CHECK(statement_name("WITH x AS (SELECT 1) SELECT * FROM x") == "select x");
  CHECK(statement_name("COMMIT") == "commit");
  CHECK(statement_name("BEGIN IMMEDIATE") == "begin");
  CHECK(statement_name("") == "other");
  CHECK(statement_name("SELECT 1") == "select");
}

TEST_CASE("the pool counts statements, connections in use and slow statements by name") {
  test::TempDir dir;
  auto o = test::sqlite_options(dir.file("m.db"), 2);
  o.slow_query_threshold = std::chrono::milliseconds(0);  // every statement is "slow"
  auto s = open_storage(o);
  REQUIRE(s.ok());
  Storage& storage = **s;
  REQUIRE(storage.migrate().ok());
  const auto before = storage.stats();
  CHECK(before.pool_size == 2);
  CHECK(before.in_use == 0);
  REQUIRE(storage.read([&](StorageSession& session) -> Result<void> {
    CHECK(storage.stats().in_use == 1);  // this transaction's connection
    auto n = session.organizations().count();
    REQUIRE(n.ok());
    return {};
  }).ok());
  const auto after = storage.stats();
  CHECK(after.in_use == 0);
  CHECK(after.queries > before.queries);
  CHECK(after.slow_query_threshold_seconds == 0);
  CHECK(after.pool_wait.count >= 2);
  bool counted = false;
  for (const auto& [name, n] : after.slow_queries) counted = counted || (name == "select organizations" && n >= 1);
  CHECK(counted);

  // Under the threshold nothing is counted as slow. The threshold is far above any statement's time,
  // so a busy machine cannot make this flaky (CI once saw a migration step take over 250 ms).
  auto calm_options = test::sqlite_options(dir.file("m2.db"), 1);
  calm_options.slow_query_threshold = std::chrono::hours(1);
  auto calm = open_storage(calm_options);
  REQUIRE(calm.ok());
  REQUIRE((*calm)->migrate().ok());
  CHECK((*calm)->stats().slow_queries.empty());
  CHECK((*calm)->stats().queries > 0);

  // The default threshold is a quarter of a second.
  auto fallback = open_storage(test::sqlite_options(dir.file("m3.db"), 1));
  REQUIRE(fallback.ok());
  CHECK((*fallback)->stats().slow_query_threshold_seconds == doctest::Approx(0.25));
}

TEST_CASE("a thread waiting for a connection shows in the pool's counts") {
  test::TempDir dir;
  auto s = open_storage(test::sqlite_options(dir.file("w.db"), 1));
  REQUIRE(s.ok());
  Storage& storage = **s;
  REQUIRE(storage.migrate().ok());
  std::atomic<bool> inside{false}, release{false};
  std::thread holder([&] {
    (void)storage.read([&](StorageSession&) -> Result<void> {
      inside = true;
      while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      return {};
    });
  });
  while (!inside) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::thread waiter([&] { (void)storage.read([](StorageSession&) -> Result<void> { return {}; }); });
  unsigned waiting = 0;
  for (int i = 0; i < 2000 && waiting == 0; ++i) {
    waiting = storage.stats().waiting;
    if (waiting == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  CHECK(waiting == 1);
  CHECK(storage.stats().in_use == 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  release = true;
  holder.join();
  waiter.join();
  const auto st = storage.stats();
  CHECK(st.waiting == 0);
  CHECK(st.pool_wait.sum >= 0.015);  // the waiter waited about 20 ms
}

TEST_CASE("job counts: queued and due, running, and the longest wait, by kind") {
  test::TempDir dir;
  auto storage = test::migrated_storage(dir.file("jobs.db"));
  auto clock = std::make_shared<ManualClock>(1'000'000);
  JobQueue queue(*storage, clock);
  REQUIRE(queue.enqueue("", "media.process", "{}").ok());
  clock->advance(std::chrono::seconds(5));
  REQUIRE(queue.enqueue("", "media.process", "{}").ok());
  REQUIRE(queue.enqueue("", "media.process", "{}").ok());
  REQUIRE(queue.enqueue("", "webhook.deliver", "{}", clock->now_ms() + 60'000).ok());  // not due yet
  clock->advance(std::chrono::seconds(10));
  auto claimed = queue.claim("w1", std::chrono::minutes(1));  // the oldest
  REQUIRE(claimed.ok());
  REQUIRE(claimed->has_value());

  std::vector<JobKindCounts> counts;
  REQUIRE(storage->read([&](StorageSession& s) -> Result<void> {
    auto c = s.jobs().counts(clock->now_ms());
    REQUIRE(c.ok());
    counts = *c;
    return {};
  }).ok());
  REQUIRE(counts.size() == 1);  // the webhook job is not due, so not counted
  CHECK(counts[0].kind == "media.process");
  CHECK(counts[0].queued == 2);
  CHECK(counts[0].running == 1);
  CHECK(counts[0].oldest_queued_ms == 10'000);
}

TEST_CASE("cache hits and misses are counted by the key's kind") {
  auto cache = make_memory_cache(std::make_shared<ManualClock>(0));
  cache->put("devices:o1:g0:x", "a", std::chrono::seconds(60));
  (void)cache->get("devices:o1:g0:x");
  (void)cache->get("devices:o1:g0:y");
  (void)cache->get("media:o1:g0:z");
  const auto s = cache->stats();
  CHECK(s.hits == 1);
  CHECK(s.misses == 2);
  REQUIRE(s.kinds.size() == 2);
  for (const auto& k : s.kinds) {
    if (k.kind == "devices") {
      CHECK(k.hits == 1);
      CHECK(k.misses == 1);
    } else {
      CHECK(k.kind == "media");
      CHECK(k.hits == 0);
      CHECK(k.misses == 1);
    }
  }
}

TEST_CASE("the counting event bus counts publishes and deliveries") {
  auto bus = make_counting_event_bus(make_local_event_bus());
  int got = 0;
  bus->subscribe("a", [&](std::string_view, std::string_view) { ++got; });
  bus->subscribe("a", [&](std::string_view, std::string_view) { ++got; });
  CHECK(bus->publish("a", "1"));
  CHECK(bus->publish("b", "2"));
  CHECK(got == 2);
  const auto s = bus->stats();
  CHECK(s.published == 2);
  CHECK(s.delivered == 2);
  CHECK(s.publish_failures == 0);
}

TEST_CASE("an installation writes every family it documents, each with HELP and TYPE once") {
  test::TempDir dir;
  InstallationOptions o;
  o.password_hash = vc::test::kCheapHash;
  o.data_dir = dir.path().string();
  o.admin_password = "Metrics-test-pass-1";
  o.run_pipeline = false;
  o.drive_schedules = false;
  auto inst = Installation::open(o);
  REQUIRE_MESSAGE(inst.ok(), (inst.ok() ? "" : inst.error().message));
  MetricsWriter w;
  write_installation_metrics(**inst, w);
  const std::string& t = w.text();
  for (const char* family :
       {"videocontrol_db_pool_connections", "videocontrol_db_pool_in_use", "videocontrol_db_pool_waiting",
        "videocontrol_db_pool_wait_seconds", "videocontrol_db_queries_total", "videocontrol_db_slow_queries_total",
        "videocontrol_db_slow_query_threshold_seconds", "videocontrol_cache_hits_total", "videocontrol_cache_misses_total",
        "videocontrol_cache_evictions_total", "videocontrol_cache_entries", "videocontrol_cache_bytes",
        "videocontrol_jobs_queued", "videocontrol_jobs_running", "videocontrol_jobs_oldest_queued_seconds",
        "videocontrol_jobs_completed_total", "videocontrol_jobs_failures_total", "videocontrol_realtime_connections",
        "videocontrol_realtime_players", "videocontrol_realtime_controls", "videocontrol_devices_online",
        "videocontrol_realtime_messages_received_total", "videocontrol_realtime_messages_sent_total",
        "videocontrol_realtime_command_seconds", "videocontrol_event_bus_published_total",
        "videocontrol_event_bus_publish_failures_total", "videocontrol_event_bus_delivered_total",
        "videocontrol_redis_fallback", "process_cpu_seconds_total", "process_resident_memory_bytes",
        "process_virtual_memory_bytes", "process_open_fds", "process_max_fds", "process_threads",
        "process_start_time_seconds", "videocontrol_uptime_seconds", "videocontrol_build_info"}) {
    INFO(family);
    const std::string type = std::string("# TYPE ") + family + " ";
    const auto first = t.find(type);
    CHECK(first != std::string::npos);
    CHECK(t.find(type, first + 1) == std::string::npos);
  }
  CHECK(has_line(t, R"(videocontrol_jobs_queued{kind="media.process"} 0)"));
  CHECK(has_line(t, R"(videocontrol_jobs_queued{kind="webhook.deliver"} 0)"));
  CHECK(has_line(t, R"(videocontrol_jobs_completed_total{kind="webhook.deliver"} 0)"));
  CHECK(has_line(t, R"(videocontrol_jobs_failures_total{kind="webhook.deliver"} 0)"));
  CHECK(has_line(t, "videocontrol_redis_fallback 0"));
  CHECK(t.find("videocontrol_build_info{version=\"") != std::string::npos);
  const auto p = process_stats();
  CHECK(p.resident_bytes > 0);
  CHECK(p.threads >= 1);
  CHECK(p.open_fds > 0);
  CHECK(p.start_time_seconds > 1.6e9);
}
