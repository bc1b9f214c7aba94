// Failure modes, LevelDB style: every storage step of an upload, a device delete, a playback
// command and a job claim/complete is failed in turn (FaultStorage, fault_storage.hpp), and after
// each failed attempt the database and the blob files must hold no half state: no media row without
// bytes, no bytes without a row (at once, or after the sweeper where a cleanup itself failed),
// refcounts equal to the rows, quota usage exact, no job left leased; and a retry succeeds.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "fake_transport.hpp"
#include "fault_storage.hpp"
#include "services_world.hpp"
#include "test_support.hpp"
#include "videocontrol/bootstrap.hpp"
#include "videocontrol/cache.hpp"
#include "videocontrol/clock.hpp"
#include "videocontrol/devices.hpp"
#include "videocontrol/installation.hpp"
#include "videocontrol/jobs.hpp"
#include "videocontrol/media.hpp"
#include "videocontrol/playback.hpp"
#include "videocontrol/rate_limiter.hpp"
#include "videocontrol/realtime_hub.hpp"
#include "videocontrol/services.hpp"

using namespace vc;
using namespace std::chrono_literals;
using vc::test::FaultPlan;

namespace {

std::string png(const std::string& tag) { return std::string("\x89PNG\r\n\x1a\n", 8) + "img:" + tag + std::string(64, 'p'); }
std::string mp4(const std::string& tag) {
  return std::string("\0\0\0\x18" "ftypisom", 12) + "vid:" + tag + std::string(128, 'v');
}

struct FaultWorld {
  test::TempDir dir;
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  std::unique_ptr<Storage> real = test::migrated_storage(dir.file("fault.db"), 4);
  std::unique_ptr<BlobStore> real_blobs = std::move(make_disk_blob_store(dir.file("content")).value());
  FaultPlan plan;
  test::FaultStorage storage{*real, plan};
  test::FaultBlobStore blobs{*real_blobs, plan};
  std::unique_ptr<RateLimiter> limiter = make_memory_rate_limiter(clock);
  std::unique_ptr<Cache> cache = make_memory_cache(clock);
  std::unique_ptr<Services> svc;
  Actor super, op, op2;
  Organization org, org2;

  FaultWorld() {
    ServiceOptions o;
    o.password_hash = vc::test::kCheapHash;
    o.clock = clock;
    o.api_requests_per_minute = 100000;
    auto s = Services::create({&storage, limiter.get(), &blobs, cache.get()}, o);
    REQUIRE(s.ok());
    svc = std::move(*s);
    REQUIRE(bootstrap_first_run(*real, *clock, "Super-Password-1", vc::test::kCheapHash).ok());
    super = login("admin", "Super-Password-1");
    org = make_org("fault-org");
    org2 = make_org("other-org");
    op = user_in(org, "op_f");
    op2 = user_in(org2, "op_g");
  }

  Actor login(const std::string& user, const std::string& pw) {
    auto t = svc->auth().login(user, pw, "127.0.0.1");
    REQUIRE(t.ok());
    auto a = svc->auth().authenticate(t->access_token, "127.0.0.1");
    REQUIRE(a.ok());
    return *a;
  }
  Organization make_org(const std::string& slug) {
    auto o = svc->organizations().create(super, {slug, slug, "FREE", "UTC"});
    REQUIRE(o.ok());
    return *o;
  }
  Actor user_in(const Organization& o, const std::string& name) {
    REQUIRE(svc->users().create(super, {name, "Password-" + name + "-1", "operator", o.id}).ok());
    return login(name, "Password-" + name + "-1");
  }

