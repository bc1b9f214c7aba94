// The content pipeline through the library (issue 12): uploads become jobs in the same transaction,
// run_pending converts them with the real tools, failures are retried or final by their cause, a dead
// worker's job is taken over after its lease, identical bytes convert once, derived files go with
// their bytes. The HTTP side and the slower conversions (LibreOffice, renditions, kill -9) are in
// tests/integration/test_pipeline.py.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <mutex>

#include "pipeline/converters.hpp"
#include "pipeline/derived_store.hpp"
#include "services_world.hpp"
#include "videocontrol/devices.hpp"
#include "videocontrol/events.hpp"
#include "videocontrol/jobs.hpp"
#include "videocontrol/pipeline.hpp"
#include "videocontrol/storage.hpp"

namespace vc {
namespace {

namespace fs = std::filesystem;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A PNG made by FFmpeg (a real encoder, not bytes posing as an image).
std::string ffmpeg_png(const test::TempDir& dir, const std::string& name, const std::string& colour, int w, int h) {
  const std::string path = dir.file(name);
  const std::string cmd = "ffmpeg -nostdin -v error -y -f lavfi -i color=c=" + colour + ":s=" + std::to_string(w) +
                          "x" + std::to_string(h) + " -frames:v 1 '" + path + "'";
  REQUIRE_MESSAGE(std::system(cmd.c_str()) == 0, cmd);
  return read_file(path);
}

struct PipelineWorld {
  test::TempDir dir;
  std::shared_ptr<ManualClock> clock = std::make_shared<ManualClock>();
  std::unique_ptr<Storage> storage = test::migrated_storage(dir.file("p.db"), 4);
  std::unique_ptr<RateLimiter> limiter = make_memory_rate_limiter(clock);
  std::unique_ptr<BlobStore> blobs = std::move(make_disk_blob_store(dir.file("content")).value());
  std::unique_ptr<Cache> cache = make_memory_cache(clock);
  std::unique_ptr<Services> svc;
  std::unique_ptr<ContentPipeline> pipeline;
  std::string derived_dir = dir.file("content/derived");
  Actor admin;
  std::mutex mu;
  std::vector<EventKind> events;

  PipelineWorld() {
    ServiceOptions o;
    o.password_hash = vc::test::kCheapHash;
    o.clock = clock;
    o.api_requests_per_minute = 100000;
    o.derived_dir = derived_dir;
    o.process_media = true;
    svc = std::move(Services::create({storage.get(), limiter.get(), blobs.get(), cache.get()}, o).value());
    REQUIRE(bootstrap_first_run(*storage, *clock, "Super-Password-1", vc::test::kCheapHash).ok());
    auto t = svc->auth().login("admin", "Super-Password-1", "127.0.0.1");
    admin = *svc->auth().authenticate(t->access_token, "127.0.0.1");
    PipelineOptions po;
    po.lease = std::chrono::seconds(30);
    po.retry_backoff = std::chrono::seconds(10);
    pipeline = std::make_unique<ContentPipeline>(*svc, *storage, derived_dir, po, "unit");
    svc->events().subscribe([this](const DomainEvent& e) {
      std::lock_guard lock(mu);
      events.push_back(e.kind);
    });
  }

  std::string device(const std::string& id) {
    REQUIRE(svc->devices().create(admin, {id, id}).ok());
    return id;
  }

  Media media(const std::string& id) { return svc->media().get(admin, id).value(); }

