// Fault injection for tests, LevelDB style: a Storage and a BlobStore that wrap the real ones and
// delegate every call, counting "steps" (each repository call, each blob write into place or
// delete, each write-transaction commit); the plan can fail one step by number with an error
// Result, fail the next commit, or make commits slow. Nothing else is simulated: every call that is
// not failed goes to the real database and the real files.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "videocontrol/blob_store.hpp"
#include "videocontrol/jobs.hpp"
#include "videocontrol/storage.hpp"

namespace vc::test {

class FaultPlan {
 public:
  // Fails step n (1-based, counted from the last reset()) once. 0 = none.
  void fail_step(int n) {
    std::lock_guard l(mu_);
    fail_at_ = n;
  }
  // Fails step n and every step after it (the database or disk went away for good).
  void fail_from(int n) {
    std::lock_guard l(mu_);
    fail_at_ = n;
    sticky_ = true;
  }
  // Fails the next write-transaction commit once (the transaction is rolled back instead).
  void fail_next_commit() {
    std::lock_guard l(mu_);
    fail_commit_ = true;
  }
  // Every write-transaction commit waits this long first, holding the transaction open.
  void slow_commits(std::chrono::milliseconds d) {
    std::lock_guard l(mu_);
    commit_delay_ = d;
  }
  // Stops failing; what failed stays readable until reset().
  void disarm() {
    std::lock_guard l(mu_);
    fail_at_ = 0;
    sticky_ = false;
    fail_commit_ = false;
  }
  void reset() {
    std::lock_guard l(mu_);
    steps_ = 0;
    write_tx_ = 0;
    fail_at_ = 0;
    fail_commit_ = false;
    sticky_ = false;
    hit_.clear();
    hit_tx_ = 0;
  }

  int steps() const {
    std::lock_guard l(mu_);
    return steps_;
  }
  bool hit() const {
    std::lock_guard l(mu_);
    return !hit_.empty();
  }
  std::string hit_step() const {  // the name of the failed step, empty when none failed
    std::lock_guard l(mu_);
    return hit_;
  }
  int hit_write_tx() const {  // the write transaction (1-based) the failed step was in; 0 = outside
    std::lock_guard l(mu_);
    return hit_tx_;
  }

  // Counts one step; returns the injected error when it is the one to fail.
  std::optional<Error> step(const char* name) {
    std::lock_guard l(mu_);
    ++steps_;
    if (!due()) return std::nullopt;
    return fault(name);
  }
  std::optional<Error> commit_step() {
    std::chrono::milliseconds delay{0};
    {
      std::lock_guard l(mu_);
      delay = commit_delay_;
    }
    if (delay.count() > 0) std::this_thread::sleep_for(delay);
    std::lock_guard l(mu_);
    ++steps_;
    if (fail_commit_) {
      fail_commit_ = false;
      return fault("commit");
    }
    if (!due()) return std::nullopt;
    return fault("commit");
  }
  void begin_write() {
    std::lock_guard l(mu_);
    ++write_tx_;
    in_write_ = true;
  }
  void end_write() {
    std::lock_guard l(mu_);
    in_write_ = false;
  }

 private:
  bool due() const { return fail_at_ > 0 && (steps_ == fail_at_ || (sticky_ && steps_ > fail_at_)); }
  Error fault(const char* name) {
    if (!hit_.empty()) return make_error(ErrorCode::unavailable, std::string("injected fault (still down) at ") + name);
    hit_ = name;
    hit_tx_ = in_write_ ? write_tx_ : 0;
    return make_error(ErrorCode::unavailable, std::string("injected fault at step ") + std::to_string(steps_) + " (" + name + ")");
  }