  Result<UploadResult> upload(const Actor& a, std::string_view device, const std::string& name, const std::string& bytes) {
    return test::upload_bytes(*svc, a, device, name, bytes);
  }
  void must(const Result<void>& r) { REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message)); }
  template <class T>
  T must(Result<T> r) {
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
    return std::move(*r);
  }

  // Every organisation, read from the real storage (no faults).
  std::vector<Organization> all_orgs() {
    std::vector<Organization> out;
    REQUIRE(real->read([&](StorageSession& s) -> Result<void> {
      out = s.organizations().list("", 1000).value();
      return {};
    }).ok());
    return out;
  }

  // Every media row of every organisation, read from the real storage (no faults).
  std::vector<Media> all_media() {
    std::vector<Media> out;
    const auto orgs = all_orgs();
    REQUIRE(real->read([&](StorageSession& s) -> Result<void> {
      for (const auto& o : orgs) {
        auto rows = s.media().list(o.id, "", "", 10000);
        REQUIRE(rows.ok());
        out.insert(out.end(), rows->begin(), rows->end());
      }
      return {};
    }).ok());
    return out;
  }

  std::map<std::string, std::int64_t> blob_files() {
    std::map<std::string, std::int64_t> out;
    auto listed = real_blobs->list();  // kept: value() refers into it
    REQUIRE(listed.ok());
    for (const auto& b : *listed) out[b.hash] = b.size;
    return out;
  }
  std::size_t temp_files() {
    std::size_t n = 0;
    for (auto& e : std::filesystem::directory_iterator(dir.path() / "content" / "tmp")) (void)e, ++n;
    return n;
  }

  // The invariants. `allow_orphan_files`: bytes no row references may remain (a cleanup failed and
  // the sweeper has not run yet); everything else must hold exactly.
  void check_consistent(bool allow_orphan_files = false) {
    const auto media = all_media();
    const auto orgs = all_orgs();
    const auto files = blob_files();
    std::map<std::string, std::int64_t> rows_per_hash;
    for (const auto& m : media) {
      ++rows_per_hash[m.blob_hash];
      INFO("media ", m.name, " ", m.blob_hash);
      auto f = files.find(m.blob_hash);
      REQUIRE_MESSAGE(f != files.end(), "a media row without its bytes");
      CHECK(f->second == m.size);
    }
    REQUIRE(real->read([&](StorageSession& s) -> Result<void> {
      for (const auto& [hash, n] : rows_per_hash) CHECK(s.blobs().refcount(hash).value() == n);
      for (const auto& [hash, size] : files)
        if (!rows_per_hash.count(hash)) CHECK(s.blobs().refcount(hash).value() == 0);
      for (const auto& o : orgs) {
        std::set<std::string> hashes;
        std::int64_t referenced = 0;
        for (const auto& m : media)
          if (m.organization_id == o.id && hashes.insert(m.blob_hash).second) referenced += files.at(m.blob_hash);
        CHECK(s.organizations().storage_bytes(o.id).value() == referenced);
      }
      return {};
    }).ok());
    if (!allow_orphan_files)
      for (const auto& [hash, size] : files) CHECK_MESSAGE(rows_per_hash.count(hash) == 1, "bytes no row references: ", hash);
    CHECK(temp_files() == 0);
  }

  // Sweeps with no margin, then everything must hold exactly.
  BlobSweepReport sweep_and_check() {
    plan.reset();
    auto r = must(svc->media().sweep_blobs(Actor::system(), 0s));
    CHECK(r.failed == 0);
    check_consistent(false);
    return r;
  }
};

// Fails step n (one-shot, or from n on when `sticky`) around `attempt`; returns whether a fault hit.
template <class F>
bool with_fault(FaultPlan& plan, int n, bool sticky, F&& attempt) {
  plan.reset();
  if (sticky) plan.fail_from(n);
  else plan.fail_step(n);
  attempt();
  plan.disarm();  // what failed stays readable
  return plan.hit();
}

constexpr int kMaxSteps = 200;  // a guard: every operation here takes far fewer steps

}  // namespace

