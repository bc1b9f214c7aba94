// JobQueue: long work (conversion, probing) as rows in the `jobs` table, claimed by any instance's
// workers (DESIGN.md principle 4). A claim is a lease: a job whose worker died (its lease ran out)
// is claimed again, so restarts resume work. Claims are exclusive across instances — PostgreSQL
// uses `FOR UPDATE SKIP LOCKED`, SQLite its single writer — and safe from many threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "videocontrol/export.hpp"
#include "videocontrol/result.hpp"

namespace vc {

class Clock;
class Storage;

enum class JobStatus { queued, running, done, failed };
VC_API std::string_view to_string(JobStatus status) noexcept;
VC_API std::optional<JobStatus> parse_job_status(std::string_view text) noexcept;

struct VC_API Job {
  std::string id;
  std::string organization_id;
  std::string kind;               // e.g. "media.convert"
  std::string payload_json = "{}";
  JobStatus status = JobStatus::queued;
  int progress = 0;               // 0..100
  int attempts = 0;
  std::string error;
  std::string claimed_by;
  std::optional<std::int64_t> claimed_at_ms;
  std::int64_t run_after_ms = 0;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
};

// What waits and runs, per job kind (metrics).
struct VC_API JobKindCounts {
  std::string kind;
  std::int64_t queued = 0;             // queued, due now
  std::int64_t running = 0;
  std::int64_t oldest_queued_ms = 0;   // how long the longest-waiting due job has waited
};

class VC_API JobQueue {
 public:
  JobQueue(Storage& storage, std::shared_ptr<const Clock> clock) : storage_(storage), clock_(std::move(clock)) {}

  Result<Job> enqueue(std::string_view organization_id, std::string_view kind, std::string_view payload_json,
                      std::int64_t run_after_ms = 0);
  // The oldest due job — queued, or running with a lease older than `lease` — of `kind` (empty =
  // any kind) now leased to `worker`; nullopt when there is none. Each worker claims its own kind,
  // so the content pipeline never holds a webhook delivery and the reverse.
  Result<std::optional<Job>> claim(std::string_view worker, std::chrono::milliseconds lease,
                                   std::string_view kind = {});
  // Progress also renews the lease. Errors: conflict when the job is no longer this worker's.
  Result<void> progress(std::string_view job_id, std::string_view worker, int percent);
  Result<void> complete(std::string_view job_id, std::string_view worker);
  // Failed for good, or queued again after retry_after when given.
  Result<void> fail(std::string_view job_id, std::string_view worker, std::string_view error,
                    std::optional<std::chrono::milliseconds> retry_after = std::nullopt);
  Result<std::optional<Job>> get(std::string_view job_id);

 private:
  Storage& storage_;
  std::shared_ptr<const Clock> clock_;
};

}  // namespace vc
