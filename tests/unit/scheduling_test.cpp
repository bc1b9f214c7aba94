// The Scheduling service over SQLite (libvideocontrol/src/services/scheduling.cpp): groups, playlists,
// assignments, device settings, overrides and the timeline they make, with tenancy and roles.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include <mutex>

#include "realtime/broadcasts.hpp"
#include "services_world.hpp"
#include "videocontrol/events.hpp"
#include "videocontrol/devices.hpp"
#include "videocontrol/scheduling.hpp"

using namespace vc;

namespace {

const std::string kPng = std::string("\x89PNG\r\n\x1a\n", 8);

struct Env {
  test::World w;
  Organization org = w.org("sched-org");
  Organization other = w.org("sched-other");
  Actor admin = w.user_in(org, "sched_admin", "admin");
  Actor speaker = w.user_in(org, "sched_speaker", "speaker");
  Actor viewer = w.user_in(org, "sched_viewer", "viewer");
  Actor stranger = w.user_in(other, "sched_stranger", "admin");
  Scheduling& s = w.svc->scheduling();

  Env() {
    for (const char* d : {"lobby", "hall", "cafe"}) REQUIRE(w.svc->devices().create(admin, {d, d}).ok());
  }

  std::string media(const std::string& name, const Actor* as = nullptr, std::string_view device = "lobby") {
    auto r = test::upload_bytes(*w.svc, as ? *as : admin, device, name, kPng + name + std::string(64, 'x'));
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
    return r->file.media.id;
  }

  template <class T>
  static T ok(Result<T> r) {
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
    return std::move(*r);
  }
};

// 2026-12-07 00:00 UTC, a Monday.
constexpr std::int64_t kDay = 1'796'601'600'000;
constexpr std::int64_t kHour = 3'600'000;

}  // namespace

TEST_SUITE("scheduling") {

TEST_CASE("groups: create, members, rename, tenancy, delete") {
  Env e;
  auto g = Env::ok(e.s.create_group(e.admin, "Ground floor"));
  CHECK(g.device_ids.empty());
  g = Env::ok(e.s.set_group_devices(e.admin, g.id, {"lobby", "hall", "lobby"}));
  CHECK(g.device_ids == std::vector<std::string>{"hall", "lobby"});
  // Names are unique in an organisation, not across them.
  auto dup = e.s.create_group(e.admin, "Ground floor");
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.error().code == ErrorCode::conflict);
  CHECK(e.s.create_group(e.stranger, "Ground floor").ok());
  // Another organisation's devices and groups are not found.
  REQUIRE(e.w.svc->devices().create(e.stranger, {"their-screen", "x"}).ok());
  auto foreign = e.s.set_group_devices(e.admin, g.id, {"their-screen"});
  REQUIRE_FALSE(foreign.ok());
  CHECK(foreign.error().code == ErrorCode::not_found);
  CHECK(e.s.get_group(e.stranger, g.id).error().code == ErrorCode::not_found);
  // Viewers read, do not change.
  CHECK(e.s.get_group(e.viewer, g.id).ok());
  CHECK(e.s.rename_group(e.viewer, g.id, "x").error().code == ErrorCode::forbidden);
  CHECK(Env::ok(e.s.rename_group(e.admin, g.id, "Floor 0")).name == "Floor 0");
  CHECK(Env::ok(e.s.list_groups(e.admin)).size() == 1);
  // A deleted device leaves its groups.
  REQUIRE(e.w.svc->devices().remove(e.admin, "hall").ok());
  CHECK(Env::ok(e.s.get_group(e.admin, g.id)).device_ids == std::vector<std::string>{"lobby"});
  REQUIRE(e.s.delete_group(e.admin, g.id).ok());
  CHECK(e.s.get_group(e.admin, g.id).error().code == ErrorCode::not_found);
}

