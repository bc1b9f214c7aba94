#include <fmt/format.h>

#include "soci_repositories.hpp"
#include "videocontrol/jobs.hpp"

namespace vc::storage {
namespace {

constexpr const char* kColumns =
    "id, organization_id, kind, payload, status, progress, attempts, error, claimed_by, claimed_at, run_after, "
    "created_at, updated_at";

struct JobRow {
  Job j;
  NullableText org, error, claimed_by;
  NullableInt claimed_at;
  long long run_after = 0, created = 0, updated = 0;

  template <class P>
  void bind(P& p) {
    p, soci::into(j.id), soci::into(org.value, org.ind), soci::into(j.kind), soci::into(j.payload_json),
        soci::into(j.status), soci::into(j.progress), soci::into(j.attempts), soci::into(error.value, error.ind),
        soci::into(claimed_by.value, claimed_by.ind), soci::into(claimed_at.value, claimed_at.ind),
        soci::into(run_after), soci::into(created), soci::into(updated);
  }
  Job get() const {
    Job out = j;
    out.organization_id = org.get();
    out.error = error.get();
    out.claimed_by = claimed_by.get();
    out.claimed_at_ms = claimed_at.get();
    out.run_after_ms = run_after;
    out.created_at_ms = created;
    out.updated_at_ms = updated;
    return out;
  }
};

}  // namespace

Result<void> SociJobs::insert(const Job& j) {
  return guarded([&]() -> Result<void> {
    NullableText org(j.organization_id);
    long long run_after = j.run_after_ms, created = j.created_at_ms, updated = j.updated_at_ms;
    s_ << "INSERT INTO jobs (id, organization_id, kind, payload, status, progress, attempts, run_after, created_at, "
          "updated_at) VALUES (:id, :org, :kind, :payload, :status, :progress, :attempts, :run_after, :created, :updated)",
        soci::use(j.id), soci::use(org.value, org.ind), soci::use(j.kind), soci::use(j.payload_json),
        soci::use(j.status), soci::use(j.progress), soci::use(j.attempts), soci::use(run_after), soci::use(created),
        soci::use(updated);
    return {};
  });
}

Result<std::optional<Job>> SociJobs::find(std::string_view id) {
  return guarded([&]() -> Result<std::optional<Job>> {
    JobRow row;
    std::string key(id);
    auto p = (s_.prepare << std::string("SELECT ") + kColumns + " FROM jobs WHERE id = :id");
    row.bind(p);
    p, soci::use(key);
    soci::statement st(p);
    if (!st.execute(true)) return std::optional<Job>{};
    return std::optional<Job>{row.get()};
  });
}

Result<std::optional<Job>> SociJobs::claim_next(std::string_view worker, std::int64_t now_ms,
                                                std::int64_t lease_expired_before_ms, std::string_view kind) {
  return guarded([&]() -> Result<std::optional<Job>> {
    JobRow row;
    std::string w(worker), k(kind);
    long long now = now_ms, expired = lease_expired_before_ms;
    // One statement: pick and lease atomically. On PostgreSQL concurrent claimers skip each
    // other's locked rows instead of waiting for (and then losing) the same one.
    const std::string sql = fmt::format(
        "UPDATE jobs SET status = 'running', claimed_by = :w, claimed_at = :now, attempts = attempts + 1, "
        "updated_at = :now2 WHERE id = (SELECT id FROM jobs WHERE ((status = 'queued' AND run_after <= :now3) "
        "OR (status = 'running' AND claimed_at < :expired)){} ORDER BY run_after, id LIMIT 1{}) RETURNING {}",
        k.empty() ? "" : " AND kind = :kind", skip_locked(d_), kColumns);
    auto p = (s_.prepare << sql);
    row.bind(p);
    p, soci::use(w), soci::use(now), soci::use(now), soci::use(now), soci::use(expired);
    if (!k.empty()) p, soci::use(k);
    soci::statement st(p);
    if (!st.execute(true)) return std::optional<Job>{};
    return std::optional<Job>{row.get()};
  });
}

Result<bool> SociJobs::update_owned(const Job& j, std::string_view worker) {
  return guarded([&]() -> Result<bool> {
    std::string w(worker);
    NullableText error(j.error), claimed_by(j.claimed_by);
    NullableInt claimed_at(j.claimed_at_ms);
    long long run_after = j.run_after_ms, updated = j.updated_at_ms;
    soci::statement st = (s_.prepare << "UPDATE jobs SET status = :status, progress = :progress, error = :error, "
                                        "claimed_by = :by, claimed_at = :at, run_after = :run_after, "
                                        "updated_at = :updated WHERE id = :id AND claimed_by = :w AND status = 'running'",
                          soci::use(j.status), soci::use(j.progress), soci::use(error.value, error.ind),
                          soci::use(claimed_by.value, claimed_by.ind), soci::use(claimed_at.value, claimed_at.ind),
                          soci::use(run_after), soci::use(updated), soci::use(j.id), soci::use(w));
    st.execute(true);
    return st.get_affected_rows() > 0;
  });
}

Result<std::vector<JobKindCounts>> SociJobs::counts(std::int64_t now_ms) {
  return guarded([&]() -> Result<std::vector<JobKindCounts>> {
    std::vector<JobKindCounts> out;
    auto entry = [&](const std::string& kind) -> JobKindCounts& {
      for (auto& c : out)
        if (c.kind == kind) return c;
      out.push_back(JobKindCounts{kind});
      return out.back();
    };
    long long now = now_ms;
    // Both use the (status, run_after) index; done and failed rows are never read. Typed bulk
    // reads, so SQLite's untyped aggregates convert like PostgreSQL's bigints.
    std::vector<std::string> kinds(64);
    std::vector<long long> n(64), oldest(64);
    s_ << "SELECT kind, COUNT(*) FROM jobs WHERE status = 'running' GROUP BY kind", soci::into(kinds), soci::into(n);
    for (std::size_t i = 0; i < kinds.size(); ++i) entry(kinds[i]).running = n[i];
    kinds.resize(64);
    n.resize(64);
    s_ << "SELECT kind, COUNT(*), MIN(CASE WHEN run_after > created_at THEN run_after ELSE created_at END) "
          "FROM jobs WHERE status = 'queued' AND run_after <= :now GROUP BY kind",
        soci::into(kinds), soci::into(n), soci::into(oldest), soci::use(now);
    for (std::size_t i = 0; i < kinds.size(); ++i) {
      auto& c = entry(kinds[i]);
      c.queued = n[i];
      c.oldest_queued_ms = std::max<std::int64_t>(0, now_ms - oldest[i]);
    }
    return out;
  });
}

}  // namespace vc::storage
