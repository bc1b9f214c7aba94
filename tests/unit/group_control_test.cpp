// Control commands and placeholder changes aimed at a device group (issue 13): Playback::command_group
// and Devices::set_group_placeholder / clear_group_placeholder fan out through the single-device
// calls, with a result per member; the realtime hub's control/* events take group_id the same way.
// Runs on SQLite, and on PostgreSQL with VC_TEST_POSTGRES_URL (services_world.hpp).
#include <doctest/doctest.h>

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "services_world.hpp"
#include "videocontrol/devices.hpp"
#include "videocontrol/events.hpp"
#include "videocontrol/group_outcome.hpp"
#include "videocontrol/playback.hpp"
#include "videocontrol/realtime_hub.hpp"
#include "videocontrol/scheduling.hpp"

using namespace vc;

namespace {

const std::string kPng = std::string("\x89PNG\r\n\x1a\n", 8);
const std::string kPdf = "%PDF-1.4\n" + std::string(100, 'd');

struct Env {
  test::World w;
  Organization org = w.org("group-org");
  Organization other = w.org("group-other");
  Actor admin = w.user_in(org, "group_admin", "admin");
  Actor speaker = w.user_in(org, "group_speaker", "speaker");
  Actor viewer = w.user_in(org, "group_viewer", "viewer");
  Actor stranger = w.user_in(other, "group_stranger", "admin");
  std::string group_id;
  std::string poster_id;  // poster.png, on lobby and hall but not on cafe

  Env() {
    for (const char* d : {"lobby", "hall", "cafe"}) REQUIRE(w.svc->devices().create(admin, {d, d}).ok());
    poster_id = upload("lobby", "poster.png", kPng + std::string(64, 'p'));
    REQUIRE(upload("hall", "poster.png", kPng + std::string(64, 'p')) == poster_id);  // the same bytes: linked
    group_id = ok(w.svc->scheduling().create_group(admin, "Ground floor", {"lobby", "hall", "cafe"})).id;
  }

  std::string upload(std::string_view device, const std::string& name, const std::string& bytes, const Actor* as = nullptr) {
    auto r = test::upload_bytes(*w.svc, as ? *as : admin, device, name, bytes);
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
    return r->file.media.id;
  }

  template <class T>
  static T ok(Result<T> r) {
    REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
    return std::move(*r);
  }

  PlaybackCommand play(const std::string& file) {
    PlaybackCommand c;
    c.action = PlaybackAction::play;
    c.file = file;
    return c;
  }
};

const GroupMemberOutcome& member(const GroupOutcome& o, const std::string& device_id) {
  for (const auto& m : o.results)
    if (m.device_id == device_id) return m;
  FAIL("no result for " << device_id);
  throw 0;  // unreachable
}

// Every event the services publish, in order.
struct Recorder {
  DomainEvents& events;
  std::mutex mu;
  std::vector<DomainEvent> seen;
  DomainEvents::Subscription id;
  explicit Recorder(DomainEvents& e) : events(e), id(e.subscribe([this](const DomainEvent& ev) {
    std::lock_guard lock(mu);
    seen.push_back(ev);
  })) {}
  ~Recorder() { events.unsubscribe(id); }
  std::multiset<std::string> of(EventKind kind) {
    std::lock_guard lock(mu);
    std::multiset<std::string> out;
    for (const auto& e : seen)
      if (e.kind == kind)
        for (const auto& d : e.devices()) out.insert(d);
    return out;
  }
};

class FakeTransport final : public RealtimeTransport {
 public:
  void send(ConnectionId id, std::string packet) override {
    std::lock_guard lock(mu_);
    sent_[id].push_back(std::move(packet));
  }
  void close(ConnectionId) override {}
  std::vector<std::string> take(ConnectionId id) {
    std::lock_guard lock(mu_);
    return std::exchange(sent_[id], {});
  }