TEST_CASE("playlists: items checked, duplicate, update, in-use media refused unless forced") {
  Env e;
  const auto a = e.media("a.png"), b = e.media("b.png");
  PlaylistInput in;
  in.name = "Morning";
  in.items = {{a, 10'000}, {b, std::nullopt}};
  auto p = Env::ok(e.s.create_playlist(e.admin, in));
  CHECK(p.items.size() == 2);
  CHECK(Env::ok(e.s.get_playlist(e.viewer, p.id)).items.at(0).duration_ms == 10'000);

  auto bad = in;
  bad.items[0].duration_ms = 500;
  CHECK(e.s.create_playlist(e.admin, bad).error().message.find("duration_ms") != std::string::npos);
  bad = in;
  bad.items.push_back({"no-such-media", std::nullopt});
  CHECK(e.s.create_playlist(e.admin, bad).error().code == ErrorCode::not_found);
  bad = in;
  bad.transition = "wipe";
  CHECK(e.s.create_playlist(e.admin, bad).error().code == ErrorCode::invalid);
  CHECK(e.s.create_playlist(e.viewer, in).error().code == ErrorCode::forbidden);

  auto copy = Env::ok(e.s.duplicate_playlist(e.admin, p.id));
  CHECK(copy.name == "Morning (copy)");
  CHECK(copy.items.size() == 2);
  in.name = "Evening";
  in.items = {{b, 5'000}};
  in.shuffle = true;
  auto updated = Env::ok(e.s.update_playlist(e.admin, copy.id, in));
  CHECK(updated.items.size() == 1);
  CHECK(Env::ok(e.s.get_playlist(e.admin, copy.id)).shuffle);

  // b is in both playlists: deleting it says where it is used; force removes it from them.
  auto refused = e.w.svc->media().remove(e.admin, b);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == ErrorCode::conflict);
  CHECK(refused.error().message.find("'Morning'") != std::string::npos);
  CHECK(refused.error().message.find("'Evening'") != std::string::npos);
  CHECK(Env::ok(e.s.playlists_using(e.admin, b)).size() == 2);
  REQUIRE(e.w.svc->media().remove(e.admin, b, true).ok());
  CHECK(Env::ok(e.s.get_playlist(e.admin, p.id)).items.size() == 1);
  CHECK(Env::ok(e.s.get_playlist(e.admin, copy.id)).items.empty());
  CHECK(Env::ok(e.s.list_playlists(e.admin)).size() == 2);
}

TEST_CASE("the timeline: group and device assignments, default playlist, device zone, overrides") {
  Env e;
  const auto m = e.media("m.png");
  PlaylistInput in;
  in.items = {{m, 10'000}};
  in.name = "Office";
  auto office = Env::ok(e.s.create_playlist(e.admin, in));
  in.name = "Lunch";
  auto lunch = Env::ok(e.s.create_playlist(e.admin, in));
  in.name = "Idle";
  auto idle = Env::ok(e.s.create_playlist(e.admin, in));
  auto g = Env::ok(e.s.create_group(e.admin, "Canteen"));
  REQUIRE(e.s.set_group_devices(e.admin, g.id, {"lobby"}).ok());

  AssignmentInput a;
  a.playlist_id = office.id;
  a.device_id = "lobby";
  a.priority = 1;
  a.schedule = *parse_schedule(R"({"kind":"weekly","ranges":[{"days":["mon","tue","wed","thu","fri"],"start":"08:00","end":"18:00"}]})");
  auto office_a = Env::ok(e.s.create_assignment(e.admin, a));
  a.playlist_id = lunch.id;
  a.device_id.clear();
  a.group_id = g.id;
  a.priority = 5;
  a.schedule = *parse_schedule(R"({"kind":"daily","ranges":[{"start":"12:00","end":"13:00"}]})");
  auto lunch_a = Env::ok(e.s.create_assignment(e.admin, a));
  REQUIRE(e.s.set_device_settings(e.admin, "lobby", {idle.id, "Europe/Berlin"}).ok());

  // Monday in Berlin (UTC+1 in December): local 08:00 is 07:00Z.
  auto t = Env::ok(e.s.device_timeline(e.viewer, "lobby", kDay - kHour, kDay + 23 * kHour));
  CHECK(t.timezone == "Europe/Berlin");
  REQUIRE(t.entries.size() == 5);
  CHECK(t.entries[0].source == TimelineSource::default_playlist);
  CHECK(t.entries[0].playlist_id == idle.id);
  CHECK(t.entries[1].span == TimeSpan{kDay + 7 * kHour, kDay + 11 * kHour});
  CHECK(t.entries[1].assignment_id == office_a.id);
  CHECK(t.entries[2].span == TimeSpan{kDay + 11 * kHour, kDay + 12 * kHour});
  CHECK(t.entries[2].assignment_id == lunch_a.id);
  CHECK(t.entries[2].group_id == g.id);
  CHECK(t.entries[2].priority == 5);
  CHECK(t.entries[3].assignment_id == office_a.id);
  CHECK(t.entries[4].source == TimelineSource::default_playlist);
  const auto json = Scheduling::to_json(t);
  CHECK(json.find(R"("local_from":"2026-12-07T08:00:00+01:00")") != std::string::npos);

  // Another device, not in the group, without settings: the organisation's zone (UTC), nothing.
  auto hall = Env::ok(e.s.device_timeline(e.admin, "hall", kDay, kDay + 24 * kHour));
  REQUIRE(hall.entries.size() == 1);
  CHECK(hall.entries[0].source == TimelineSource::nothing);
  CHECK(hall.timezone == "UTC");
  CHECK(Env::ok(e.s.group_timeline(e.admin, g.id, kDay, kDay + kHour)).size() == 1);

  // An override of the group: above everything from now on; speakers may start it, viewers not.
  e.w.clock->set_ms(kDay + 9 * kHour);
  OverrideInput o;
  o.group_id = g.id;
  o.message = "Fire drill";
  CHECK(e.s.start_override(e.viewer, o).error().code == ErrorCode::forbidden);
  auto drill = Env::ok(e.s.start_override(e.speaker, o));
  t = Env::ok(e.s.device_timeline(e.admin, "lobby", kDay, kDay + 24 * kHour));
  CHECK(t.entries.back().source == TimelineSource::override_);
  CHECK(t.entries.back().span == TimeSpan{kDay + 9 * kHour, kDay + 24 * kHour});
  CHECK(t.entries.back().message == "Fire drill");
  CHECK(Env::ok(e.s.device_timeline(e.admin, "hall", kDay, kDay + 24 * kHour)).entries.size() == 1);
  CHECK(Env::ok(e.s.active_overrides(e.viewer)).size() == 1);
  CHECK(e.s.clear_override(e.stranger, drill.id).error().code == ErrorCode::not_found);
  REQUIRE(e.s.clear_override(e.speaker, drill.id).ok());
  CHECK(e.s.clear_override(e.speaker, drill.id).error().code == ErrorCode::conflict);
  CHECK(Env::ok(e.s.active_overrides(e.viewer)).empty());

  // Windows are bounded; unknown zones refused.
  CHECK(e.s.device_timeline(e.admin, "lobby", kDay, kDay).error().code == ErrorCode::invalid);
  CHECK(e.s.device_timeline(e.admin, "lobby", kDay, kDay + 32 * 24 * kHour).error().code == ErrorCode::invalid);
  CHECK(e.s.set_device_settings(e.admin, "lobby", {"", "Mars/Base"}).error().code == ErrorCode::invalid);
  CHECK(e.s.device_timeline(e.stranger, "lobby", kDay, kDay + kHour).error().code == ErrorCode::not_found);

  // An assignment names one target; deleting its playlist removes it and the device's default.
  AssignmentInput both = a;
  both.device_id = "lobby";
  CHECK(e.s.create_assignment(e.admin, both).error().code == ErrorCode::invalid);
  CHECK(Env::ok(e.s.list_assignments(e.admin, "lobby")).size() == 1);
  CHECK(Env::ok(e.s.list_assignments(e.admin, {}, g.id)).size() == 1);
  REQUIRE(e.s.delete_playlist(e.admin, idle.id).ok());
  CHECK(Env::ok(e.s.device_settings(e.admin, "lobby")).default_playlist_id.empty());
  REQUIRE(e.s.delete_playlist(e.admin, lunch.id).ok());
  CHECK(Env::ok(e.s.list_assignments(e.admin)).size() == 1);
}

TEST_CASE("every change publishes schedule.changed, which panels get as schedule/updated") {
  Env e;
  std::mutex mu;
  std::vector<DomainEvent> seen;
  auto sub = e.w.svc->events().subscribe([&](const DomainEvent& ev) {
    std::lock_guard lock(mu);
    if (ev.kind == EventKind::schedule_changed) seen.push_back(ev);
  });
  const auto m = e.media("m.png");
  auto g = Env::ok(e.s.create_group(e.admin, "G", {"lobby"}));
  REQUIRE(e.s.set_group_devices(e.admin, g.id, {"hall"}).ok());
  PlaylistInput in;
  in.name = "P";
  in.items = {{m, std::nullopt}};
  auto p = Env::ok(e.s.create_playlist(e.admin, in));
  AssignmentInput a;
  a.playlist_id = p.id;
  a.device_id = "cafe";
  auto as = Env::ok(e.s.create_assignment(e.admin, a));
  REQUIRE(e.s.set_device_settings(e.admin, "lobby", {p.id, ""}).ok());
  OverrideInput o;
  o.message = "m";
  auto ov = Env::ok(e.s.start_override(e.speaker, o));
  REQUIRE(e.s.clear_override(e.speaker, ov.id).ok());
  REQUIRE(e.w.svc->media().remove(e.admin, m, true).ok());  // forced: its playlist changed
  REQUIRE(e.s.delete_assignment(e.admin, as.id).ok());
  REQUIRE(e.s.delete_playlist(e.admin, p.id).ok());
  REQUIRE(e.s.delete_group(e.admin, g.id).ok());
  // A refused change publishes nothing.
  CHECK_FALSE(e.s.create_group(e.viewer, "V").ok());
  e.w.svc->events().unsubscribe(sub);

  std::vector<std::string> got;
  for (const auto& ev : seen) {
    CHECK(ev.organization_id == e.org.id);
    std::string devices;
    for (const auto& d : ev.devices()) devices += (devices.empty() ? "" : ",") + d;
    got.push_back(ev.name + ":" + devices);
  }
  CHECK(got == std::vector<std::string>{"group:lobby", "group:hall,lobby", "playlist:", "assignment:cafe", "device_schedule:lobby",
                                        "override:", "override:", "playlist:", "assignment:", "playlist:", "group:hall"});
  CHECK(seen.at(0).media_id == g.id);
  const auto packets = realtime::broadcasts_for(seen.at(0));
  REQUIRE(packets.size() == 1);
  CHECK(packets[0].packet.find(R"(["schedule/updated",{"what":"group","id":")" + g.id + R"("}])") != std::string::npos);
}

TEST_CASE("JSON inputs: playlists and assignments say what is wrong") {
  auto p = parse_playlist_input(R"({"name":"A","shuffle":true,"items":[{"media_id":"m1","duration_ms":5000},{"media_id":"m2"}]})");
  REQUIRE(p.ok());
  CHECK(p->shuffle);
  CHECK(p->items.size() == 2);
  CHECK_FALSE(p->items[1].duration_ms);
  for (const char* bad : {"", "[]", R"({"items":[]})", R"({"name":"A","items":{}})", R"({"name":"A","items":[{"duration_ms":1}]})",
                          R"({"name":"A","loop":"yes"})", R"({"name":"A","colour":1})"}) {
    INFO(bad);
    CHECK(parse_playlist_input(bad).error().code == ErrorCode::invalid);
  }
  auto a = parse_assignment_input(R"({"playlist_id":"p","group_id":"g","priority":3,"schedule":{"kind":"cron","cron":"0 9 * * *"}})");
  REQUIRE(a.ok());
  CHECK(a->schedule.kind == Schedule::Kind::cron);
  CHECK(a->priority == 3);
  CHECK(parse_assignment_input(R"({"playlist_id":"p","schedule":{"kind":"cron","cron":"0 99 * * *"}})").error().message.find("hour") !=
        std::string::npos);
  CHECK(parse_assignment_input(R"({"device_id":"d"})").error().code == ErrorCode::invalid);
}

}  // TEST_SUITE