TEST_SUITE("failure_modes") {

TEST_CASE("an upload failed at any step keeps no row, no bytes and the quota exact; a retry succeeds") {
  FaultWorld w;
  w.must(w.svc->devices().create(w.op, {"lobby", "Lobby"}));
  w.must(w.svc->devices().create(w.op2, {"hall", "Hall"}));
  // The other organisation already stores some bytes: a failed upload of the same bytes must not
  // delete them.
  const std::string shared = png("shared");
  w.must(w.upload(w.op2, "hall", "shared.png", shared));

  for (bool sticky : {false, true}) {
    for (bool same_bytes : {false, true}) {
      int n = 1;
      for (; n < kMaxSteps; ++n) {
        CAPTURE(sticky);
        CAPTURE(same_bytes);
        CAPTURE(n);
        const std::string bytes = same_bytes ? shared : png(std::string(sticky ? "s" : "o") + std::to_string(n));
        const std::string name = "f" + std::to_string(n) + (sticky ? "s" : "") + (same_bytes ? "d" : "") + ".png";
        const auto before = w.all_media().size();
        Result<UploadResult> r = make_error(ErrorCode::internal, "not run");
        const bool hit = with_fault(w.plan, n, sticky, [&] { r = w.upload(w.op, "lobby", name, bytes); });
        if (!hit) {
          REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
          w.check_consistent();
          break;
        }
        const std::string hit_step = w.plan.hit_step();
        CAPTURE(hit_step);
        CHECK_FALSE(r.ok());  // every step of an upload is before or in its one transaction
        CHECK(w.all_media().size() == before);
        // A one-shot fault: the failed upload removed its own bytes. A lasting one: the cleanup
        // failed too, and the sweeper removes what is left.
        w.check_consistent(/*allow_orphan_files=*/sticky);
        w.sweep_and_check();
        // The retry.
        auto again = w.upload(w.op, "lobby", name, bytes);
        REQUIRE_MESSAGE(again.ok(), (again.ok() ? "" : again.error().message));
        w.check_consistent();
        w.must(w.svc->media().remove(w.op, again->file.media.id));
        w.check_consistent();
      }
      CHECK(n > 5);  // the loop really went through the steps
      MESSAGE("upload: ", n - 1, " steps failed in turn (sticky=", sticky, ", same bytes=", same_bytes, ")");
    }
  }
}

TEST_CASE("a device delete failed at any step keeps the device and its media, or all of it goes") {
  FaultWorld w;
  w.must(w.svc->devices().create(w.op, {"keeper", "Keeper"}));
  for (bool sticky : {false, true}) {
    int n = 1;
    for (; n < kMaxSteps; ++n) {
      CAPTURE(sticky);
      CAPTURE(n);
      const std::string id = "doomed-" + std::to_string(n) + (sticky ? "s" : "");
      w.must(w.svc->devices().create(w.op, {id, "Doomed"}));
      // Media only on this device; its own placeholder; media shared with the keeper; the keeper's
      // placeholder offered only here.
      auto only = w.must(w.upload(w.op, id, "only.png", png(id + "only")));
      auto own_ph = w.must(w.upload(w.op, id, "ph.png", png(id + "ph")));
      auto shared = w.must(w.upload(w.op, id, "shared.png", png(id + "shared")));
      w.must(w.svc->media().link(w.op, shared.file.media.id, "keeper", id + "-shared.png"));
      auto keeper_ph = w.must(w.upload(w.op, id, "kph.png", png(id + "kph")));
      w.must(w.svc->devices().set_placeholder(w.op, id, own_ph.file.media.id));
      w.must(w.svc->devices().set_placeholder(w.op, "keeper", keeper_ph.file.media.id));
      w.check_consistent();
      const auto before = w.all_media().size();

      Result<void> r;
      const bool hit = with_fault(w.plan, n, sticky, [&] { r = w.svc->devices().remove(w.op, id); });
      const std::string hit_step = w.plan.hit_step();
      const int hit_tx = w.plan.hit_write_tx();
      CAPTURE(hit_step);
      CAPTURE(hit_tx);
      const bool gone = !w.svc->devices().get(w.op, id).ok();
      if (hit && hit_tx <= 1) CHECK_FALSE(r.ok());  // in (or before) the delete's transaction
      if (r.ok()) {
        CHECK(gone);
        CHECK(w.all_media().size() == before - 2);  // only.png and ph.png went with it
        CHECK(w.svc->media().get(w.op, shared.file.media.id).ok());
        CHECK(w.svc->media().get(w.op, keeper_ph.file.media.id).ok());
        CHECK_FALSE(w.svc->media().get(w.op, only.file.media.id).ok());
        CHECK_FALSE(w.svc->media().get(w.op, own_ph.file.media.id).ok());
      } else {
        CHECK_FALSE(gone);
        CHECK(w.all_media().size() == before);
        CHECK(w.svc->devices().get(w.op, id)->device.placeholder_media_id == own_ph.file.media.id);
      }
      // Bytes may outlive their rows only when the cleanup after the commit failed.
      w.check_consistent(/*allow_orphan_files=*/r.ok() && hit);
      w.sweep_and_check();
      if (!r.ok()) {
        w.must(w.svc->devices().remove(w.op, id));  // the retry
        w.check_consistent();
      }
      // Tidy up for the next round: the keeper's placeholder and the shared file.
      w.must(w.svc->devices().clear_placeholder(w.op, "keeper"));
      w.must(w.svc->media().remove(w.op, keeper_ph.file.media.id));
      w.must(w.svc->media().remove(w.op, shared.file.media.id));
      w.check_consistent();
      if (!hit) break;
    }
    CHECK(n > 10);
    MESSAGE("device delete: ", n - 1, " steps failed in turn (sticky=", sticky, ")");
  }
}

TEST_CASE("an organisation delete failed at any step keeps it whole, or its media and their bytes all go") {
  FaultWorld w;
  w.must(w.svc->devices().create(w.op2, {"hall", "Hall"}));
  const std::string shared = png("org-shared");
  w.must(w.upload(w.op2, "hall", "shared.png", shared));  // the other organisation keeps these bytes
  for (bool sticky : {false, true}) {
    int n = 1;
    for (; n < kMaxSteps; ++n) {
      CAPTURE(sticky);
      CAPTURE(n);
      const std::string tag = std::to_string(n) + (sticky ? "s" : "o");
      const Organization doomed = w.make_org("doomed-" + tag);
      const Actor op = w.user_in(doomed, "op_" + tag);
      w.must(w.svc->devices().create(op, {"d-" + tag, "Doomed"}));
      auto own = w.must(w.upload(op, "d-" + tag, "own.png", png("own" + tag)));
      w.must(w.upload(op, "d-" + tag, "shared.png", shared));
      w.check_consistent();
      const auto files_before = w.blob_files();

      Result<void> r;
      const bool hit = with_fault(w.plan, n, sticky, [&] { r = w.svc->organizations().remove(w.super, doomed.id); });
      const int hit_tx = w.plan.hit_write_tx();
      CAPTURE(w.plan.hit_step());
      if (hit && hit_tx <= 1) CHECK_FALSE(r.ok());
      const bool gone = !w.svc->organizations().get(w.super, doomed.id).ok();
      CHECK(gone == r.ok());
      if (!r.ok()) CHECK(w.blob_files() == files_before);  // nothing of it changed
      // Its own bytes outlive it only when the cleanup after the commit failed; the shared bytes stay.
      w.check_consistent(/*allow_orphan_files=*/r.ok() && hit);
      w.sweep_and_check();
      CHECK(w.blob_files().count(own.file.media.blob_hash) == (r.ok() ? 0u : 1u));
      if (!r.ok()) {
        w.must(w.svc->organizations().remove(w.super, doomed.id));  // the retry
        w.check_consistent();
      }
      CHECK(w.blob_files().count(own.file.media.blob_hash) == 0);
      REQUIRE(w.blob_files().count(w.must(w.svc->media().list(w.op2, {})).items.at(0).blob_hash) == 1);
      if (!hit) break;
    }
    CHECK(n > 3);
    MESSAGE("organisation delete: ", n - 1, " steps failed in turn (sticky=", sticky, ")");
  }
}

TEST_CASE("a playback command failed at any step leaves the stored state as it was") {
  FaultWorld w;
  w.must(w.svc->devices().create(w.op, {"screen", "Screen"}));
  w.must(w.upload(w.op, "screen", "clip.mp4", mp4("clip")));
  int n = 1;
  for (; n < kMaxSteps; ++n) {
    CAPTURE(n);
    PlaybackCommand stop;
    stop.action = PlaybackAction::stop;
    w.must(w.svc->playback().command(w.op, "screen", stop));
    const auto before = w.must(w.svc->playback().state(w.op, "screen"));
    PlaybackCommand play;
    play.file = "clip.mp4";
    Result<PlaybackOutcome> r = make_error(ErrorCode::internal, "not run");
    const bool hit = with_fault(w.plan, n, false, [&] { r = w.svc->playback().command(w.op, "screen", play); });
    const auto after = w.must(w.svc->playback().state(w.op, "screen"));
    if (!hit) {
      REQUIRE(r.ok());
      CHECK(after.state == PlaybackState::playing);
      break;
    }
    const std::string hit_step = w.plan.hit_step();
    CAPTURE(hit_step);
    CHECK_FALSE(r.ok());
    CHECK(after.state == before.state);
    CHECK(after.file == before.file);
    CHECK(after.updated_at_ms == before.updated_at_ms);
    auto again = w.svc->playback().command(w.op, "screen", play);
    REQUIRE(again.ok());
    CHECK(w.must(w.svc->playback().state(w.op, "screen")).state == PlaybackState::playing);
  }
  CHECK(n > 2);
  MESSAGE("playback command: ", n - 1, " steps failed in turn");
  w.check_consistent();
}

TEST_CASE("a job claim or completion failed at any step leaves no job leased by nobody") {
  FaultWorld w;
  JobQueue jobs(w.storage, w.clock);
  int n = 1;
  for (; n < kMaxSteps; ++n) {
    CAPTURE(n);
    auto job = w.must(jobs.enqueue(w.org.id, "test.work", "{}"));
    Result<std::optional<Job>> claimed = make_error(ErrorCode::internal, "not run");
    const bool hit = with_fault(w.plan, n, false, [&] { claimed = jobs.claim("worker-1", 60s); });
    auto stored = w.must(jobs.get(job.id));
    REQUIRE(stored);
    if (hit) {
      CHECK_FALSE(claimed.ok());
      CHECK(stored->status == JobStatus::queued);  // not leased to a worker that never heard of it
      CHECK(stored->claimed_by.empty());
      claimed = jobs.claim("worker-1", 60s);  // the retry
    }
    REQUIRE(claimed.ok());
    REQUIRE(*claimed);
    CHECK((*claimed)->id == job.id);
    CHECK(w.must(jobs.get(job.id))->status == JobStatus::running);
    // Completion, failed at the same step.
    Result<void> done;
    const bool hit2 = with_fault(w.plan, n, false, [&] { done = jobs.complete(job.id, "worker-1"); });
    auto after = w.must(jobs.get(job.id));
    if (hit2) {
      CHECK_FALSE(done.ok());
      CHECK(after->status == JobStatus::running);  // still this worker's, whose lease runs out if it dies
      CHECK(after->claimed_by == "worker-1");
      done = jobs.complete(job.id, "worker-1");
    }
    REQUIRE(done.ok());
    CHECK(w.must(jobs.get(job.id))->status == JobStatus::done);
    if (!hit && !hit2) break;
  }
  CHECK(n > 2);
  MESSAGE("job claim/complete: ", n - 1, " steps failed in turn");
}

TEST_CASE("a failed commit keeps nothing of an upload, a delete or a command") {
  FaultWorld w;
  w.must(w.svc->devices().create(w.op, {"lobby", "Lobby"}));
  // Upload.
  w.plan.reset();
  w.plan.fail_next_commit();
  auto up = w.upload(w.op, "lobby", "a.png", png("commit"));
  CHECK_FALSE(up.ok());
  CHECK(w.all_media().empty());
  w.check_consistent();  // the bytes were collected at once
  CHECK(w.blob_files().empty());
  auto ok = w.must(w.upload(w.op, "lobby", "a.png", png("commit")));
  // Media delete.
  w.plan.fail_next_commit();
  CHECK_FALSE(w.svc->media().remove(w.op, ok.file.media.id).ok());
  CHECK(w.all_media().size() == 1);
  w.check_consistent();
  // Playback.
  w.plan.fail_next_commit();
  PlaybackCommand play;
  play.file = "a.png";
  CHECK_FALSE(w.svc->playback().command(w.op, "lobby", play).ok());
  CHECK(w.must(w.svc->playback().state(w.op, "lobby")).state != PlaybackState::playing);
  // Device delete.
  w.plan.fail_next_commit();
  CHECK_FALSE(w.svc->devices().remove(w.op, "lobby").ok());
  CHECK(w.svc->devices().get(w.op, "lobby").ok());
  w.check_consistent();
  w.plan.reset();
  w.must(w.svc->devices().remove(w.op, "lobby"));
  w.check_consistent();
  CHECK(w.blob_files().empty());
}

TEST_CASE("while an upload's commit is slow, readers see the old state and a sweep does not take its bytes") {
  FaultWorld w;
  w.must(w.svc->devices().create(w.op, {"lobby", "Lobby"}));
  w.plan.reset();
  w.plan.slow_commits(400ms);
  Result<UploadResult> r = make_error(ErrorCode::internal, "not run");
  std::thread uploader([&] { r = w.upload(w.op, "lobby", "slow.png", png("slow")); });
  std::this_thread::sleep_for(150ms);  // the upload is inside its transaction, waiting to commit
  CHECK(w.all_media().empty());        // nothing half visible
  // The sweeper sees bytes no committed row references, but waits for the blob's lock and then
  // finds the reference: it keeps them.
  auto swept = w.svc->media().sweep_blobs(Actor::system(), 0s);
  uploader.join();
  w.plan.reset();
  REQUIRE(r.ok());
  REQUIRE(swept.ok());
  CHECK(swept->removed == 0);
  CHECK(w.all_media().size() == 1);
  w.check_consistent();
}

TEST_CASE("the sweeper removes only old unreferenced bytes, and only for the system actor") {
  FaultWorld w;
  w.must(w.svc->devices().create(w.op, {"lobby", "Lobby"}));
  auto kept = w.must(w.upload(w.op, "lobby", "kept.png", png("kept")));
  // Bytes a crash left between the rename and the commit.
  auto writer = w.must(w.real_blobs->create(1 << 20));
  w.must(writer->write(png("orphan")));
  auto info = w.must(writer->finish());
  w.must(writer->commit());
  CHECK(w.blob_files().size() == 2);

  CHECK(w.svc->media().sweep_blobs(w.op, 0s).error().code == ErrorCode::forbidden);
  CHECK(w.svc->media().sweep_blobs(w.super, 0s).error().code == ErrorCode::forbidden);
  auto young = w.must(w.svc->media().sweep_blobs(Actor::system(), 3600s));
  CHECK(young.scanned == 2);
  CHECK(young.young == 2);
  CHECK(young.removed == 0);
  CHECK(w.blob_files().size() == 2);
  auto report = w.sweep_and_check();
  CHECK(report.scanned == 2);
  CHECK(report.removed == 1);
  CHECK(report.bytes_removed == info.size);
  CHECK(w.blob_files().count(kept.file.media.blob_hash) == 1);
}

TEST_CASE("a concurrent upload and delete of the same bytes never lose them") {
  FaultWorld w;
  w.must(w.svc->devices().create(w.op, {"lobby", "Lobby"}));
  w.must(w.svc->devices().create(w.op2, {"hall", "Hall"}));
  for (int i = 0; i < 15; ++i) {
    CAPTURE(i);
    const std::string bytes = png("race" + std::to_string(i));
    auto theirs = w.must(w.upload(w.op2, "hall", "x.png", bytes));
    Result<UploadResult> mine = make_error(ErrorCode::internal, "not run");
    Result<void> removed;
    std::thread up([&] { mine = w.upload(w.op, "lobby", "x.png", bytes); });
    std::thread del([&] { removed = w.svc->media().remove(w.op2, theirs.file.media.id); });
    up.join();
    del.join();
    REQUIRE(mine.ok());
    REQUIRE(removed.ok());
    w.check_consistent();  // my row's bytes are there, nobody else's are left
    w.must(w.svc->media().remove(w.op, mine->file.media.id));
  }
  w.check_consistent();
  CHECK(w.blob_files().empty());
}

TEST_CASE("Installation::open sweeps unreferenced bytes older than sweep_blobs_min_age") {
  namespace fs = std::filesystem;
  test::TempDir dir;
  InstallationOptions o;
  o.password_hash = vc::test::kCheapHash;
  o.data_dir = dir.file("data");
  o.admin_password = "Super-Password-1";
  { REQUIRE(Installation::open(o).ok()); }
  const fs::path blobs = dir.path() / "data" / "content" / "blobs";
  const fs::path old_file = blobs / "aa" / ("aa" + std::string(62, '0'));
  const fs::path young_file = blobs / "bb" / ("bb" + std::string(62, '1'));
  for (const auto& p : {old_file, young_file}) {
    fs::create_directories(p.parent_path());
    std::FILE* f = std::fopen(p.c_str(), "wb");
    REQUIRE(f);
    std::fputs("left by a crash", f);
    std::fclose(f);
  }
  fs::last_write_time(old_file, fs::file_time_type::clock::now() - std::chrono::hours(2));
  {
    auto inst = Installation::open(o);
    REQUIRE(inst.ok());
    CHECK_FALSE(fs::exists(old_file));
    CHECK(fs::exists(young_file));  // within the default hour: perhaps an upload committing right now
  }
  o.sweep_blobs_min_age = std::chrono::seconds(-1);  // off
  fs::last_write_time(young_file, fs::file_time_type::clock::now() - std::chrono::hours(2));
  { REQUIRE(Installation::open(o).ok()); }
  CHECK(fs::exists(young_file));
}

}  // TEST_SUITE

