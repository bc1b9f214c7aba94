// The realtime hub's parts on their own: the event catalogue (domain event → Socket.IO packets and
// their audience, panel control events → playback commands), the check of players' player/status
// reports and the connection registry.
#include <doctest/doctest.h>

#include <algorithm>

#include "realtime/broadcasts.hpp"
#include "realtime/connection_registry.hpp"
#include "realtime/player_status.hpp"

using namespace vc;
using namespace vc::realtime;

namespace {

DomainEvent event(EventKind kind, std::string device = "lobby", std::string org = "org-1") {
  DomainEvent e;
  e.kind = kind;
  e.device_id = std::move(device);
  e.organization_id = std::move(org);
  return e;
}

std::string audience(const Broadcast& b) {
  return (b.to == Broadcast::To::device_players ? "players:" : "panels:") + b.target;
}

}  // namespace

TEST_SUITE("realtime_parts") {
TEST_CASE("every change of devices and files tells the organisation's panels devices/updated") {
  for (auto kind : {EventKind::device_created, EventKind::device_renamed, EventKind::device_deleted,
                    EventKind::device_credential_changed, EventKind::media_added, EventKind::media_renamed,
                    EventKind::media_linked, EventKind::media_unlinked, EventKind::media_moved, EventKind::media_deleted}) {
    CAPTURE(to_string(kind));
    const auto out = broadcasts_for(event(kind));
    REQUIRE(out.size() == 1);
    CHECK(audience(out[0]) == "panels:org-1");
    CHECK(out[0].packet == R"(2["devices/updated"])");
  }
}

TEST_CASE("a placeholder change refreshes every device's players and the panels") {
  auto e = event(EventKind::placeholder_changed, "lobby");
  e.device_ids = {"hall", "lobby"};
  const auto out = broadcasts_for(e);
  std::vector<std::string> who;
  for (const auto& b : out) who.push_back(audience(b) + " " + b.packet);
  std::sort(who.begin(), who.end());
  CHECK(who == std::vector<std::string>{R"(panels:org-1 2["devices/updated"])", R"(players:hall 2["placeholder/refresh"])",
                                        R"(players:lobby 2["placeholder/refresh"])"});
}

TEST_CASE("a playback change sends the player event with its argument and refreshes the preview") {
  auto e = event(EventKind::playback_changed);
  e.player_event = "player/pdfPage";
  e.player_payload = "3";
  auto out = broadcasts_for(e);
  REQUIRE(out.size() == 2);
  CHECK(audience(out[0]) == "players:lobby");
  CHECK(out[0].packet == R"(2["player/pdfPage",3])");
  CHECK(audience(out[1]) == "panels:org-1");
  CHECK(out[1].packet == R"(2["preview/refresh",{"device_id":"lobby"}])");
  e.state = R"({"type":"pdf","file":"deck.pdf","state":"playing","page":3})";
  CHECK(broadcasts_for(e)[1].packet ==
        R"(2["preview/refresh",{"device_id":"lobby","state":{"type":"pdf","file":"deck.pdf","state":"playing","page":3}}])");

  e.player_event.clear();  // a page click at the last page: the players need not be told
  out = broadcasts_for(e);
  REQUIRE(out.size() == 1);
  CHECK(audience(out[0]) == "panels:org-1");
}

TEST_CASE("online and offline go to the panels only; no organisation, no panel") {
  auto on = broadcasts_for(event(EventKind::device_online));
  REQUIRE(on.size() == 1);
  CHECK(on[0].packet == R"(2["player/online",{"device_id":"lobby"}])");
  auto off = broadcasts_for(event(EventKind::device_offline));
  REQUIRE(off.size() == 1);
  CHECK(off[0].packet == R"(2["player/offline",{"device_id":"lobby"}])");
  CHECK(broadcasts_for(event(EventKind::media_added, "lobby", "")).empty());
  // A device id with quotes stays valid JSON.
  CHECK(broadcasts_for(event(EventKind::device_online, "a\"b"))[0].packet == R"(2["player/online",{"device_id":"a\"b"}])");
}

TEST_CASE("panel control events map to playback commands") {
  CHECK(control_command("control/play", {"a.png", std::nullopt})->action == PlaybackAction::play);
  CHECK(control_command("control/play", {"", std::nullopt})->action == PlaybackAction::resume);
  CHECK(control_command("control/play", {"deck.pdf", 4})->page == 4);
  CHECK(control_command("control/pause", {})->action == PlaybackAction::pause);
  CHECK(control_command("control/restart", {})->action == PlaybackAction::restart);
  CHECK(control_command("control/stop", {})->action == PlaybackAction::stop);
  CHECK(control_command("control/pdfNext", {})->action == PlaybackAction::next_page);
  CHECK(control_command("control/pdfPrev", {})->action == PlaybackAction::prev_page);
  CHECK(control_command("control/page", {"", 2})->page == 2);
  CHECK(control_command("control/pause", {"ignored.png", 9})->file.empty());
  CHECK_FALSE(control_command("control/volume", {}).has_value());
  CHECK_FALSE(control_command("player/register", {}).has_value());
}

