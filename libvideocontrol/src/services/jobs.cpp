#include "videocontrol/jobs.hpp"

#include <algorithm>

#include "context.hpp"
#include "videocontrol/id.hpp"

namespace vc {
namespace {

Error not_yours(std::string_view id) {
  return make_error(ErrorCode::conflict, "job " + std::string(id) + " is not leased to this worker anymore");
}

}  // namespace

Result<Job> JobQueue::enqueue(std::string_view organization_id, std::string_view kind, std::string_view payload_json,
                              std::int64_t run_after_ms) {
  if (kind.empty()) return make_error(ErrorCode::invalid, "job kind is required");
  Job j;
  j.id = new_id(*clock_);
  j.organization_id = std::string(organization_id);
  j.kind = std::string(kind);
  j.payload_json = payload_json.empty() ? "{}" : std::string(payload_json);
  j.created_at_ms = j.updated_at_ms = clock_->now_ms();
  j.run_after_ms = std::max(run_after_ms, j.created_at_ms);
  VC_TRY(storage_.transact([&](StorageSession& s) { return s.jobs().insert(j); }));
  return j;
}

Result<std::optional<Job>> JobQueue::claim(std::string_view worker, std::chrono::milliseconds lease,
                                           std::string_view kind) {
  const auto now = clock_->now_ms();
  return write_value<std::optional<Job>>(storage_, [&](StorageSession& s) {
    return s.jobs().claim_next(worker, now, now - lease.count(), kind);
  });
}

namespace {

template <class F>
Result<void> change_owned(Storage& storage, std::string_view id, std::string_view worker, F&& change) {
  return storage.transact([&](StorageSession& s) -> Result<void> {
    VC_ASSIGN(auto job, s.jobs().find(id));
    if (!job || job->claimed_by != worker || job->status != JobStatus::running) return not_yours(id);
    change(*job);
    VC_ASSIGN(bool updated, s.jobs().update_owned(*job, worker));
    if (!updated) return not_yours(id);
    return {};
  });
}

}  // namespace

Result<void> JobQueue::progress(std::string_view id, std::string_view worker, int percent) {
  const auto now = clock_->now_ms();
  return change_owned(storage_, id, worker, [&](Job& j) {
    j.progress = std::clamp(percent, 0, 100);
    j.claimed_at_ms = now;  // renews the lease
    j.updated_at_ms = now;
  });
}

Result<void> JobQueue::complete(std::string_view id, std::string_view worker) {
  const auto now = clock_->now_ms();
  return change_owned(storage_, id, worker, [&](Job& j) {
    j.status = JobStatus::done;
    j.progress = 100;
    j.updated_at_ms = now;
  });
}

Result<void> JobQueue::fail(std::string_view id, std::string_view worker, std::string_view error,
                            std::optional<std::chrono::milliseconds> retry_after) {
  const auto now = clock_->now_ms();
  return change_owned(storage_, id, worker, [&](Job& j) {
    j.error = std::string(error);
    j.updated_at_ms = now;
    if (retry_after) {
      j.status = JobStatus::queued;
      j.claimed_by.clear();
      j.claimed_at_ms.reset();
      j.run_after_ms = now + retry_after->count();
    } else {
      j.status = JobStatus::failed;
    }
  });
}

Result<std::optional<Job>> JobQueue::get(std::string_view id) {
  return read_value<std::optional<Job>>(storage_, [&](StorageSession& s) { return s.jobs().find(id); });
}

}  // namespace vc