 private:
  std::mutex mu_;
  std::map<ConnectionId, std::vector<std::string>> sent_;
};

// The argument of the ack `31[…]` among the packets, parsed.
rapidjson::Document ack_of(const std::vector<std::string>& packets, int ack_id) {
  const std::string prefix = "3" + std::to_string(ack_id) + "[";
  rapidjson::Document d;
  for (const auto& p : packets)
    if (p.starts_with(prefix)) {
      rapidjson::Document arr;
      arr.Parse(p.c_str() + prefix.size() - 1);
      REQUIRE(arr.IsArray());
      d.CopyFrom(arr[0], d.GetAllocator());
      return d;
    }
  FAIL("no ack " << ack_id);
  return d;
}

bool has_event(const std::vector<std::string>& packets, std::string_view event) {
  const std::string needle = "2[\"" + std::string(event) + "\"";
  for (const auto& p : packets)
    if (p.starts_with(needle)) return true;
  return false;
}

}  // namespace

TEST_SUITE("group_control") {

TEST_CASE("a group command goes to every member; a member without the file fails alone") {
  Env e;
  Recorder rec(e.w.svc->events());
  auto out = Env::ok(e.w.svc->playback().command_group(e.speaker, e.group_id, e.play("poster.png")));
  CHECK(out.group_id == e.group_id);
  CHECK(out.organization_id == e.org.id);
  REQUIRE(out.results.size() == 3);
  CHECK(out.results[0].device_id == "cafe");  // the group's order: sorted by device id
  CHECK(out.results[1].device_id == "hall");
  CHECK(out.results[2].device_id == "lobby");
  for (const char* d : {"hall", "lobby"}) {
    CAPTURE(d);
    const auto& m = member(out, d);
    CHECK(m.ok());
    REQUIRE(m.state);
    CHECK(m.state->file == "poster.png");
    CHECK(m.state->state == PlaybackState::playing);
    CHECK(Env::ok(e.w.svc->playback().state(e.admin, d)).file == "poster.png");  // stored
  }
  const auto& cafe = member(out, "cafe");
  CHECK_FALSE(cafe.ok());
  REQUIRE(cafe.error);
  CHECK(cafe.error->code == ErrorCode::not_found);
  CHECK(cafe.error->message.find("poster.png") != std::string::npos);
  CHECK(Env::ok(e.w.svc->playback().state(e.admin, "cafe")).file.empty());
  // The members' players are told through the same events as for one device.
  CHECK(rec.of(EventKind::playback_changed) == std::multiset<std::string>{"hall", "lobby"});

  // A later command to the group: pause works where something is loaded, is refused where not.
  PlaybackCommand pause;
  pause.action = PlaybackAction::pause;
  out = Env::ok(e.w.svc->playback().command_group(e.admin, e.group_id, pause));
  CHECK(member(out, "hall").state->state == PlaybackState::paused);
  CHECK(member(out, "lobby").state->state == PlaybackState::paused);
  CHECK(member(out, "cafe").error->code == ErrorCode::invalid);
}

TEST_CASE("a group command checks tenancy and role before anything is sent") {
  Env e;
  Recorder rec(e.w.svc->events());
  auto& playback = e.w.svc->playback();
  // Another organisation's group is not found, like an unknown one (and its admin has the role).
  CHECK(playback.command_group(e.stranger, e.group_id, e.play("poster.png")).error().code == ErrorCode::not_found);
  CHECK(playback.command_group(e.admin, "no-such-group", e.play("poster.png")).error().code == ErrorCode::not_found);
  // Viewers read, do not control.
  CHECK(playback.command_group(e.viewer, e.group_id, e.play("poster.png")).error().code == ErrorCode::forbidden);
  CHECK(rec.of(EventKind::playback_changed).empty());
  CHECK(Env::ok(playback.state(e.admin, "lobby")).file.empty());
  // The superadmin sees every organisation.
  CHECK(Env::ok(playback.command_group(e.w.super, e.group_id, e.play("poster.png"))).results.size() == 3);
  // An empty group: nothing to do, no error.
  auto empty = Env::ok(e.w.svc->scheduling().create_group(e.admin, "Empty"));
  CHECK(Env::ok(playback.command_group(e.speaker, empty.id, e.play("poster.png"))).results.empty());
  // A member removed from the organisation leaves the group; the rest still get the command.
  REQUIRE(e.w.svc->devices().remove(e.admin, "cafe").ok());
  auto out = Env::ok(playback.command_group(e.speaker, e.group_id, e.play("poster.png")));
  REQUIRE(out.results.size() == 2);
  CHECK(out.results[0].ok());
  CHECK(out.results[1].ok());
}

TEST_CASE("a group placeholder is set and cleared on every member, a bad media item on none") {
  Env e;
  Recorder rec(e.w.svc->events());
  auto& devices = e.w.svc->devices();
  auto out = Env::ok(devices.set_group_placeholder(e.admin, e.group_id, e.poster_id));
  REQUIRE(out.results.size() == 3);  // the placeholder need not be one of the device's files
  for (const auto& m : out.results) {
    CAPTURE(m.device_id);
    CHECK(m.ok());
    CHECK(m.placeholder_media_id == e.poster_id);
    CHECK(Env::ok(devices.get(e.viewer, m.device_id)).device.placeholder_media_id == e.poster_id);
  }
  CHECK(rec.of(EventKind::placeholder_changed) == std::multiset<std::string>{"cafe", "hall", "lobby"});

  // Refused once, before any member changes: not an image or video; another organisation's media;
  // none at all.
  const auto pdf = e.upload("lobby", "deck.pdf", kPdf);
  auto bad = devices.set_group_placeholder(e.admin, e.group_id, pdf);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == ErrorCode::invalid);
  REQUIRE(devices.create(e.stranger, {"their-screen", "x"}).ok());
  const auto theirs = e.upload("their-screen", "theirs.png", kPng + std::string(64, 't'), &e.stranger);
  CHECK(devices.set_group_placeholder(e.admin, e.group_id, theirs).error().code == ErrorCode::not_found);
  CHECK(devices.set_group_placeholder(e.admin, e.group_id, "no-such-media").error().code == ErrorCode::not_found);
  for (const char* d : {"lobby", "hall", "cafe"})
    CHECK(Env::ok(devices.get(e.viewer, d)).device.placeholder_media_id == e.poster_id);

  // Roles and tenancy: operators and up; another organisation's group is not found.
  CHECK(devices.set_group_placeholder(e.speaker, e.group_id, e.poster_id).error().code == ErrorCode::forbidden);
  CHECK(devices.clear_group_placeholder(e.speaker, e.group_id).error().code == ErrorCode::forbidden);
  CHECK(devices.set_group_placeholder(e.stranger, e.group_id, theirs).error().code == ErrorCode::not_found);
  CHECK(devices.clear_group_placeholder(e.stranger, e.group_id).error().code == ErrorCode::not_found);

  out = Env::ok(devices.clear_group_placeholder(e.admin, e.group_id));
  REQUIRE(out.results.size() == 3);
  for (const auto& m : out.results) {
    CAPTURE(m.device_id);
    CHECK(m.ok());
    CHECK(m.placeholder_media_id == std::string());
    CHECK(Env::ok(devices.get(e.viewer, m.device_id)).device.placeholder_media_id.empty());
  }
}

