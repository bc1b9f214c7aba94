// The schedule engine (libvideocontrol/src/schedule/engine.cpp) over SQLite with a ManualClock: what
// it sends at item boundaries equals the timeline and the playlist positions, manual control holds
// the schedule, a new instance continues without resending, media are linked to the device.
#include <doctest/doctest.h>

#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <rapidjson/document.h>

#include "services_world.hpp"
#include "videocontrol/devices.hpp"
#include "videocontrol/events.hpp"
#include "videocontrol/playback.hpp"
#include "videocontrol/schedule_engine.hpp"
#include "videocontrol/scheduling.hpp"

using namespace vc;

namespace {

const std::string kPng = std::string("\x89PNG\r\n\x1a\n", 8);
constexpr std::int64_t kSec = 1000, kMin = 60 * kSec, kHour = 60 * kMin;
// 2026-12-07 00:00 UTC, a Monday.
constexpr std::int64_t kDay = 1'796'601'600'000;

struct Sent {
  std::int64_t at_ms;
  std::string device, event, file;
  std::optional<int> page;
  std::string text;  // player/message
  bool message_cleared = false;
};

struct Recorder final : ScheduleSink {
  const Clock& clock;
  explicit Recorder(const Clock& c) : clock(c) {}
  std::mutex mu;
  std::vector<Sent> sent;
  void deliver(std::string_view device, std::string_view event, const std::string& payload) override {
    Sent s{clock.now_ms(), std::string(device), std::string(event), {}, {}, {}, false};
    if (!payload.empty()) {
      rapidjson::Document d;
      d.Parse(payload.c_str(), payload.size());
      REQUIRE(d.IsObject());
      if (d.HasMember("file") && d["file"].IsString()) s.file = d["file"].GetString();
      if (d.HasMember("page") && d["page"].IsInt()) s.page = d["page"].GetInt();
      if (d.HasMember("text")) {
        if (d["text"].IsString()) s.text = d["text"].GetString();
        else s.message_cleared = d["text"].IsNull();
      }
    }
    std::lock_guard lock(mu);
    sent.push_back(std::move(s));
  }
  std::vector<Sent> take() {
    std::lock_guard lock(mu);
    return std::exchange(sent, {});
  }
};

template <class T>
T ok(Result<T> r) {
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  return std::move(*r);
}

struct Env {
  test::World w;
  Organization org = w.org("engine-org");
  Actor admin = w.user_in(org, "engine_admin", "admin");
  Actor speaker = w.user_in(org, "engine_speaker", "speaker");
  Scheduling& s = w.svc->scheduling();
  Recorder rec{*w.clock};
  std::unique_ptr<ScheduleEngine> engine;
  std::optional<DomainEvents::Subscription> sub;
  std::mutex seen_mu;
  std::uint64_t seen = 0;  // events the engine has been given

  explicit Env(ScheduleEngineOptions o = {}) {
    w.clock->set_ms(kDay);
    for (const char* d : {"lobby", "hall"}) REQUIRE(w.svc->devices().create(admin, {d, d}).ok());
    start(o);
  }
  ~Env() { stop(); }

  void start(ScheduleEngineOptions o = {}) {
    engine = std::make_unique<ScheduleEngine>(*w.svc, rec, o);
    sub = w.svc->events().subscribe([this](const DomainEvent& e) {
      engine->on_event(e);
      std::lock_guard lock(seen_mu);
      ++seen;
    });
  }
  void stop() {
    if (sub) w.svc->events().unsubscribe(*sub);
    sub.reset();
    engine.reset();
  }

