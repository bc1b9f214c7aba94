// The job queue: exclusive claims across threads (and, on PostgreSQL, SKIP LOCKED), lease expiry
// after a crash, retries. Runs on SQLite and, with VC_TEST_POSTGRES_URL, on PostgreSQL.
#include <doctest/doctest.h>

#include <mutex>
#include <set>
#include <thread>

#include "test_support.hpp"
#include "videocontrol/clock.hpp"
#include "videocontrol/jobs.hpp"

using namespace vc;

TEST_CASE("every job is claimed by exactly one of many concurrent workers") {
  test::TempDir dir;
  auto storage = test::migrated_storage(dir.file("jobs.db"), 8);
  auto clock = std::make_shared<ManualClock>();
  JobQueue queue(*storage, clock);
  constexpr int kJobs = 60;
  for (int i = 0; i < kJobs; ++i) REQUIRE(queue.enqueue("", "media.probe", "{}").ok());
  std::mutex mu;
  std::multiset<std::string> claimed;
  std::atomic<int> errors{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 6; ++w)
    workers.emplace_back([&, w] {
      const std::string name = "worker-" + std::to_string(w);
      for (;;) {
        auto job = queue.claim(name, std::chrono::minutes(5));
        if (!job.ok()) {
          errors++;
          continue;
        }
        if (!*job) break;
        {
          std::lock_guard lock(mu);
          claimed.insert((*job)->id);
        }
        if (!queue.complete((*job)->id, name).ok()) errors++;
      }
    });
  for (auto& t : workers) t.join();
  CHECK(errors.load() == 0);
  CHECK(claimed.size() == static_cast<std::size_t>(kJobs));
  CHECK(std::set<std::string>(claimed.begin(), claimed.end()).size() == static_cast<std::size_t>(kJobs));
}

TEST_CASE("a job whose worker died is claimed again after its lease") {
  test::TempDir dir;
  auto storage = test::migrated_storage(dir.file("lease.db"));
  auto clock = std::make_shared<ManualClock>();
  JobQueue queue(*storage, clock);
  auto job = queue.enqueue("", "media.convert", R"({"media_id":"m1"})");
  REQUIRE(job.ok());
  auto first = queue.claim("crashed", std::chrono::seconds(30));
  REQUIRE(first.ok());
  REQUIRE(first->has_value());
  CHECK_FALSE(queue.claim("other", std::chrono::seconds(30))->has_value());  // still leased
  clock->advance(std::chrono::seconds(10));
  REQUIRE(queue.progress(job->id, "crashed", 40).ok());                      // renews the lease
  clock->advance(std::chrono::seconds(25));
  CHECK_FALSE(queue.claim("other", std::chrono::seconds(30))->has_value());
  clock->advance(std::chrono::seconds(10));
  auto again = queue.claim("other", std::chrono::seconds(30));
  REQUIRE(again.ok());
  REQUIRE(again->has_value());
  CHECK((*again)->attempts == 2);
  CHECK((*again)->payload_json == R"({"media_id":"m1"})");
  // The old worker's late report is refused; the new one finishes.
  CHECK(queue.complete(job->id, "crashed").error().code == ErrorCode::conflict);
  REQUIRE(queue.complete(job->id, "other").ok());
  CHECK(queue.get(job->id)->value().status == JobStatus::done);
}

TEST_CASE("a failed job is retried later or fails for good") {
  test::TempDir dir;
  auto storage = test::migrated_storage(dir.file("retry.db"));
  auto clock = std::make_shared<ManualClock>();
  JobQueue queue(*storage, clock);
  auto job = queue.enqueue("", "media.probe", "{}");
  REQUIRE(job.ok());
  REQUIRE(queue.claim("w", std::chrono::minutes(1))->has_value());
  REQUIRE(queue.fail(job->id, "w", "ffprobe crashed", std::chrono::seconds(60)).ok());
  CHECK_FALSE(queue.claim("w", std::chrono::minutes(1))->has_value());  // not due yet
  clock->advance(std::chrono::seconds(61));
  REQUIRE(queue.claim("w", std::chrono::minutes(1))->has_value());
  REQUIRE(queue.fail(job->id, "w", "still broken").ok());
  auto final_state = queue.get(job->id);
  REQUIRE(final_state.ok());
  CHECK((*final_state)->status == JobStatus::failed);
  CHECK((*final_state)->error == "still broken");
  CHECK_FALSE(queue.claim("w", std::chrono::minutes(1))->has_value());
}