TEST_CASE("connection registry: panels, players, moving between devices, leaving") {
  ConnectionRegistry r;
  r.open(1, "127.0.0.1", "", 1000);
  r.open(2, "127.0.0.1", "", 1000);
  r.open(3, "127.0.0.1", "tok", 1000);
  REQUIRE(r.find(3) != nullptr);
  CHECK(r.find(3)->query_token == "tok");
  CHECK_FALSE(r.find(3)->connected);
  CHECK(r.find(9) == nullptr);

  Actor panel;
  panel.organization_id = "org-1";
  CHECK(r.accept(1, panel));
  CHECK(r.accept(2, std::nullopt));
  CHECK(r.accept(3, std::nullopt));
  CHECK_FALSE(r.accept(9, std::nullopt));
  CHECK(r.controls_of("org-1") == std::vector<ConnectionId>{1});
  CHECK(r.controls_of("").empty());

  auto a = r.register_player(2, "lobby", "org-1", 2000);
  REQUIRE(a);
  CHECK(a->first);
  CHECK_FALSE(a->previous);
  auto b = r.register_player(3, "lobby", "org-1", 2000);
  CHECK_FALSE(b->first);
  CHECK(r.players_of("lobby") == std::vector<ConnectionId>{2, 3});
  CHECK(r.holds("lobby"));

  // Connection 3 moves to another device: lobby still has 2, so nothing departs.
  auto moved = r.register_player(3, "hall", "org-1", 2500);
  CHECK(moved->first);
  CHECK_FALSE(moved->previous);
  // Connection 2 moves too: it was lobby's last.
  moved = r.register_player(2, "hall", "org-1", 2500);
  REQUIRE(moved->previous);
  CHECK(moved->previous->device_id == "lobby");
  CHECK_FALSE(r.holds("lobby"));

  // A panel that registers as a player leaves the panels.
  CHECK(r.register_player(1, "stage", "org-1", 3000)->first);
  CHECK(r.controls_of("org-1").empty());

  const auto s = r.stats();
  CHECK(s.connections == 3);
  CHECK(s.players == 3);
  CHECK(s.controls == 0);
  CHECK(s.online_devices == 2);
  CHECK(r.held_devices().size() == 2);

  CHECK(r.touch(2, 9000));
  CHECK_FALSE(r.touch(9, 9000));
  auto silent = r.silent_players(5000);
  std::sort(silent.begin(), silent.end());
  CHECK(silent == std::vector<ConnectionId>{1, 3});

  CHECK_FALSE(r.close(3).has_value());  // hall still has 2
  auto gone = r.close(2);
  REQUIRE(gone);
  CHECK(gone->device_id == "hall");
  CHECK(gone->org == "org-1");
  CHECK_FALSE(r.close(2).has_value());  // twice: nothing
  CHECK(r.close(1)->device_id == "stage");
  CHECK(r.stats().connections == 0);
  CHECK(r.held_devices().empty());
}

TEST_CASE("player/status: a player's report is checked, bounded and becomes the panels' argument") {
  auto ok = [](std::string_view arg) {
    auto r = player_status_payload("lobby", arg, 1234);
    REQUIRE_MESSAGE(r.ok(), r.error().message);
    return *r;
  };
  CHECK(ok(R"({"state":"playing","file":"intro.mp4","type":"video"})") ==
        R"({"device_id":"lobby","state":"playing","file":"intro.mp4","type":"video","at":1234})");
  CHECK(ok(R"({"state":"ended","file":"intro.mp4","type":"video","position":12.5,"extra":{"dropped":true}})") ==
        R"({"device_id":"lobby","state":"ended","file":"intro.mp4","type":"video","position":12.5,"at":1234})");
  CHECK(ok(R"({"state":"error","file":"deck.pdf","type":"pdf","page":3,"error":"not_converted"})") ==
        R"({"device_id":"lobby","state":"error","file":"deck.pdf","type":"pdf","page":3,"error":"not_converted","at":1234})");
  // An error without a reason gets one; nulls count as absent; only state is required.
  CHECK(ok(R"({"state":"error","file":null})") == R"({"device_id":"lobby","state":"error","error":"unknown","at":1234})");
  CHECK(ok(R"({"state":"idle"})") == R"({"device_id":"lobby","state":"idle","at":1234})");
  // A long error text is cut at a character boundary (2-byte Cyrillic letters: 100 of them fit).
  std::string cyrillic;
  for (int i = 0; i < 150; ++i) cyrillic += "ж";
  const auto cut = ok(R"({"state":"error","error":")" + cyrillic + R"("})");
  CHECK(cut.find(std::string(R"("error":")") + cyrillic.substr(0, 200) + "\"") != std::string::npos);
  // Quotes in names stay valid JSON; the device id is the connection's, never the payload's.
  CHECK(player_status_payload("a\"b", R"({"state":"playing","file":"x\"y.png","device_id":"other"})", 1).value() ==
        R"({"device_id":"a\"b","state":"playing","file":"x\"y.png","at":1})");

  for (std::string bad : {std::string("null"), std::string("[]"), std::string("\"playing\""), std::string("{"),
                          std::string("{}"), std::string(R"({"state":"dancing"})"), std::string(R"({"state":1})"),
                          std::string(R"({"state":"playing","type":"hologram"})"),
                          std::string(R"({"state":"playing","file":7})"), std::string(R"({"state":"playing","page":0})"),
                          std::string(R"({"state":"playing","page":2.5})"), std::string(R"({"state":"playing","page":1000001})"),
                          std::string(R"({"state":"playing","position":-1})"), std::string(R"({"state":"playing","position":1e8})"),
                          std::string(R"({"state":"playing","position":"12"})"), std::string(R"({"state":"playing","error":{}})"),
                          std::string(R"({"state":"playing","file":"\udddd"})"), std::string("{\"state\":\"playing\",\"file\":\"\xff\"}"),
                          R"({"state":"playing","file":")" + std::string(1025, 'f') + R"("})",
                          R"({"state":"playing","pad":")" + std::string(5000, ' ') + R"("})"}) {
    CAPTURE(bad.substr(0, 80));
    auto r = player_status_payload("lobby", bad, 1);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::invalid);
    CHECK(r.error().message.starts_with("player/status: "));
  }
  CHECK(player_status_payload("lobby", R"({"state":"playing","file":")" + std::string(1024, 'f') + R"("})", 1).ok());
}