  // Waits until the bus has handed the engine every event published so far (one marker event),
  // then runs what is due.
  std::optional<std::int64_t> settle() {
    std::uint64_t before;
    {
      std::lock_guard lock(seen_mu);
      before = seen;
    }
    DomainEvent marker;
    marker.kind = EventKind::device_renamed;
    marker.organization_id = "marker";
    w.svc->events().publish(marker);
    for (int i = 0; i < 400; ++i) {
      {
        std::lock_guard lock(seen_mu);
        if (seen > before) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return engine->run_due();
  }

  std::string media(const std::string& name, std::string_view device = "lobby") {
    auto r = test::upload_bytes(*w.svc, admin, device, name, kPng + name + std::string(64, 'x'));
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
    return r->file.media.id;
  }

  std::string video(const std::string& name, std::string_view device = "lobby") {
    auto bytes = std::string("\0\0\0\x18" "ftypisom", 12) + "vid:" + name + std::string(128, 'v');
    auto r = test::upload_bytes(*w.svc, admin, device, name, bytes);
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
    CHECK(r->file.media.kind == MediaKind::video);
    return r->file.media.id;
  }

  Playlist playlist(const std::string& name, std::vector<std::pair<std::string, std::int64_t>> items, bool loop = true) {
    PlaylistInput in;
    in.name = name;
    in.loop = loop;
    for (auto& [m, d] : items) in.items.push_back({m, d});
    return ok(s.create_playlist(admin, in));
  }

  Assignment assign(const std::string& playlist_id, const std::string& device, int priority, const std::string& schedule) {
    AssignmentInput in;
    in.playlist_id = playlist_id;
    in.device_id = device;
    in.priority = priority;
    in.schedule = ok(parse_schedule(schedule));
    return ok(s.create_assignment(admin, in));
  }

  std::string stored_file(const std::string& device) { return ok(w.svc->playback().state(admin, device)).file; }
};

}  // namespace

TEST_SUITE("schedule_engine") {

TEST_CASE("a looping playlist plays each item at its boundary and the state follows") {
  Env e;
  auto a = e.media("a.png"), b = e.media("b.png"), c = e.media("c.png");
  auto p = e.playlist("three", {{a, 10 * kSec}, {b, 20 * kSec}, {c, 30 * kSec}});
  e.w.clock->set_ms(kDay + kHour);
  e.assign(p.id, "lobby", 0, R"({"kind":"always"})");
  const std::int64_t since = e.w.clock->now_ms();  // the assignment's change restarts the playlist
  e.engine->track("lobby", e.org.id);
  auto next = e.settle();
  auto sent = e.rec.take();
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].event == "player/play");
  CHECK(sent[0].file == "a.png");
  CHECK(e.stored_file("lobby") == "a.png");
  REQUIRE(next);
  CHECK(*next == since + 10 * kSec);
  // Jump from due time to due time for two cycles: a b c a b c.
  std::vector<std::pair<std::int64_t, std::string>> plays;
  for (int i = 0; i < 5; ++i) {
    e.w.clock->set_ms(*next);
    next = e.settle();
    REQUIRE(next);
    for (auto& s : e.rec.take()) plays.emplace_back(s.at_ms - since, s.file);
  }
  std::vector<std::pair<std::int64_t, std::string>> want{
      {10 * kSec, "b.png"}, {30 * kSec, "c.png"}, {60 * kSec, "a.png"}, {70 * kSec, "b.png"}, {90 * kSec, "c.png"}};
  CHECK(plays == want);
  CHECK(e.stored_file("lobby") == "c.png");
  // Nothing is sent between boundaries.
  e.w.clock->set_ms(since + 100 * kSec);
  e.settle();
  CHECK(e.rec.take().empty());
  auto cue = e.engine->cue_at("lobby", since + 125 * kSec);
  REQUIRE(cue);
  CHECK(cue->file == "a.png");
  CHECK(cue->why == "assignment");
  CHECK(cue->begin_ms == since + 120 * kSec);
}

TEST_CASE("what the engine sends over a day equals the timeline, across the spring-forward gap") {
  Env e;
  OrganizationPatch zone;
  zone.timezone = "Europe/Berlin";
  auto updated = e.w.svc->organizations().update(e.admin, e.org.id, zone);
  REQUIRE_MESSAGE(updated.ok(), (updated.ok() ? "" : updated.error().message));
  // 29 March 2026: Berlin's clock jumps from 02:00 to 03:00 at 01:00 UTC. The range 02:30–04:00
  // starts when the clock jumps (01:00Z) and lasts one hour.
  const std::int64_t day = 1'774'742'400'000;  // 2026-03-29 00:00 UTC
  e.w.clock->set_ms(day - 2 * kHour - 10 * kMin);
  auto a = e.media("morning.png"), b = e.media("ad.png"), d = e.media("default.png");
  auto morning = e.playlist("morning", {{a, 15 * kMin}, {b, 5 * kMin}});
  auto fallback = e.playlist("fallback", {{d, kHour}});
  REQUIRE(e.s.set_device_settings(e.admin, "lobby", {fallback.id, ""}).ok());
  auto asg = e.assign(morning.id, "lobby", 5, R"({"kind":"weekly","ranges":[{"start":"02:30","end":"04:00"}]})");
  e.engine->track("lobby", e.org.id);
  auto next = e.settle();
  std::vector<Sent> all = e.rec.take();
  while (next && *next < day + 6 * kHour) {
    e.w.clock->set_ms(*next);
    next = e.settle();
    for (auto& s : e.rec.take()) all.push_back(s);
  }
  auto tl = ok(e.s.device_timeline(e.admin, "lobby", day, day + 6 * kHour));
  std::vector<std::string> why;
  for (const auto& en : tl.entries) why.push_back(std::string(to_string(en.source)));
  REQUIRE(why == std::vector<std::string>{"default_playlist", "assignment", "default_playlist"});
  const std::int64_t start = tl.entries[1].span.begin_ms, end = tl.entries[1].span.end_ms;
  CHECK(start == day + kHour);
  CHECK(end == day + 2 * kHour);
  // Every play within the window is the item the timeline and the playlist positions say.
  std::vector<std::pair<std::int64_t, std::string>> got, want;
  for (const auto& s : all)
    if (s.at_ms >= day && s.at_ms < day + 6 * kHour) got.emplace_back(s.at_ms, s.file);
  // The morning playlist from 01:00Z: 15 + 5 minutes, three times.
  for (std::int64_t t = start; t < end; t += 20 * kMin) {
    want.emplace_back(t, "morning.png");
    want.emplace_back(t + 15 * kMin, "ad.png");
  }
  // The default playlist counts from its last change before the assignment (its one item
  // restarts every hour at :50), and from the span's start after it.
  for (std::int64_t t = fallback.updated_at_ms; t < start; t += kHour)
    if (t >= day) want.emplace_back(t, "default.png");
  for (std::int64_t t = end; t < day + 6 * kHour; t += kHour) want.emplace_back(t, "default.png");
  std::sort(want.begin(), want.end());
  auto show = [&](const auto& v) {
    std::string out;
    for (const auto& [t, f] : v) out += std::to_string((t - day) / kMin) + "m " + f + "; ";
    return out;
  };
  INFO("got:  " << show(got));
  INFO("want: " << show(want));
  CHECK(got == want);
  (void)asg;
}

TEST_CASE("manual control holds the schedule until the next timeline boundary, or until resumed") {
  SUBCASE("until the boundary (default)") {
    Env e;
    auto a = e.media("a.png"), b = e.media("b.png"), m = e.media("manual.png");
    auto p = e.playlist("p", {{a, 10 * kSec}, {b, 10 * kSec}});
    e.w.clock->set_ms(kDay + 10 * kHour);
    e.assign(p.id, "lobby", 0, R"({"kind":"weekly","ranges":[{"start":"10:00","end":"11:00"}]})");
    e.engine->track("lobby", e.org.id);
    e.settle();
    REQUIRE(e.rec.take().size() == 1);
    e.w.clock->set_ms(kDay + 10 * kHour + 5 * kSec);
    PlaybackCommand cmd;
    cmd.file = "manual.png";
    REQUIRE(e.w.svc->playback().command(e.speaker, "lobby", cmd).ok());
    e.settle();
    // Item boundaries inside the hour pass without a play; the manual file stays.
    for (std::int64_t t = 10; t < 3600; t += 10) {
      e.w.clock->set_ms(kDay + 10 * kHour + t * kSec);
      e.settle();
    }
    CHECK(e.rec.take().empty());
    CHECK(e.stored_file("lobby") == "manual.png");
    CHECK(e.engine->stats().held == 1);
    // At 11:00 the timeline changes (to nothing): the hold ends; the schedule had not put the manual
    // file on, so it is not stopped.
    e.w.clock->set_ms(kDay + 11 * kHour);
    e.settle();
    CHECK(e.rec.take().empty());
    CHECK(e.engine->stats().held == 0);
    // Next day at 10:00 the schedule plays again.
    e.w.clock->set_ms(kDay + 34 * kHour);
    e.settle();
    auto sent = e.rec.take();
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].file == "a.png");
    (void)m;
  }
  SUBCASE("until resumed") {
    ScheduleEngineOptions o;
    o.manual_hold = ManualHold::until_resume;
    Env e(o);
    auto a = e.media("a.png"), b = e.media("b.png"), m = e.media("manual.png");
    auto p = e.playlist("p", {{a, 10 * kSec}, {b, 10 * kSec}});
    e.w.clock->set_ms(kDay + 10 * kHour);
    e.assign(p.id, "lobby", 0, R"({"kind":"weekly","ranges":[{"start":"10:00","end":"11:00"}]})");
    e.engine->track("lobby", e.org.id);
    e.settle();
    e.rec.take();
    PlaybackCommand cmd;
    cmd.file = "manual.png";
    REQUIRE(e.w.svc->playback().command(e.speaker, "lobby", cmd).ok());
    e.settle();
    e.w.clock->set_ms(kDay + 34 * kHour);  // past the boundary and into the next day's range
    e.settle();
    CHECK(e.rec.take().empty());
    // Viewers cannot resume; speakers can.
    auto viewer = e.w.user_in(e.org, "engine_viewer", "viewer");
    CHECK(e.s.resume_schedule(viewer, "lobby").error().code == ErrorCode::forbidden);
    REQUIRE(e.s.resume_schedule(e.speaker, "lobby").ok());
    e.settle();
    auto sent = e.rec.take();
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].event == "player/play");
    CHECK(e.stored_file("lobby") == sent[0].file);
    (void)m;
  }
}

