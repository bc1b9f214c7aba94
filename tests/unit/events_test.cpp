// Domain events: the codec, the typed stream over the event bus, what each service publishes after a
// commit, and how the realtime hub turns events into Socket.IO broadcasts (with a fake transport).
#include <doctest/doctest.h>

#include <map>
#include <mutex>
#include <thread>

#include "fake_transport.hpp"
#include "services_world.hpp"
#include "videocontrol/devices.hpp"
#include "videocontrol/event_bus.hpp"
#include "videocontrol/events.hpp"
#include "videocontrol/media.hpp"
#include "videocontrol/playback.hpp"
#include "videocontrol/realtime_hub.hpp"

using namespace vc;
using vc::test::World;

namespace {

using vc::test::FakeTransport;

const std::string kPng = std::string("\x89PNG\r\n\x1a\n", 8) + std::string(100, 'p');

// Every event the services publish, in order.
struct Recorder {
  DomainEvents& events;
  DomainEvents::Subscription id;
  std::mutex mu;
  std::vector<DomainEvent> seen;
  explicit Recorder(DomainEvents& e) : events(e), id(e.subscribe([this](const DomainEvent& ev) {
    std::lock_guard lock(mu);
    seen.push_back(ev);
  })) {}
  ~Recorder() { events.unsubscribe(id); }
  std::vector<DomainEvent> take() {
    std::lock_guard lock(mu);
    return std::exchange(seen, {});
  }
};

struct Env {
  World w;
  Organization org = w.org("events-org");
  Actor op = w.user_in(org, "operator_e", "operator");
  Actor speaker = w.user_in(org, "speaker_e", "speaker");

  Env() {
    REQUIRE(w.svc->devices().create(op, {"lobby", "Lobby"}).ok());
    REQUIRE(w.svc->devices().create(op, {"hall", "Hall"}).ok());
  }

  Result<UploadResult> upload(const std::string& name, const std::string& bytes, std::string_view device = "lobby") {
    return vc::test::upload_bytes(*w.svc, op, device, name, bytes);
  }
};

bool has_event(const std::vector<std::string>& packets, std::string_view event) {
  const std::string needle = "[\"" + std::string(event) + "\"";
  for (const auto& p : packets)
    if (p.starts_with("2" + needle)) return true;
  return false;
}

std::string find_event(const std::vector<std::string>& packets, std::string_view event) {
  const std::string needle = "2[\"" + std::string(event) + "\"";
  for (const auto& p : packets)
    if (p.starts_with(needle)) return p;
  return {};
}

}  // namespace

TEST_CASE("a domain event survives encoding, every kind by its name") {
  for (int k = 0; k <= static_cast<int>(EventKind::schedule_changed); ++k) {
    DomainEvent e;
    e.kind = static_cast<EventKind>(k);
    CAPTURE(to_string(e.kind));
    CHECK(parse_event_kind(to_string(e.kind)) == e.kind);
    e.organization_id = "org-1";
    e.device_id = "lobby";
    e.device_ids = {"hall", "Привет \"quoted\""};
    e.media_id = "m1";
    e.name = "a\nb.png";
    e.actor_id = "u1";
    e.at_ms = 1'700'000'000'123;
    e.player_event = "player/play";
    e.player_payload = R"({"type":"image","file":"a.png"})";
    e.state = R"({"type":"image","file":"a.png","state":"playing"})";
    auto back = decode_event(encode_event(e));
    REQUIRE(back.ok());
    CHECK(*back == e);
  }
  DomainEvent minimal;
  minimal.kind = EventKind::media_deleted;
  CHECK(encode_event(minimal) == R"({"kind":"media.deleted","organization_id":"","at_ms":0})");
  CHECK(decode_event(encode_event(minimal)).value() == minimal);
}