TEST_CASE("player/status goes to the organisation's panels only") {
  auto e = event(EventKind::player_status);
  e.player_payload = R"({"device_id":"lobby","state":"ended","file":"intro.mp4","at":5})";
  auto out = broadcasts_for(e);
  REQUIRE(out.size() == 1);
  CHECK(audience(out[0]) == "panels:org-1");
  CHECK(out[0].packet == R"(2["player/status",{"device_id":"lobby","state":"ended","file":"intro.mp4","at":5}])");
  e.player_payload.clear();
  CHECK(broadcasts_for(e).empty());
  auto no_org = event(EventKind::player_status, "lobby", "");
  no_org.player_payload = R"({"device_id":"lobby","state":"idle","at":5})";
  CHECK(broadcasts_for(no_org).empty());
}

TEST_CASE("connection registry: player/status reports are limited per connection and window") {
  ConnectionRegistry r;
  r.open(1, "127.0.0.1", "", 0);
  for (int i = 0; i < 3; ++i) CHECK(r.allow_status(1, 1000 + i, 3, 10'000));
  CHECK_FALSE(r.allow_status(1, 1500, 3, 10'000));
  CHECK_FALSE(r.allow_status(1, 10'999, 3, 10'000));
  CHECK(r.allow_status(1, 11'000, 3, 10'000));  // a new window
  CHECK_FALSE(r.allow_status(9, 11'000, 3, 10'000));  // unknown connection
}
TEST_CASE("connection registry: connections that never send CONNECT, or never become a player or panel, are listed after their timeouts") {
  ConnectionRegistry r;
  r.open(1, "127.0.0.1", "", 1000);  // never connects
  r.open(2, "127.0.0.1", "", 1000);  // connects anonymously, never registers
  r.open(3, "127.0.0.1", "", 1000);  // connects and registers as a player
  r.open(4, "127.0.0.1", "", 1000);  // a control panel (a token at CONNECT)
  r.open(5, "127.0.0.1", "", 4000);  // new: within both timeouts
  CHECK(r.accept(2, std::nullopt));
  CHECK(r.accept(3, std::nullopt));
  REQUIRE(r.register_player(3, "lobby", "org-1", 1500));
  Actor panel;
  panel.organization_id = "org-1";
  CHECK(r.accept(4, panel));

  auto sorted = [](std::vector<ConnectionId> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  // Before either cutoff passes the openings, nothing is listed.
  CHECK(r.unidentified(1000, 1000).empty());
  // CONNECT timeout only: the connection that never sent CONNECT.
  CHECK(sorted(r.unidentified(2000, std::nullopt)) == std::vector<ConnectionId>{1});
  // Identify timeout: also the anonymous one; never the player or the panel, nor the new one.
  CHECK(sorted(r.unidentified(std::nullopt, 3000)) == std::vector<ConnectionId>{1, 2});
  CHECK(sorted(r.unidentified(2000, 3000)) == std::vector<ConnectionId>{1, 2});
  CHECK(sorted(r.unidentified(5000, 5000)) == std::vector<ConnectionId>{1, 2, 5});
  CHECK(r.unidentified(std::nullopt, std::nullopt).empty());  // both off
}

}