TEST_CASE("an override shows through manual control; a schedule change ends a hold until the boundary") {
  Env e;
  auto a = e.media("a.png"), m = e.media("manual.png"), b = e.media("b.png");
  auto p = e.playlist("p", {{a, kHour}});
  e.w.clock->set_ms(kDay + kHour);
  e.assign(p.id, "lobby", 0, R"({"kind":"always"})");
  e.engine->track("lobby", e.org.id);
  e.settle();
  e.rec.take();
  PlaybackCommand cmd;
  cmd.file = "manual.png";
  REQUIRE(e.w.svc->playback().command(e.speaker, "lobby", cmd).ok());
  e.settle();
  CHECK(e.engine->stats().held == 1);
  // An 'always' assignment has no boundary: the hold would last, but an override still shows.
  OverrideInput in;
  in.message = "Closed today";
  auto o = ok(e.s.start_override(e.speaker, in));
  e.settle();
  auto sent = e.rec.take();
  REQUIRE(sent.size() == 2);
  CHECK(sent[1].text == "Closed today");
  REQUIRE(e.s.clear_override(e.speaker, o.id).ok());  // a schedule change: the hold ends as well
  e.settle();
  sent = e.rec.take();
  REQUIRE(sent.size() == 2);
  CHECK(sent[1].file == "a.png");
  CHECK(e.engine->stats().held == 0);
  // Held again; a new playlist for the device is a boundary too.
  REQUIRE(e.w.svc->playback().command(e.speaker, "lobby", cmd).ok());
  e.settle();
  CHECK(e.rec.take().empty());
  e.w.clock->advance(std::chrono::minutes(1));
  auto q = e.playlist("q", {{b, kHour}});
  e.assign(q.id, "lobby", 10, R"({"kind":"always"})");
  e.settle();
  sent = e.rec.take();
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].file == "b.png");
  (void)m;
}