TEST_CASE("group outcomes as JSON: a result per member, with the state, the placeholder or the error") {
  GroupOutcome o;
  o.group_id = "g1";
  GroupMemberOutcome a;
  a.device_id = "hall";
  NowPlaying n;
  n.type = "image";
  n.file = "poster.png";
  n.state = PlaybackState::playing;
  a.state = n;
  GroupMemberOutcome b;
  b.device_id = "cafe";
  b.error = make_error(ErrorCode::not_found, "device 'cafe' has no file 'poster.png'");
  GroupMemberOutcome c;
  c.device_id = "lobby";
  c.placeholder_media_id = "";
  o.results = {a, b, c};
  CHECK(group_outcome_json(o) ==
        R"({"group_id":"g1","results":[{"device_id":"hall","ok":true,"state":{"type":"image","file":"poster.png","state":"playing"}},)"
        R"({"device_id":"cafe","ok":false,"error":"device 'cafe' has no file 'poster.png'","code":"not_found"},)"
        R"({"device_id":"lobby","ok":true,"placeholder_media_id":null}]})");
  CHECK(group_results_json(GroupOutcome{}) == "[]");
}

TEST_CASE("control/* with group_id fans out on the socket: the members' players get the event, the ack a result each") {
  Env e;
  FakeTransport transport;
  RealtimeHub hub(*e.w.svc);
  hub.attach(transport);
  // Players of the three members on connections 1..3; a speaker's control panel on 10.
  const std::vector<std::string> members = {"lobby", "hall", "cafe"};
  for (ConnectionId c = 1; c <= 3; ++c) {
    hub.on_open(c, "127.0.0.1", "");
    hub.on_packet(c, "0");
    hub.on_packet(c, R"(2["player/register",{"device_id":")" + members[c - 1] + R"("}])");
    REQUIRE(has_event(transport.take(c), "player/registered"));
  }
  const auto token = e.w.svc->auth().login("group_speaker", "Password-group_speaker-1", "127.0.0.1").value().access_token;
  hub.on_open(10, "127.0.0.1", "");
  hub.on_packet(10, R"(0{"token":")" + token + R"("})");
  (void)transport.take(10);

  hub.on_packet(10, R"(21["control/play",{"group_id":")" + e.group_id + R"(","file":"poster.png"}])");
  auto ack = ack_of(transport.take(10), 1);
  REQUIRE(ack.IsObject());
  CHECK(ack["ok"].GetBool());
  CHECK(std::string(ack["group_id"].GetString()) == e.group_id);
  REQUIRE(ack["results"].IsArray());
  REQUIRE(ack["results"].Size() == 3);
  std::map<std::string, const rapidjson::Value*> by_device;
  for (const auto& r : ack["results"].GetArray()) by_device[r["device_id"].GetString()] = &r;
  CHECK((*by_device.at("lobby"))["ok"].GetBool());
  CHECK(std::string((*by_device.at("hall"))["state"]["file"].GetString()) == "poster.png");
  CHECK_FALSE((*by_device.at("cafe"))["ok"].GetBool());
  CHECK(std::string((*by_device.at("cafe"))["code"].GetString()) == "not_found");
  CHECK(has_event(transport.take(1), "player/play"));
  CHECK(has_event(transport.take(2), "player/play"));
  CHECK_FALSE(has_event(transport.take(3), "player/play"));

  // Bad input is refused with a clear reason, and nothing is sent.
  hub.on_packet(10, R"(22["control/stop",{"group_id":")" + e.group_id + R"(","device_id":"lobby"}])");
  ack = ack_of(transport.take(10), 2);
  CHECK_FALSE(ack["ok"].GetBool());
  CHECK(std::string(ack["code"].GetString()) == "invalid");
  CHECK(std::string(ack["error"].GetString()).find("not both") != std::string::npos);
  hub.on_packet(10, R"(23["control/stop",{}])");
  ack = ack_of(transport.take(10), 3);
  CHECK_FALSE(ack["ok"].GetBool());
  CHECK(std::string(ack["error"].GetString()).find("group_id") != std::string::npos);
  hub.on_packet(10, R"(24["control/stop",{"group_id":"no-such-group"}])");
  ack = ack_of(transport.take(10), 4);
  CHECK_FALSE(ack["ok"].GetBool());
  CHECK(std::string(ack["code"].GetString()) == "not_found");
  for (ConnectionId c = 1; c <= 3; ++c) CHECK_FALSE(has_event(transport.take(c), "player/stop"));

  // The single-device form is unchanged.
  hub.on_packet(10, R"(25["control/stop",{"device_id":"lobby"}])");
  ack = ack_of(transport.take(10), 5);
  CHECK(ack["ok"].GetBool());
  CHECK(ack.HasMember("state"));
  CHECK_FALSE(ack.HasMember("results"));
  hub.detach();
}

}  // TEST_SUITE