TEST_SUITE("blob_store") {
TEST_CASE("the disk blob store is healthy while its folders exist, and the installation reports it") {
  test::TempDir dir;
  InstallationOptions o;
  o.password_hash = vc::test::kCheapHash;
  o.data_dir = dir.file("data");
  o.admin_password = "Super-Password-1";
  auto inst = Installation::open(o);
  REQUIRE_MESSAGE(inst.ok(), (inst.ok() ? "" : inst.error().message));
  CHECK((*inst)->blobs().healthy());
  CHECK((*inst)->health().content);
  std::filesystem::remove_all(std::filesystem::path(dir.file("data")) / "content" / "tmp");
  CHECK_FALSE((*inst)->blobs().healthy());  // uploads could not start
  CHECK_FALSE((*inst)->health().content);
  CHECK((*inst)->health().database);        // the rest of the installation is fine
}
}

TEST_CASE("a database that does not answer signs no control panel out; the command is refused, the panel stays") {
  FaultWorld w;
  test::FakeTransport sink;
  RealtimeHub hub(*w.svc);
  hub.attach(sink);
  auto token = w.svc->auth().login("op_f", "Password-op_f-1", "127.0.0.1");
  REQUIRE(token.ok());
  hub.on_open(1, "127.0.0.1", "");
  hub.on_packet(1, R"(0{"token":")" + token->access_token + R"("})");
  REQUIRE(hub.stats().controls == 1);
  w.plan.reset();
  w.plan.fail_from(1);  // every read and write fails from now on
  hub.sweep();
  CHECK_FALSE(sink.closed(1));
  hub.on_packet(1, R"(25["control/stop",{"device_id":"lobby"}])");
  const auto sent = sink.take(1);
  REQUIRE_FALSE(sent.empty());
  CHECK(sent.back().starts_with(R"(35[{"ok":false)"));
  CHECK(sent.back().find(R"("code":"unavailable")") != std::string::npos);
  CHECK_FALSE(sink.closed(1));
  CHECK(hub.stats().controls == 1);
  hub.detach();
}