TEST_CASE("a boundary within the lead is computed ahead and sent when the clock reaches it") {
  ScheduleEngineOptions o;
  o.lead = std::chrono::milliseconds(200);
  Env e(o);
  auto a = e.media("a.png"), b = e.media("b.png");
  auto p = e.playlist("p", {{a, 10 * kSec}, {b, 10 * kSec}});
  e.w.clock->set_ms(kDay + kHour);
  e.assign(p.id, "lobby", 0, R"({"kind":"always"})");
  e.engine->track("lobby", e.org.id);
  e.settle();
  REQUIRE(e.rec.take().size() == 1);
  const std::int64_t boundary = kDay + kHour + 10 * kSec;
  e.w.clock->set_ms(boundary - 150);  // inside the lead: b is prepared now, sent at the boundary
  std::thread mover([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    e.w.clock->set_ms(boundary);
  });
  e.settle();
  mover.join();
  auto sent = e.rec.take();
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].file == "b.png");
  CHECK(sent[0].at_ms == boundary);  // not before
  CHECK(ok(e.w.svc->playback().state(e.admin, "lobby")).updated_at_ms == boundary);
}

TEST_CASE("a new instance continues at the same item without resending it") {
  Env e;
  auto a = e.media("a.png"), b = e.media("b.png");
  auto p = e.playlist("p", {{a, 30 * kSec}, {b, 30 * kSec}});
  e.w.clock->set_ms(kDay + kHour);
  e.assign(p.id, "lobby", 0, R"({"kind":"always"})");
  e.engine->track("lobby", e.org.id);
  e.settle();
  CHECK(e.rec.take().size() == 1);
  e.w.clock->set_ms(kDay + kHour + 35 * kSec);
  e.settle();
  CHECK(e.rec.take().at(0).file == "b.png");
  // The instance dies; another one gets the player 10 s later, in the middle of b.
  e.stop();
  e.w.clock->set_ms(kDay + kHour + 45 * kSec);
  e.start();
  e.engine->track("lobby", e.org.id);
  auto next = e.settle();
  CHECK(e.rec.take().empty());
  REQUIRE(next);
  CHECK(*next == kDay + kHour + 60 * kSec);
  e.w.clock->set_ms(*next);
  e.settle();
  auto sent = e.rec.take();
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].file == "a.png");
}