  mutable std::mutex mu_;
  int steps_ = 0, write_tx_ = 0, fail_at_ = 0, hit_tx_ = 0;
  bool fail_commit_ = false, in_write_ = false, sticky_ = false;
  std::chrono::milliseconds commit_delay_{0};
  std::string hit_;
};

// Forwards one repository method, failing it when the plan says so.
#define VC_FAULT_FWD(ret, name, params, args)       \
  ret name params override {                        \
    if (auto e = plan_.step(kName "." #name)) return *e; \
    return inner_.name args;                        \
  }

namespace fault_detail {

using sv = std::string_view;
using i64 = std::int64_t;

class Orgs final : public OrganizationRepository {
 public:
  Orgs(OrganizationRepository& r, FaultPlan& p) : inner_(r), plan_(p) {}
#define kName "organizations"
  VC_FAULT_FWD(Result<void>, insert, (const Organization& o), (o))
  VC_FAULT_FWD(Result<std::optional<Organization>>, find, (sv id), (id))
  VC_FAULT_FWD(Result<std::vector<Organization>>, list, (sv after, int limit), (after, limit))
  VC_FAULT_FWD(Result<void>, update, (const Organization& o), (o))
  VC_FAULT_FWD(Result<bool>, remove, (sv id), (id))
  VC_FAULT_FWD(Result<i64>, count, (), ())
  VC_FAULT_FWD(Result<void>, lock, (sv id), (id))
  VC_FAULT_FWD(Result<i64>, count_devices, (sv id), (id))
  VC_FAULT_FWD(Result<i64>, storage_bytes, (sv id), (id))
#undef kName
 private:
  OrganizationRepository& inner_;
  FaultPlan& plan_;
};

class Users final : public UserRepository {
 public:
  Users(UserRepository& r, FaultPlan& p) : inner_(r), plan_(p) {}
#define kName "users"
  VC_FAULT_FWD(Result<void>, insert, (const User& u), (u))
  VC_FAULT_FWD(Result<std::optional<User>>, find, (sv id), (id))
  VC_FAULT_FWD(Result<std::optional<User>>, find_by_username, (sv n), (n))
  VC_FAULT_FWD(Result<std::vector<User>>, list, (sv org, sv after, int limit), (org, after, limit))
  VC_FAULT_FWD(Result<void>, update, (const User& u), (u))
  VC_FAULT_FWD(Result<bool>, remove, (sv id), (id))
  VC_FAULT_FWD(Result<i64>, count, (), ())
  VC_FAULT_FWD(Result<i64>, count_in, (sv org), (org))
#undef kName
 private:
  UserRepository& inner_;
  FaultPlan& plan_;
};

class Sessions final : public SessionRepository {
 public:
  Sessions(SessionRepository& r, FaultPlan& p) : inner_(r), plan_(p) {}
#define kName "sessions"
  VC_FAULT_FWD(Result<void>, insert, (const AuthSession& a), (a))
  VC_FAULT_FWD(Result<std::optional<AuthSession>>, find_by_hash, (sv h), (h))
  VC_FAULT_FWD(Result<bool>, mark_used, (sv id, i64 at), (id, at))
  VC_FAULT_FWD(Result<void>, revoke_family, (sv f, i64 at), (f, at))
  VC_FAULT_FWD(Result<void>, revoke_user, (sv u, i64 at), (u, at))
  VC_FAULT_FWD(Result<bool>, family_active, (sv f, i64 now), (f, now))
#undef kName
 private:
  SessionRepository& inner_;
  FaultPlan& plan_;
};

class Keys final : public ApiKeyRepository {
 public:
  Keys(ApiKeyRepository& r, FaultPlan& p) : inner_(r), plan_(p) {}
#define kName "api_keys"
  VC_FAULT_FWD(Result<void>, insert, (const ApiKey& k), (k))
  VC_FAULT_FWD(Result<std::optional<ApiKey>>, find, (sv id), (id))
  VC_FAULT_FWD(Result<std::optional<ApiKey>>, find_by_hash, (sv h), (h))
  VC_FAULT_FWD(Result<std::vector<ApiKey>>, list, (sv org, sv after, int limit), (org, after, limit))
  VC_FAULT_FWD(Result<void>, revoke, (sv id, i64 at), (id, at))
  VC_FAULT_FWD(Result<void>, touch, (sv id, i64 at), (id, at))
#undef kName
 private:
  ApiKeyRepository& inner_;
  FaultPlan& plan_;
};

class Audit final : public AuditRepository {
 public:
  Audit(AuditRepository& r, FaultPlan& p) : inner_(r), plan_(p) {}
#define kName "audit"
  VC_FAULT_FWD(Result<void>, append, (const AuditEntry& e), (e))
  VC_FAULT_FWD(Result<std::vector<AuditEntry>>, list, (const AuditQuery& q), (q))
  VC_FAULT_FWD(Result<i64>, count, (), ())
  VC_FAULT_FWD(Result<i64>, prune, (i64 before, int n), (before, n))
#undef kName
 private:
  AuditRepository& inner_;
  FaultPlan& plan_;
};

class Settings final : public SettingRepository {
 public:
  Settings(SettingRepository& r, FaultPlan& p) : inner_(r), plan_(p) {}
#define kName "settings"
  VC_FAULT_FWD(Result<std::optional<std::string>>, get, (sv k), (k))
  VC_FAULT_FWD(Result<std::string>, put_if_absent, (sv k, sv v, i64 at), (k, v, at))
#undef kName
 private:
  SettingRepository& inner_;
  FaultPlan& plan_;
};

class Devices final : public DeviceRepository {
 public:
  Devices(DeviceRepository& r, FaultPlan& p) : inner_(r), plan_(p) {}
#define kName "devices"
  VC_FAULT_FWD(Result<void>, insert, (const Device& d), (d))
  VC_FAULT_FWD(Result<std::optional<Device>>, find_by_device_id, (sv id), (id))
  VC_FAULT_FWD(Result<std::vector<Device>>, list, (sv org, sv status, sv after, int limit), (org, status, after, limit))
  VC_FAULT_FWD(Result<void>, update, (const Device& d), (d))
  VC_FAULT_FWD(Result<bool>, remove, (sv id), (id))
  VC_FAULT_FWD(Result<std::optional<NowPlaying>>, state, (sv id), (id))
  VC_FAULT_FWD(Result<void>, put_state, (sv id, const NowPlaying& n), (id, n))
  VC_FAULT_FWD(Result<std::vector<std::string>>, with_placeholder, (sv m), (m))
  VC_FAULT_FWD(Result<void>, clear_placeholder_for, (sv m), (m))
  VC_FAULT_FWD(Result<IdentityCounts>, identity_counts, (), ())
#undef kName
 private:
  DeviceRepository& inner_;
  FaultPlan& plan_;
};

class MediaRepo final : public MediaRepository {
 public:
  MediaRepo(MediaRepository& r, FaultPlan& p) : inner_(r), plan_(p) {}
#define kName "media"
  VC_FAULT_FWD(Result<void>, insert, (const Media& m), (m))
  VC_FAULT_FWD(Result<std::optional<Media>>, find, (sv id), (id))
  VC_FAULT_FWD(Result<std::optional<Media>>, find_by_hash, (sv org, sv h), (org, h))
  VC_FAULT_FWD(Result<std::vector<Media>>, list, (sv org, sv kind, sv after, int limit), (org, kind, after, limit))
  VC_FAULT_FWD(Result<void>, update, (const Media& m), (m))
  VC_FAULT_FWD(Result<bool>, remove, (sv id), (id))
  VC_FAULT_FWD(Result<void>, link, (sv d, sv m, sv n, i64 at), (d, m, n, at))
  VC_FAULT_FWD(Result<bool>, unlink, (sv d, sv n), (d, n))
  VC_FAULT_FWD(Result<std::optional<DeviceFile>>, find_file, (sv d, sv n), (d, n))
  VC_FAULT_FWD(Result<std::vector<DeviceFile>>, files, (sv d, sv after, int limit, const FileFilter& f), (d, after, limit, f))
  VC_FAULT_FWD(Result<i64>, link_count, (sv m), (m))
  VC_FAULT_FWD(Result<std::vector<std::string>>, only_on, (sv d), (d))
  using Links = std::vector<std::pair<std::string, std::string>>;
  VC_FAULT_FWD(Result<Links>, links, (sv m), (m))
  VC_FAULT_FWD(Result<std::optional<std::string>>, name_on, (sv d, sv m), (d, m))
#undef kName
 private:
  MediaRepository& inner_;
  FaultPlan& plan_;
};

class Blobs final : public BlobRepository {
 public:
  Blobs(BlobRepository& r, FaultPlan& p) : inner_(r), plan_(p) {}
#define kName "blobs"
  VC_FAULT_FWD(Result<void>, add_ref, (sv h, i64 size, i64 at), (h, size, at))
  VC_FAULT_FWD(Result<bool>, release, (sv h), (h))
  VC_FAULT_FWD(Result<i64>, refcount, (sv h), (h))
  VC_FAULT_FWD(Result<void>, lock, (sv h), (h))
#undef kName
 private:
  BlobRepository& inner_;
  FaultPlan& plan_;
};

class Jobs final : public JobRepository {
 public:
  Jobs(JobRepository& r, FaultPlan& p) : inner_(r), plan_(p) {}
#define kName "jobs"
  VC_FAULT_FWD(Result<void>, insert, (const Job& j), (j))
  VC_FAULT_FWD(Result<std::optional<Job>>, find, (sv id), (id))
  VC_FAULT_FWD(Result<std::optional<Job>>, claim_next, (sv w, i64 now, i64 before, sv kind), (w, now, before, kind))
  VC_FAULT_FWD(Result<bool>, update_owned, (const Job& j, sv w), (j, w))
  VC_FAULT_FWD(Result<std::vector<JobKindCounts>>, counts, (i64 now), (now))
#undef kName
 private:
  JobRepository& inner_;
  FaultPlan& plan_;
};

class Session final : public StorageSession {
 public:
  Session(StorageSession& s, FaultPlan& p)
      : orgs_(s.organizations(), p), users_(s.users(), p), sessions_(s.sessions(), p), keys_(s.api_keys(), p),
        audit_(s.audit(), p), settings_(s.settings(), p), devices_(s.devices(), p), media_(s.media(), p),
        blobs_(s.blobs(), p), jobs_(s.jobs(), p), inner_(s) {}
  OrganizationRepository& organizations() override { return orgs_; }
  UserRepository& users() override { return users_; }
  SessionRepository& sessions() override { return sessions_; }
  ApiKeyRepository& api_keys() override { return keys_; }
  AuditRepository& audit() override { return audit_; }
  SettingRepository& settings() override { return settings_; }
  DeviceRepository& devices() override { return devices_; }
  MediaRepository& media() override { return media_; }
  BlobRepository& blobs() override { return blobs_; }
  JobRepository& jobs() override { return jobs_; }
  // Scheduling is not under fault injection (yet): the real repository.
  SchedulingRepository& scheduling() override { return inner_.scheduling(); }
  WebhookRepository& webhooks() override { return inner_.webhooks(); }

 private:
  Orgs orgs_;
  Users users_;
  Sessions sessions_;
  Keys keys_;
  Audit audit_;
  Settings settings_;
  Devices devices_;
  MediaRepo media_;
  Blobs blobs_;
  Jobs jobs_;
  StorageSession& inner_;
};

}  // namespace fault_detail

#undef VC_FAULT_FWD

// The real storage, with the plan's faults.
class FaultStorage final : public Storage {
 public:
  FaultStorage(Storage& inner, FaultPlan& plan) : inner_(inner), plan_(plan) {}
  std::string_view backend_name() const noexcept override { return inner_.backend_name(); }
  Result<void> ping() override { return inner_.ping(); }
  Result<void> check_writable() override { return inner_.check_writable(); }
  Result<int> schema_version() override { return inner_.schema_version(); }
  Result<MigrationReport> migrate() override { return inner_.migrate(); }

  // A failed commit is the callback's work rolled back instead of committed, as when the
  // database refuses the COMMIT; a slow one holds the transaction (and its locks) open meanwhile.
  Result<void> transact(const std::function<Result<void>(StorageSession&)>& fn) override {
    plan_.begin_write();
    auto r = inner_.transact([&](StorageSession& s) -> Result<void> {
      fault_detail::Session session(s, plan_);
      auto out = fn(session);
      if (!out.ok()) return out;
      if (auto e = plan_.commit_step()) return *e;
      return out;
    });
    plan_.end_write();
    return r;
  }
  Result<void> read(const std::function<Result<void>(StorageSession&)>& fn) override {
    return inner_.read([&](StorageSession& s) -> Result<void> {
      fault_detail::Session session(s, plan_);
      return fn(session);
    });
  }

 private:
  Storage& inner_;
  FaultPlan& plan_;
};

// The real blob store, with the plan's faults on what changes it: moving an upload into place
// (BlobWriter::commit) and deleting bytes.
class FaultBlobStore final : public BlobStore {
 public:
  FaultBlobStore(BlobStore& inner, FaultPlan& plan) : inner_(inner), plan_(plan) {}

  Result<std::unique_ptr<BlobWriter>> create(std::uint64_t max_bytes) override {
    auto w = inner_.create(max_bytes);
    if (!w) return w;
    return std::unique_ptr<BlobWriter>(std::make_unique<Writer>(std::move(*w), plan_));
  }
  Result<BlobFile> locate(std::string_view hash) override { return inner_.locate(hash); }
  Result<void> remove(std::string_view hash) override {
    if (auto e = plan_.step("blobstore.remove")) return *e;
    return inner_.remove(hash);
  }
  Result<std::vector<StoredBlob>> list() override { return inner_.list(); }
  Result<int> remove_leftovers() override { return inner_.remove_leftovers(); }
  bool healthy() const override { return inner_.healthy(); }

 private:
  class Writer final : public BlobWriter {
   public:
    Writer(std::unique_ptr<BlobWriter> w, FaultPlan& p) : inner_(std::move(w)), plan_(p) {}
    Result<void> write(std::string_view bytes) override { return inner_->write(bytes); }
    Result<BlobInfo> finish() override { return inner_->finish(); }
    Result<void> commit() override {
      if (auto e = plan_.step("blobstore.commit")) return *e;
      return inner_->commit();
    }

   private:
    std::unique_ptr<BlobWriter> inner_;
    FaultPlan& plan_;
  };

  BlobStore& inner_;
  FaultPlan& plan_;
};

}  // namespace vc::test