TEST_CASE("a malformed domain event is refused with a reason") {
  for (const char* bad : {"", "[]", "{}", R"({"kind":"nope"})", R"({"kind":7})", R"({"kind":"media.added","at_ms":"x"})",
                          R"({"kind":"media.added","device_ids":[1]})", R"({"kind":"media.added","device_ids":"a"})",
                          R"({"kind":"media.added","player_payload":"{not json"})", R"({"kind":"media.added"} x)",
                          R"({"kind":"playback.changed","state":"[1]"})", R"({"kind":"playback.changed","state":"{"})",
                          R"({"kind":"media.added","name":null})", "{\"kind\":\"media.added\",\"name\":\"\xff\"}", R"({"kind":"media.added","name":"\udddd"})"}) {
    CAPTURE(bad);
    auto r = decode_event(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::invalid);
    CHECK(r.error().message.starts_with("domain event: "));
  }
  CHECK(decode_event(R"({"kind":"media.added","future_field":{"x":1}})").ok());  // newer instances may add fields
  CHECK_FALSE(decode_event(std::string(2 << 20, ' ')).ok());
}

TEST_CASE("DomainEvents: subscribe and unsubscribe at any time, over one bus") {
  auto bus = make_local_event_bus();
  DomainEvents events(*bus);
  std::vector<std::string> a, b;
  const auto sa = events.subscribe([&](const DomainEvent& e) { a.push_back(e.name); });
  DomainEvent e;
  e.kind = EventKind::media_renamed;
  e.name = "one";
  events.publish(e);
  const auto sb = events.subscribe([&](const DomainEvent& ev) { b.push_back(ev.name); });
  e.name = "two";
  events.publish(e);
  events.unsubscribe(sa);
  e.name = "three";
  events.publish(e);
  events.unsubscribe(sb);
  events.unsubscribe(sb);  // twice is harmless
  e.name = "four";
  events.publish(e);
  CHECK(a == std::vector<std::string>{"one", "two"});
  CHECK(b == std::vector<std::string>{"two", "three"});

  // A second DomainEvents on the same bus (another instance, in effect) hears the same stream;
  // a malformed message on the channel is dropped, not delivered.
  DomainEvents other(*bus);
  std::vector<EventKind> heard;
  other.subscribe([&](const DomainEvent& ev) { heard.push_back(ev.kind); });
  bus->publish(DomainEvents::kChannel, "not json");
  e.kind = EventKind::device_deleted;
  events.publish(e);
  CHECK(heard == std::vector<EventKind>{EventKind::device_deleted});
}

TEST_CASE("a handler that throws is skipped and the others still run") {
  auto bus = make_local_event_bus();
  DomainEvents events(*bus);
  int ran = 0;
  events.subscribe([](const DomainEvent&) { throw std::runtime_error("boom"); });
  events.subscribe([&](const DomainEvent&) { ++ran; });
  events.publish(DomainEvent{});
  CHECK(ran == 1);
}

TEST_CASE("services publish what changed, after the commit, with the organisation and the actor") {
  Env env;
  Recorder rec(env.w.svc->events());
  auto& devices = env.w.svc->devices();
  auto& media = env.w.svc->media();

  REQUIRE(devices.create(env.op, {"foyer", "Foyer"}).ok());
  REQUIRE(devices.rename(env.op, "foyer", "Front foyer").ok());
  REQUIRE(devices.rotate_credential(env.op, "foyer").ok());
  REQUIRE(devices.clear_credential(env.op, "foyer").ok());
  auto up = env.upload("poster.png", kPng);
  REQUIRE(up.ok());
  const std::string media_id = up->file.media.id;
  REQUIRE(media.link(env.op, media_id, "hall", "wall.png").ok());
  REQUIRE(media.move(env.op, "hall", "wall.png", "foyer").ok());
  REQUIRE(media.unlink(env.op, "foyer", "wall.png").ok());
  REQUIRE(media.rename(env.op, media_id, "renamed.png").ok());
  REQUIRE(devices.set_placeholder(env.op, "lobby", media_id).ok());
  REQUIRE(devices.set_placeholder(env.op, "hall", media_id).ok());
  REQUIRE(devices.clear_placeholder(env.op, "hall").ok());
  REQUIRE(env.w.svc->playback().command(env.speaker, "lobby", {PlaybackAction::play, "poster.png", std::nullopt}).ok());
  REQUIRE(devices.set_placeholder(env.op, "hall", media_id).ok());
  REQUIRE(media.remove(env.op, media_id).ok());
  REQUIRE(devices.remove(env.op, "foyer").ok());

  const auto seen = rec.take();
  std::vector<std::string> kinds;
  for (const auto& e : seen) {
    kinds.emplace_back(to_string(e.kind));
    CHECK(e.organization_id == env.org.id);
    CHECK(e.at_ms == env.w.clock->now_ms());
    CHECK((e.actor_id == env.op.id || e.actor_id == env.speaker.id));
  }
  CHECK(kinds == std::vector<std::string>{
                     "device.created", "device.renamed", "device.credential_changed", "device.credential_changed",
                     "media.added", "media.linked", "media.moved", "media.unlinked", "media.renamed",
                     "placeholder.changed", "placeholder.changed", "placeholder.changed", "playback.changed",
                     "placeholder.changed", "media.deleted", "placeholder.changed", "device.deleted"});
  REQUIRE(seen.size() == kinds.size());
  CHECK(seen[0].device_id == "foyer");
  CHECK(seen[1].name == "Front foyer");
  CHECK(seen[4].device_id == "lobby");
  CHECK(seen[4].media_id == media_id);
  CHECK(seen[4].name == "poster.png");
  CHECK(seen[6].device_id == "foyer");                              // moved to
  CHECK(seen[6].device_ids == std::vector<std::string>{"hall"});  // from
  CHECK(seen[9].media_id == media_id);
  CHECK(seen[11].media_id.empty());  // cleared
  CHECK(seen[12].device_id == "lobby");
  CHECK(seen[12].player_event == "player/play");
  CHECK(seen[12].player_payload.find("poster.png") != std::string::npos);
  CHECK(seen[12].actor_id == env.speaker.id);
  // Deleting media that is two devices' placeholder tells both (the bug this fixes: players kept
  // showing a deleted placeholder until they reconnected).
  auto cleared = seen[15].devices();
  std::sort(cleared.begin(), cleared.end());
  CHECK(cleared == std::vector<std::string>{"hall", "lobby"});
}

TEST_CASE("a refused change publishes nothing") {
  Env env;
  Recorder rec(env.w.svc->events());
  CHECK_FALSE(env.w.svc->devices().create(env.op, {"lobby", "Again"}).ok());                  // conflict
  CHECK_FALSE(env.w.svc->devices().rename(env.speaker, "lobby", "Mine").ok());                  // forbidden
  CHECK_FALSE(env.w.svc->media().remove(env.op, "no-such-media").ok());                         // not found
  CHECK_FALSE(env.w.svc->playback().command(env.speaker, "lobby", {PlaybackAction::pause, {}, std::nullopt}).ok());  // nothing playing
  CHECK(rec.take().empty());
}

TEST_CASE("the realtime hub turns domain events into broadcasts for its connections") {
  Env env;
  FakeTransport transport;
  RealtimeHub hub(*env.w.svc);
  hub.attach(transport);
  // Connection 1: a control panel of the organisation; 2: a player of lobby; 3: a player of hall;
  // 4: a control panel of another organisation.
  auto token_of = [&](const std::string& user, const std::string& pw) {
    return env.w.svc->auth().login(user, pw, "127.0.0.1").value().access_token;
  };
  const auto other_org = env.w.org("other-org");
  env.w.user_in(other_org, "other_op", "operator");
  hub.on_open(1, "127.0.0.1", "");
  hub.on_packet(1, R"(0{"token":")" + token_of("operator_e", "Password-operator_e-1") + R"("})");
  hub.on_open(4, "127.0.0.1", "");
  hub.on_packet(4, R"(0{"token":")" + token_of("other_op", "Password-other_op-1") + R"("})");
  for (ConnectionId id : {2, 3}) {
    hub.on_open(id, "127.0.0.1", "");
    hub.on_packet(id, "0");
    hub.on_packet(id, std::string(R"(2["player/register",{"device_id":")") + (id == 2 ? "lobby" : "hall") + R"("}])");
  }
  const auto online = transport.take(1);
  CHECK(has_event(online, "players/onlineSnapshot"));
  CHECK(find_event(online, "player/online") == R"(2["player/online",{"device_id":"lobby"}])");
  CHECK(has_event(online, "player/online"));
  for (ConnectionId id : {2, 3, 4}) (void)transport.take(id);

  SUBCASE("uploads, links and deletes send devices/updated to the organisation's panels only") {
    auto up = env.upload("poster.png", kPng);
    REQUIRE(up.ok());
    CHECK(has_event(transport.take(1), "devices/updated"));
    REQUIRE(env.w.svc->media().link(env.op, up->file.media.id, "hall", "x.png").ok());
    CHECK(has_event(transport.take(1), "devices/updated"));
    REQUIRE(env.w.svc->media().remove(env.op, up->file.media.id).ok());
    CHECK(has_event(transport.take(1), "devices/updated"));
    CHECK(transport.take(4).empty());  // another organisation hears nothing
    CHECK(transport.take(2).empty());  // players get no control-plane events
  }

  SUBCASE("deleting a placeholder's media refreshes the players showing it") {
    auto up = env.upload("poster.png", kPng);
    REQUIRE(up.ok());
    REQUIRE(env.w.svc->devices().set_placeholder(env.op, "lobby", up->file.media.id).ok());
    CHECK(find_event(transport.take(2), "placeholder/refresh") == R"(2["placeholder/refresh"])");
    CHECK(transport.take(3).empty());
    REQUIRE(env.w.svc->media().remove(env.op, up->file.media.id).ok());
    CHECK(has_event(transport.take(2), "placeholder/refresh"));
    CHECK(transport.take(3).empty());
    CHECK(has_event(transport.take(1), "devices/updated"));
  }

  SUBCASE("a command through the playback service reaches the device's players and previews") {
    REQUIRE(env.upload("poster.png", kPng).ok());
    (void)transport.take(1);
    REQUIRE(env.w.svc->playback().command(env.speaker, "lobby", {PlaybackAction::play, "poster.png", std::nullopt}).ok());
    CHECK(find_event(transport.take(2), "player/play").starts_with(R"(2["player/play",{"type":"image","file":"poster.png")"));
    CHECK(transport.take(3).empty());
    // The panels get the new state with the refresh, so a live preview needs no extra request.
    CHECK(find_event(transport.take(1), "preview/refresh")
              .starts_with(R"(2["preview/refresh",{"device_id":"lobby","state":{"type":"image","file":"poster.png","state":"playing")"));
    CHECK(env.w.svc->playback().command_stats().count == 1);
  }

  SUBCASE("a detached hub delivers nothing") {
    hub.detach();
    REQUIRE(env.upload("poster.png", kPng).ok());
    CHECK(transport.take(1).empty());
  }

  SUBCASE("a player's player/status reaches its organisation's panels, checked and bounded") {
    hub.on_packet(2, R"(25["player/status",{"state":"ended","file":"intro.mp4","type":"video","position":3.5,"junk":1}])");
    CHECK(transport.take(2) == std::vector<std::string>{R"(35[{"ok":true}])"});
    CHECK(find_event(transport.take(1), "player/status")
              .starts_with(R"(2["player/status",{"device_id":"lobby","state":"ended","file":"intro.mp4","type":"video","position":3.5,"at":)"));
    CHECK(transport.take(3).empty());  // other players hear nothing
    CHECK(transport.take(4).empty());  // nor another organisation's panels

    // Refused with the reason: a bad payload; a sender that is not a registered player.
    hub.on_packet(2, R"(26["player/status",{"state":"dancing"}])");
    const auto refused = transport.take(2);
    REQUIRE(refused.size() == 1);
    CHECK(refused[0].starts_with(R"(36[{"ok":false,"error":"player/status: state must be)"));
    hub.on_packet(1, R"(27["player/status",{"state":"playing"}])");
    const auto panel = transport.take(1);
    REQUIRE(panel.size() == 1);  // the refusal, and no player/status
    CHECK(panel[0].starts_with(R"(37[{"ok":false,"error":"player/status is for registered players)"));

    // A flood from one player is cut off at the limit; the panels get only what was accepted.
    int accepted = 0, delivered = 0;
    for (int i = 0; i < 30; ++i) hub.on_packet(3, R"(28["player/status",{"state":"playing","file":"a.png"}])");
    for (const auto& p : transport.take(3)) accepted += p == R"(38[{"ok":true}])";
    for (const auto& p : transport.take(1)) delivered += p.starts_with(R"(2["player/status",{"device_id":"hall")");
    CHECK(accepted == 20);
    CHECK(delivered == 20);
  }

  SUBCASE("the last player leaving sends player/offline") {
    hub.on_close(2);
    CHECK(find_event(transport.take(1), "player/offline") == R"(2["player/offline",{"device_id":"lobby"}])");
  }
}

TEST_CASE("a superadmin's control socket may act in another organisation, named in the CONNECT auth") {
  Env env;
  FakeTransport transport;
  RealtimeHub hub(*env.w.svc);
  hub.attach(transport);
  const auto token = [&](const std::string& user, const std::string& pw) {
    return env.w.svc->auth().login(user, pw, "127.0.0.1").value().access_token;
  };
  const std::string admin = token("admin", "Super-Password-1");
  const std::string org_id = env.w.svc->devices().get(env.op, "lobby")->device.organization_id;

  // 1: the superadmin in the events organisation; 2: the superadmin at home (Default).
  hub.on_open(1, "127.0.0.1", "");
  hub.on_packet(1, R"(0{"token":")" + admin + R"(","organization_id":")" + org_id + R"("})");
  CHECK(transport.take(1).front().starts_with("0{\"sid\":"));
  hub.on_open(2, "127.0.0.1", "");
  hub.on_packet(2, R"(0{"token":")" + admin + R"("})");
  (void)transport.take(2);
  REQUIRE(env.upload("poster.png", kPng).ok());
  CHECK(has_event(transport.take(1), "devices/updated"));
  CHECK(transport.take(2).empty());
  // A command on that socket reaches that organisation's device.
  hub.on_packet(1, R"(21["control/play",{"device_id":"lobby","file":"poster.png"}])");
  CHECK(transport.take(1).back().starts_with(R"(31[{"ok":true)"));

  SUBCASE("anyone else naming an organisation is refused, and so is an unknown one") {
    hub.on_open(3, "127.0.0.1", "");
    hub.on_packet(3, R"(0{"token":")" + token("operator_e", "Password-operator_e-1") + R"(","organization_id":")" + org_id + R"("})");
    CHECK(transport.take(3).front().starts_with("4{\"message\":"));
    hub.on_open(4, "127.0.0.1", "");
    hub.on_packet(4, R"(0{"token":")" + admin + R"(","organization_id":"no-such-org"})");
    CHECK(transport.take(4).front().starts_with("4{\"message\":"));
    hub.on_open(5, "127.0.0.1", "");
    hub.on_packet(5, R"(0{"organization_id":")" + org_id + R"("})");
    CHECK(transport.take(5).front().starts_with("4{\"message\":"));
    CHECK(hub.stats().controls == 2);
  }
}

TEST_CASE("revocation reaches open control sockets: each command and each sweep checks the credential again") {
  Env env;
  FakeTransport transport;
  RealtimeHub hub(*env.w.svc);
  hub.attach(transport);
  auto tokens = [&](const std::string& user) { return env.w.svc->auth().login(user, "Password-" + user + "-1", "127.0.0.1").value(); };
  const Tokens speaker = tokens("speaker_e");
  const Tokens op = tokens("operator_e");
  auto key = env.w.svc->api_keys().create(env.w.super, {"panel", {"read", "control"}, std::nullopt, env.org.id});
  REQUIRE_MESSAGE(key.ok(), (key.ok() ? "" : key.error().message));
  // 1: the speaker's panel; 2: the operator's; 3: a panel on the API key.
  auto open = [&](ConnectionId id, const std::string& credential) {
    hub.on_open(id, "127.0.0.1", "");
    hub.on_packet(id, R"(0{"token":")" + credential + R"("})");
    REQUIRE(transport.take(id).front().starts_with("0{\"sid\":"));
  };
  open(1, speaker.access_token);
  open(2, op.access_token);
  open(3, key->secret);
  REQUIRE(hub.stats().controls == 3);
  const std::string play = R"(27["control/play",{"device_id":"lobby","file":"x.png"}])";
  auto ended = [&](ConnectionId id) {
    const auto sent = transport.take(id);
    return transport.closed(id) && std::find(sent.begin(), sent.end(), "1") != sent.end();  // DISCONNECT, then closed
  };
  auto still_open = [&](ConnectionId id) { return !transport.closed(id); };

  SUBCASE("a disabled user's panel ends at once; the others stay") {
    REQUIRE(env.w.svc->users().update(env.w.super, env.speaker.id, {std::nullopt, false, std::nullopt}).ok());
    CHECK(ended(1));
    CHECK(still_open(2));
    CHECK(still_open(3));
    CHECK(hub.stats().controls == 2);
  }
  SUBCASE("a deleted user's panel ends at once") {
    REQUIRE(env.w.svc->users().remove(env.w.super, env.speaker.id).ok());
    CHECK(ended(1));
    CHECK(still_open(2));
  }
  SUBCASE("a revoked API key's panel ends at once") {
    REQUIRE(env.w.svc->api_keys().revoke(env.w.super, key->key.id).ok());
    CHECK(ended(3));
    CHECK(still_open(1));
    CHECK(still_open(2));
  }
  SUBCASE("after a logout the next command is refused and the panel ends; a sweep ends an idle one") {
    auto speaker_actor = env.w.svc->auth().authenticate(speaker.access_token, "127.0.0.1");
    REQUIRE(speaker_actor.ok());
    REQUIRE(env.w.svc->auth().logout(*speaker_actor, speaker.refresh_token).ok());
    hub.on_packet(1, play);
    const auto sent = transport.take(1);
    REQUIRE(sent.size() == 2);
    CHECK(sent[0].starts_with(R"(37[{"ok":false,"error":")"));
    CHECK(sent[0].find(R"("code":"unauthenticated")") != std::string::npos);
    CHECK(sent[1] == "1");
    CHECK(transport.closed(1));
    // The operator signs out everywhere and sends nothing: the next sweep ends the panel.
    auto op_actor = env.w.svc->auth().authenticate(op.access_token, "127.0.0.1");
    REQUIRE(env.w.svc->auth().logout_everywhere(*op_actor).ok());
    CHECK(still_open(2));
    hub.sweep();
    CHECK(ended(2));
    CHECK(still_open(3));
  }
  SUBCASE("a password change ends the panels of the account's sessions") {
    auto op_actor = env.w.svc->auth().authenticate(op.access_token, "127.0.0.1");
    REQUIRE(env.w.svc->auth().change_password(*op_actor, "Password-operator_e-1", "Another-Password-2").ok());
    hub.on_packet(2, play);
    CHECK(ended(2));
    CHECK(still_open(1));
  }
  SUBCASE("a role taken away applies to the next command; the panel stays, reading") {
    REQUIRE(env.w.svc->users().update(env.w.super, env.speaker.id, {std::string("viewer"), std::nullopt, std::nullopt}).ok());
    (void)transport.take(1);
    hub.on_packet(1, play);
    const auto sent = transport.take(1);
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].starts_with(R"(37[{"ok":false,"error":")"));
    CHECK(sent[0].find(R"("code":"forbidden")") != std::string::npos);
    CHECK(still_open(1));
  }
  SUBCASE("an access token that expires ends its panel at the next sweep; an API key does not expire") {
    env.w.clock->advance(std::chrono::minutes(14));
    hub.sweep();
    CHECK(still_open(1));
    env.w.clock->advance(std::chrono::minutes(2));  // past the 15-minute access token
    hub.sweep();
    CHECK(ended(1));
    CHECK(ended(2));
    CHECK(still_open(3));
    CHECK(hub.stats().controls == 1);
  }
}