TEST_CASE("a player's end-of-playback report starts the next item early; the boundary after it stays") {
  Env e;
  auto a = e.video("a.mp4"), b = e.video("b.mp4");
  auto img = e.media("c.png");
  auto p = e.playlist("videos", {{a, 60 * kSec}, {b, 60 * kSec}, {img, 60 * kSec}});
  const std::int64_t t0 = kDay + kHour;
  e.w.clock->set_ms(t0);
  e.assign(p.id, "lobby", 0, R"({"kind":"daily","ranges":[{"start":"01:00","end":"01:03"}]})");  // 3 min (an org in UTC)
  e.engine->track("lobby", e.org.id);
  e.settle();
  REQUIRE(e.rec.take().at(0).file == "a.mp4");

  // a.mp4 really lasts 20 s: the player says so and b.mp4 starts at once, from its beginning.
  e.w.clock->set_ms(t0 + 20 * kSec);
  e.engine->player_ended("lobby", "a.mp4");
  auto next = e.settle();
  auto sent = e.rec.take();
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].event == "player/play");
  CHECK(sent[0].file == "b.mp4");
  CHECK(sent[0].at_ms == t0 + 20 * kSec);
  CHECK(e.stored_file("lobby") == "b.mp4");
  CHECK(e.engine->stats().early_ends == 1);
  REQUIRE(next);
  CHECK(*next == t0 + 60 * kSec);  // a's old boundary: nothing is resent there
  e.w.clock->set_ms(*next);
  next = e.settle();
  CHECK(e.rec.take().empty());
  REQUIRE(next);
  CHECK(*next == t0 + 120 * kSec);

  // Not moved on: a report for another file, one right before the boundary, one for an item that
  // started ahead of its time (never more than one item ahead).
  e.w.clock->set_ms(t0 + 30 * kSec);
  e.engine->player_ended("lobby", "a.mp4");
  e.settle();
  CHECK(e.rec.take().empty());
  e.w.clock->set_ms(t0 + 119'500);
  e.engine->player_ended("lobby", "b.mp4");
  e.settle();
  CHECK(e.rec.take().empty());
  e.w.clock->set_ms(t0 + 120 * kSec);
  e.settle();
  CHECK(e.rec.take().at(0).file == "c.png");
  // An image does not end by itself: a report for it (a broken player) changes nothing.
  e.w.clock->set_ms(t0 + 130 * kSec);
  e.engine->player_ended("lobby", "c.png");
  e.settle();
  CHECK(e.rec.take().empty());
  CHECK(e.engine->stats().early_ends == 1);

  // Across a change of the timeline the schedule keeps its time: when the assignment ends at 01:03
  // the content stops then, not when the last video of the span ends.
  e.w.clock->set_ms(t0 + 180 * kSec);
  e.settle();
  sent = e.rec.take();
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].event == "player/stop");

  SUBCASE("manual control: the report is not the schedule's business") {
    e.w.clock->set_ms(kDay + 86'400'000 + kHour);  // the next day's span, a.mp4 again
    e.settle();
    REQUIRE(e.rec.take().at(0).file == "a.mp4");
    PlaybackCommand cmd;
    cmd.action = PlaybackAction::pause;
    REQUIRE(e.w.svc->playback().command(e.speaker, "lobby", cmd).ok());
    e.settle();
    e.w.clock->set_ms(kDay + 86'400'000 + kHour + 10 * kSec);
    e.engine->player_ended("lobby", "a.mp4");
    e.settle();
    CHECK(e.rec.take().empty());
  }
}