  int count(EventKind k) {
    std::lock_guard lock(mu);
    return static_cast<int>(std::count(events.begin(), events.end(), k));
  }
};

TEST_SUITE("pipeline") {

TEST_CASE("an upload becomes a job in its own transaction and run_pending makes it ready with a thumbnail") {
  PipelineWorld w;
  const auto dev = w.device("lobby");
  auto up = test::upload_bytes(*w.svc, w.admin, dev, "still.png", ffmpeg_png(w.dir, "a.png", "red", 64, 48));
  REQUIRE(up.ok());
  CHECK(up->file.media.status == "processing");
  CHECK(up->file.media.progress == 0);
  auto ran = w.pipeline->run_pending();
  REQUIRE(ran.ok());
  CHECK(*ran == 1);
  const Media m = w.media(up->file.media.id);
  CHECK(m.status == "ready");
  CHECK(m.progress == 100);
  CHECK(m.error.empty());
  CHECK(m.derived == ContentPipeline::profile(MediaKind::image, w.pipeline->options()));
  CHECK(m.metadata_json.find("\"width\":64") != std::string::npos);
  CHECK(m.metadata_json.find("\"height\":48") != std::string::npos);
  auto thumb = w.svc->media().derived(w.admin, dev, "still.png", DerivedPart::thumbnail);
  REQUIRE_MESSAGE(thumb.ok(), (thumb.ok() ? "" : thumb.error().message));
  CHECK(thumb->mime == "image/jpeg");
  CHECK(read_file(thumb->path).substr(0, 3) == "\xff\xd8\xff");
  CHECK(w.count(EventKind::media_processing) == 1);
  CHECK(w.count(EventKind::media_ready) == 1);
  CHECK(*w.pipeline->run_pending() == 0);  // nothing left
  // An image has no pages: said so, not a crash.
  auto page = w.svc->media().derived(w.admin, dev, "still.png", DerivedPart::page, 1);
  CHECK(page.error().code == ErrorCode::not_found);
}

TEST_CASE("bytes no tool can read fail for good with the reason, without retries") {
  PipelineWorld w;
  const auto dev = w.device("lobby");
  // An MP4 header and noise: sniffed as video, then refused by ffprobe.
  std::string fake = std::string("\x00\x00\x00\x18" "ftypisom\x00\x00\x02\x00isomiso2", 24) + std::string(4000, 'x');
  auto up = test::upload_bytes(*w.svc, w.admin, dev, "broken.mp4", fake);
  REQUIRE(up.ok());
  CHECK(*w.pipeline->run_pending() == 1);
  const Media m = w.media(up->file.media.id);
  CHECK(m.status == "error");
  CHECK(m.error.find("ffprobe") != std::string::npos);
  CHECK(w.count(EventKind::media_failed) == 1);
  CHECK(w.pipeline->stats().failed == 1);
  CHECK(w.pipeline->stats().retried == 0);
  auto thumb = w.svc->media().derived(w.admin, dev, "broken.mp4", DerivedPart::thumbnail);
  REQUIRE_FALSE(thumb.ok());
  CHECK(thumb.error().message.find("could not be processed") != std::string::npos);
}

TEST_CASE("a job whose worker died is taken over once its lease has run out") {
  PipelineWorld w;
  const auto dev = w.device("lobby");
  auto up = test::upload_bytes(*w.svc, w.admin, dev, "still.png", ffmpeg_png(w.dir, "a.png", "blue", 32, 32));
  REQUIRE(up.ok());
  JobQueue queue(*w.storage, w.clock);
  auto claimed = queue.claim("dead-instance-w0", std::chrono::seconds(30));
  REQUIRE(claimed.ok());
  REQUIRE(claimed->has_value());  // the "dead" worker holds it and never renews
  CHECK(*w.pipeline->run_pending() == 0);
  w.clock->advance(std::chrono::seconds(31));
  CHECK(*w.pipeline->run_pending() == 1);
  CHECK(w.media(up->file.media.id).status == "ready");
  auto job = queue.get((*claimed)->id);
  REQUIRE(job.ok());
  CHECK((*job)->status == JobStatus::done);
  CHECK((*job)->attempts == 2);
  // The dead worker cannot finish it any more.
  CHECK(queue.complete((*claimed)->id, "dead-instance-w0").error().code == ErrorCode::conflict);
}

TEST_CASE("a failure that may pass is retried with back-off, then fails with the attempts counted") {
  PipelineWorld w;
  const auto dev = w.device("lobby");
  auto up = test::upload_bytes(*w.svc, w.admin, dev, "still.png", ffmpeg_png(w.dir, "a.png", "green", 32, 32));
  REQUIRE(up.ok());
  // The bytes vanish (a disk problem): unavailable, so retried.
  REQUIRE(w.blobs->remove(up->file.media.blob_hash).ok());
  CHECK(*w.pipeline->run_pending() == 1);
  CHECK(w.media(up->file.media.id).status == "processing");
  CHECK(*w.pipeline->run_pending() == 0);  // not due before the back-off
  w.clock->advance(std::chrono::seconds(10));
  CHECK(*w.pipeline->run_pending() == 1);  // attempt 2, back-off 20 s
  w.clock->advance(std::chrono::seconds(19));
  CHECK(*w.pipeline->run_pending() == 0);
  w.clock->advance(std::chrono::seconds(1));
  CHECK(*w.pipeline->run_pending() == 1);  // attempt 3: the last
  const Media m = w.media(up->file.media.id);
  CHECK(m.status == "error");
  CHECK(m.error.find("after 3 attempts") != std::string::npos);
  CHECK(w.pipeline->stats().retried == 2);
  CHECK(w.pipeline->stats().failed == 1);
}

TEST_CASE("the same bytes in two organisations convert once, and derived files go with the last reference") {
  PipelineWorld w;
  auto a = w.svc->organizations().create(w.admin, {"Org A", "org-a", "PRO", "UTC"}).value();
  auto b = w.svc->organizations().create(w.admin, {"Org B", "org-b", "PRO", "UTC"}).value();
  REQUIRE(w.svc->users().create(w.admin, {"op-a", "Password-op-a-1", "operator", a.id}).ok());
  REQUIRE(w.svc->users().create(w.admin, {"op-b", "Password-op-b-1", "operator", b.id}).ok());
  auto actor = [&](const char* u, const char* pw) {
    auto t = w.svc->auth().login(u, pw, "127.0.0.1").value();
    return w.svc->auth().authenticate(t.access_token, "127.0.0.1").value();
  };
  const Actor op_a = actor("op-a", "Password-op-a-1"), op_b = actor("op-b", "Password-op-b-1");
  REQUIRE(w.svc->devices().create(op_a, DeviceInput{"screen-a", "A"}).ok());
  REQUIRE(w.svc->devices().create(op_b, DeviceInput{"screen-b", "B"}).ok());
  const std::string png = ffmpeg_png(w.dir, "a.png", "yellow", 40, 30);
  auto ua = test::upload_bytes(*w.svc, op_a, "screen-a", "x.png", png);
  auto ub = test::upload_bytes(*w.svc, op_b, "screen-b", "y.png", png);
  REQUIRE(ua.ok());
  REQUIRE(ub.ok());
  CHECK(ua->file.media.id != ub->file.media.id);  // one media item per organisation, one blob
  CHECK(*w.pipeline->run_pending() == 2);
  CHECK(w.pipeline->stats().reused == 1);
  CHECK(w.svc->media().get(op_b, ub->file.media.id)->status == "ready");
  const std::string hash_dir = w.derived_dir + "/" + png.substr(0, 0) + ua->file.media.blob_hash.substr(0, 2) + "/" +
                               ua->file.media.blob_hash;
  CHECK(fs::is_directory(hash_dir));
  CHECK(std::distance(fs::directory_iterator(hash_dir), fs::directory_iterator()) == 1);
  REQUIRE(w.svc->media().remove(op_a, ua->file.media.id).ok());
  CHECK(fs::is_directory(hash_dir));  // organisation B still has the bytes
  REQUIRE(w.svc->media().remove(op_b, ub->file.media.id).ok());
  CHECK_FALSE(fs::exists(hash_dir));
}

TEST_CASE("reprocess checks the actor and queues the file again") {
  PipelineWorld w;
  const auto dev = w.device("lobby");
  auto up = test::upload_bytes(*w.svc, w.admin, dev, "still.png", ffmpeg_png(w.dir, "a.png", "white", 16, 16));
  REQUIRE(up.ok());
  CHECK(*w.pipeline->run_pending() == 1);
  auto job = w.pipeline->reprocess(w.admin, dev, "still.png");
  REQUIRE(job.ok());
  CHECK(w.media(up->file.media.id).status == "processing");
  CHECK(*w.pipeline->run_pending() == 1);
  CHECK(w.media(up->file.media.id).status == "ready");
  CHECK(w.pipeline->reprocess(w.admin, dev, "nope.png").error().code == ErrorCode::not_found);
  CHECK(w.pipeline->reprocess(w.admin, dev, "still.png", true).error().code == ErrorCode::invalid);
  CHECK(w.pipeline->reprocess(Actor{}, dev, "still.png").error().code == ErrorCode::not_found);
}

TEST_CASE("derived folders are published whole, once, and by fixed names only") {
  test::TempDir dir;
  pipeline::DerivedStore store(dir.file("derived"));
  const std::string hash(64, 'a');
  auto work = store.make_work_dir("job-1");
  REQUIRE(work.ok());
  fs::create_directories(*work + "/out");
  std::ofstream(*work + "/out/000001.png") << "first";
  CHECK_FALSE(store.published(hash, "pages-v1"));
  REQUIRE(store.publish(*work + "/out", hash, "pages-v1", R"({"files":["000001.png"]})").ok());
  CHECK(store.published(hash, "pages-v1"));
  CHECK(store.work_dirs() == std::vector<std::string>{"job-1"});
  store.remove_work_dir("job-1");
  CHECK(store.work_dirs().empty());
  // A second worker publishing the same conversion keeps the first folder.
  auto work2 = store.make_work_dir("job-2");
  fs::create_directories(*work2 + "/out");
  std::ofstream(*work2 + "/out/000001.png") << "second";
  REQUIRE(store.publish(*work2 + "/out", hash, "pages-v1", "{}").ok());
  CHECK(read_file(store.file(hash, "pages-v1", "000001.png").value()) == "first");
  CHECK(store.manifest(hash, "pages-v1").value() == R"({"files":["000001.png"]})");
  // Only fixed, plain names.
  CHECK(store.file(hash, "pages-v1", "../x").error().code == ErrorCode::invalid);
  CHECK(store.file(hash, "../pages", "000001.png").error().code == ErrorCode::invalid);
  CHECK(store.file("nothex", "pages-v1", "000001.png").error().code == ErrorCode::invalid);
  CHECK(store.file(hash, "pages-v1", "000002.png").error().code == ErrorCode::not_found);
  CHECK(store.make_work_dir("../escape").error().code == ErrorCode::invalid);
  REQUIRE(store.remove_all(hash).ok());
  CHECK_FALSE(store.published(hash, "pages-v1"));
}

TEST_CASE("pages are fitted into the box keeping their aspect ratio") {
  using pipeline::fit_box;
  CHECK(fit_box(595.3, 841.9, 1920, 1080) == std::pair{764, 1080});   // A4 portrait
  CHECK(fit_box(841.9, 595.3, 1920, 1080) == std::pair{1527, 1080});  // A4 landscape
  CHECK(fit_box(960, 540, 1920, 1080) == std::pair{1920, 1080});      // 16:9
  CHECK(fit_box(720, 540, 1920, 1080) == std::pair{1440, 1080});      // 4:3
  CHECK(fit_box(3000, 100, 1920, 1080) == std::pair{1920, 64});       // a banner
  CHECK(fit_box(1, 100000, 1920, 1080) == std::pair{1, 1080});        // never 0 wide
  CHECK(fit_box(1921, 1081, 1920, 1080, true) == std::pair{1918, 1080});
  CHECK(pipeline::office_extension("application/vnd.oasis.opendocument.presentation") == "odp");
  CHECK(pipeline::office_extension("application/msword") == "doc");
}

TEST_CASE("profiles name what shapes the output") {
  PipelineOptions o;
  CHECK(ContentPipeline::profile(MediaKind::pdf, o) == ContentPipeline::profile(MediaKind::pptx, o));
  const auto before = ContentPipeline::profile(MediaKind::pdf, o);
  o.page_width = 1280;
  o.page_height = 720;
  CHECK(ContentPipeline::profile(MediaKind::pdf, o) != before);
  CHECK(ContentPipeline::profile(MediaKind::video, o) != ContentPipeline::profile(MediaKind::video, o, true));
  for (auto k : {MediaKind::video, MediaKind::audio, MediaKind::image, MediaKind::pdf, MediaKind::pptx, MediaKind::zip,
                 MediaKind::document})
    CHECK(pipeline::DerivedStore::valid_profile(ContentPipeline::profile(k, o)));
}

}  // TEST_SUITE

}  // namespace
}  // namespace vc