TEST_CASE("idle: a device without a schedule is left alone; when a schedule ends its content stops") {
  Env e;
  auto a = e.media("a.png");
  PlaybackCommand cmd;
  cmd.file = "a.png";
  REQUIRE(e.w.svc->playback().command(e.admin, "hall", cmd).ok() == false);  // not on hall
  e.engine->track("hall", e.org.id);
  e.settle();
  CHECK(e.rec.take().empty());
  auto p = e.playlist("p", {{a, kMin}});
  e.w.clock->set_ms(kDay + 9 * kHour);
  e.assign(p.id, "hall", 0, R"({"kind":"weekly","ranges":[{"start":"09:00","end":"09:30"}]})");
  e.settle();
  auto sent = e.rec.take();
  REQUIRE(sent.size() == 1);
  // The media was not on the device: the engine linked it there (under its library name).
  CHECK(sent[0].file == "a.png");
  CHECK(ok(e.w.svc->media().files(e.admin, "hall", {})).items.size() == 1);
  e.w.clock->set_ms(kDay + 9 * kHour + 30 * kMin);
  e.settle();
  sent = e.rec.take();
  // The last minute boundary before 09:30 was 09:29; at 09:30 it stops.
  REQUIRE_FALSE(sent.empty());
  CHECK(sent.back().event == "player/stop");
  CHECK(ok(e.w.svc->playback().state(e.admin, "hall")).state == PlaybackState::stopped);
  // A deleted device is no longer driven.
  CHECK(e.engine->stats().tracked == 1);
  REQUIRE(e.w.svc->devices().remove(e.admin, "hall").ok());
  e.settle();
  CHECK(e.engine->stats().tracked == 0);
  CHECK(e.engine->stats().errors == 0);
}

TEST_CASE("an emergency message overrides the schedule until cleared") {
  Env e;
  auto a = e.media("a.png");
  auto p = e.playlist("p", {{a, kHour}});
  e.w.clock->set_ms(kDay + kHour);
  e.assign(p.id, "lobby", 0, R"({"kind":"always"})");
  e.engine->track("lobby", e.org.id);
  e.settle();
  e.rec.take();
  OverrideInput in;
  in.message = "Evacuate now";
  auto o = ok(e.s.start_override(e.speaker, in));
  e.settle();
  auto sent = e.rec.take();
  REQUIRE(sent.size() == 2);
  CHECK(sent[0].event == "player/stop");
  CHECK(sent[1].event == "player/message");
  CHECK(sent[1].text == "Evacuate now");
  e.w.clock->advance(std::chrono::minutes(1));
  REQUIRE(e.s.clear_override(e.speaker, o.id).ok());
  e.settle();
  sent = e.rec.take();
  REQUIRE(sent.size() == 2);
  CHECK(sent[0].event == "player/message");
  CHECK(sent[0].message_cleared);
  CHECK(sent[1].event == "player/play");
  CHECK(sent[1].file == "a.png");
}

}  // TEST_SUITE
