// Device identity (issue 16, item 4): credentials by default, legacy players, one answer for an
// unknown device and a wrong credential, limits per client address, bounded player reports, no
// side effects of a refused player, and a credential change reaching open player connections.
#include <doctest/doctest.h>

#include "fake_transport.hpp"
#include "services_world.hpp"
#include "storage/raw_access.hpp"
#include "videocontrol/audit.hpp"
#include "videocontrol/devices.hpp"
#include "videocontrol/players.hpp"
#include "videocontrol/realtime_hub.hpp"

using namespace vc;
using vc::test::World;

namespace {

struct Org {
  World& w;
  Organization org;
  Actor op;
  Org(World& world, const std::string& slug) : w(world) {
    org = w.org(slug);
    op = w.user_in(org, "op_" + slug, "operator");
  }
};

bool has_packet(const std::vector<std::string>& packets, std::string_view prefix) {
  for (const auto& p : packets)
    if (p.starts_with(prefix)) return true;
  return false;
}

}  // namespace

TEST_CASE("a new device gets a credential shown once; a legacy player gets none") {
  World w(CredentialPolicy::required);
  Org a(w, "ident-a");
  auto made = w.svc->devices().create(a.op, {"screen-1", "Screen"});
  REQUIRE(made.ok());
  CHECK(made->credential.starts_with("vcd_"));
  CHECK_FALSE(made->device.legacy_player);
  CHECK_FALSE(made->device.credential_hash.empty());
  const std::string json = Devices::to_json(*made);
  CHECK(json.find("\"credential\":\"" + made->credential + "\"") != std::string::npos);
  CHECK(json.find("\"legacy_player\":false") != std::string::npos);
  // Read back, the credential is not there (only its hash is kept).
  auto read = w.svc->devices().get(a.op, "screen-1");
  REQUIRE(read.ok());
  CHECK(read->credential.empty());
  CHECK(Devices::to_json(*read).find("\"credential\"") == std::string::npos);
  // The credential from create() works; id alone does not.
  CHECK(w.svc->players().authenticate("screen-1", made->credential).ok());
  CHECK(w.svc->players().authenticate("screen-1", "").error().code == ErrorCode::unauthenticated);

  auto legacy = w.svc->devices().create(a.op, {"old-box", "Old box", true});
  REQUIRE(legacy.ok());
  CHECK(legacy->credential.empty());
  CHECK(legacy->device.legacy_player);
  CHECK(legacy->device.credential_hash.empty());
  CHECK(w.svc->players().authenticate("old-box", "").ok());
}

TEST_CASE("the legacy flag is the operators' to change, audited, and a player it no longer admits is ended") {
  World w(CredentialPolicy::required);
  Org a(w, "ident-legacy");
  REQUIRE(w.svc->devices().create(a.op, {"box", "Box", true}).ok());
  const Actor viewer = w.user_in(a.org, "viewer_legacy", "viewer");
  CHECK(w.svc->devices().set_legacy_player(viewer, "box", false).error().code == ErrorCode::forbidden);
  Org b(w, "ident-other");
  CHECK(w.svc->devices().set_legacy_player(b.op, "box", false).error().code == ErrorCode::not_found);

  // A legacy player registered by id alone on a socket …
  test::FakeTransport transport;
  RealtimeHub hub(*w.svc);
  hub.attach(transport);
  hub.on_open(1, "127.0.0.1", "");
  hub.on_packet(1, "0");
  hub.on_packet(1, R"(2["player/register",{"device_id":"box"}])");
  REQUIRE(has_packet(transport.take(1), R"(2["player/registered")"));
  CHECK(hub.is_online("box"));

  // … is rejected and closed once the flag is off: it has no credential to show.
  auto off = w.svc->devices().set_legacy_player(a.op, "box", false);
  REQUIRE(off.ok());
  CHECK_FALSE(off->device.legacy_player);
  const auto sent = transport.take(1);
  CHECK(has_packet(sent, R"(2["player/reject",{"reason":"bad credential")"));
  CHECK(transport.closed(1));
  CHECK(w.svc->players().authenticate("box", "").error().code == ErrorCode::unauthenticated);
  hub.on_close(1);

  AuditFilter filter;
  filter.organization_id = a.org.id;
  auto audit = w.svc->audit().list(w.super, filter);
  REQUIRE(audit.ok());
  bool audited = false;
  for (const auto& e : audit->items) audited = audited || e.action == "device.legacy_player";
  CHECK(audited);

  // Setting the same value again changes nothing and ends nothing.
  CHECK(w.svc->devices().set_legacy_player(a.op, "box", false).ok());
  hub.detach();
}

TEST_CASE("a rotated credential ends the player connected with the old one") {
  World w(CredentialPolicy::required);
  Org a(w, "ident-rotate");
  auto made = w.svc->devices().create(a.op, {"wall", "Wall"});
  REQUIRE(made.ok());
  test::FakeTransport transport;
  RealtimeHub hub(*w.svc);
  hub.attach(transport);
  hub.on_open(1, "127.0.0.1", "");
  hub.on_packet(1, "0");
  hub.on_packet(1, R"(2["player/register",{"device_id":"wall","token":")" + made->credential + R"("}])");
  REQUIRE(has_packet(transport.take(1), R"(2["player/registered")"));
  // A rename is no credential change: the player stays.
  REQUIRE(w.svc->devices().rename(a.op, "wall", "Wall 2").ok());
  CHECK_FALSE(transport.closed(1));
  REQUIRE(w.svc->devices().rotate_credential(a.op, "wall").ok());
  CHECK(has_packet(transport.take(1), R"(2["player/reject")"));
  CHECK(transport.closed(1));
  hub.on_close(1);
  hub.detach();
}

TEST_CASE("an unknown device and a wrong credential get the same answer") {
  for (auto policy : {CredentialPolicy::optional, CredentialPolicy::required}) {
    CAPTURE(to_string(policy));
    World w(policy);
    Org a(w, "ident-same");
    REQUIRE(w.svc->devices().create(a.op, {"known", "Known"}).ok());
    auto& players = w.svc->players();
    for (const char* credential : {"", "vcd_wrong"}) {
      CAPTURE(credential);
      auto known = players.authenticate("known", credential);
      auto unknown = players.authenticate("unknown", credential);
      auto malformed = players.authenticate(std::string(65, 'x'), credential);
      REQUIRE_FALSE(known.ok());
      REQUIRE_FALSE(unknown.ok());
      REQUIRE_FALSE(malformed.ok());
      CHECK(known.error() == unknown.error());
      CHECK(known.error() == malformed.error());
      CHECK(known.error().code == ErrorCode::unauthenticated);
    }
  }
}

TEST_CASE("failed device authentications from one address are limited, other addresses are not") {
  World w(CredentialPolicy::required, [](ServiceOptions& o) {
    o.device_auth_failures = 3;
    o.player_requests_per_minute = 0;
  });
  Org a(w, "ident-limit");
  auto made = w.svc->devices().create(a.op, {"door", "Door"});
  REQUIRE(made.ok());
  auto& players = w.svc->players();
  // Successes cost nothing: many in a row pass.
  for (int i = 0; i < 10; ++i) REQUIRE(players.authenticate("door", made->credential, "10.0.0.1").ok());
  for (int i = 0; i < 3; ++i)
    CHECK(players.authenticate("door", "vcd_guess" + std::to_string(i), "10.0.0.1").error().code ==
          ErrorCode::unauthenticated);
  // The fourth guess, and then even the right credential, are refused from that address …
  auto limited = players.authenticate("door", "vcd_guess", "10.0.0.1");
  REQUIRE_FALSE(limited.ok());
  CHECK(limited.error().code == ErrorCode::rate_limited);
  CHECK(limited.error().retry_after_s >= 1);
  CHECK(players.authenticate("door", made->credential, "10.0.0.1").error().code == ErrorCode::rate_limited);
  // … while another address, and calls without one (the library's own re-checks), go on.
  CHECK(players.authenticate("door", made->credential, "10.0.0.2").ok());
  CHECK(players.authenticate("door", made->credential).ok());
  // The window refills with time.
  w.clock->advance(std::chrono::minutes(5));
  CHECK(players.authenticate("door", made->credential, "10.0.0.1").ok());
}

TEST_CASE("player requests per address are limited") {
  World w(CredentialPolicy::required, [](ServiceOptions& o) { o.player_requests_per_minute = 5; });
  Org a(w, "ident-requests");
  REQUIRE(w.svc->devices().create(a.op, {"kiosk", "Kiosk", true}).ok());
  auto& players = w.svc->players();
  for (int i = 0; i < 5; ++i) REQUIRE(players.authenticate("kiosk", "", "10.1.1.1").ok());
  auto sixth = players.authenticate("kiosk", "", "10.1.1.1");
  REQUIRE_FALSE(sixth.ok());
  CHECK(sixth.error().code == ErrorCode::rate_limited);
  CHECK(players.authenticate("kiosk", "", "10.1.1.2").ok());
}

TEST_CASE("a refused player changes nothing: no last seen, no cache invalidation") {
  World w(CredentialPolicy::required);
  Org a(w, "ident-quiet");
  auto made = w.svc->devices().create(a.op, {"lab", "Lab"});
  REQUIRE(made.ok());
  const auto before = w.svc->devices().get(a.op, "lab").value().device;
  const auto list_before = w.svc->devices().list_json(a.op, {});
  REQUIRE(list_before.ok());
  const auto generation = w.cache->generation("devices:" + a.org.id);

  test::FakeTransport transport;
  RealtimeHub hub(*w.svc);
  hub.attach(transport);
  for (ConnectionId id = 1; id <= 5; ++id) {
    hub.on_open(id, "127.0.0.1", "");
    hub.on_packet(id, "0");
    hub.on_packet(id, R"(2["player/register",{"device_id":"lab","token":"vcd_wrong","platform":"evil"}])");
    CHECK(has_packet(transport.take(id), R"(2["player/reject")"));
    CHECK(w.svc->players().authenticate("lab", "vcd_wrong", "127.0.0.1").error().code == ErrorCode::unauthenticated);
  }
  hub.detach();
  const auto after = w.svc->devices().get(a.op, "lab").value().device;
  CHECK(after.last_seen_at_ms == before.last_seen_at_ms);
  CHECK(after.updated_at_ms == before.updated_at_ms);
  CHECK(after.platform == before.platform);
  CHECK(after.status == "offline");
  CHECK(w.cache->generation("devices:" + a.org.id) == generation);
  CHECK_FALSE(hub.is_online("lab"));
}

TEST_CASE("what a player reports is bounded and checked before anything is written") {
  World w(CredentialPolicy::required);
  Org a(w, "ident-report");
  REQUIRE(w.svc->devices().create(a.op, {"tv", "TV", true}).ok());
  const Actor tv = w.svc->players().authenticate("tv", "").value();
  auto& devices = w.svc->devices();

  Devices::PlayerInfo big;
  big.capabilities_json = "{\"x\":\"" + std::string(950 * 1024, 'a') + "\"}";
  auto r = devices.register_player(tv, big);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::invalid);
  CHECK(r.error().message.find("capabilities") != std::string::npos);

  Devices::PlayerInfo not_object;
  not_object.capabilities_json = "[1,2]";
  CHECK(devices.register_player(tv, not_object).error().code == ErrorCode::invalid);

  Devices::PlayerInfo control;
  control.device_type = "tv\x01";
  CHECK(devices.register_player(tv, control).error().message.find("device_type") != std::string::npos);
  Devices::PlayerInfo broken;
  broken.platform = "\xff\xfe";
  CHECK(devices.register_player(tv, broken).error().message.find("platform") != std::string::npos);
  Devices::PlayerInfo bidi;
  bidi.platform = "web\xe2\x80\xae";  // U+202E RIGHT-TO-LEFT OVERRIDE
  CHECK(devices.register_player(tv, bidi).error().code == ErrorCode::invalid);

  // None of them wrote anything.
  auto d = devices.get(a.op, "tv").value().device;
  CHECK_FALSE(d.last_seen_at_ms.has_value());
  CHECK(d.capabilities_json == "{}");
  CHECK(d.device_type.empty());

  // A long platform (a user agent) is cut to 64 bytes on a character boundary, not refused.
  Devices::PlayerInfo long_one;
  std::string agent;
  while (agent.size() < 100) agent += "Мозилла/5.0 ";  // two-byte letters
  long_one.platform = agent;
  long_one.device_type = "browser";
  long_one.capabilities_json = R"({"video":true,"pdf":true})";
  auto ok = devices.register_player(tv, long_one);
  REQUIRE(ok.ok());
  CHECK(ok->platform.size() <= 64);
  CHECK(ok->platform.size() >= 63);
  CHECK(agent.starts_with(ok->platform));
  CHECK(ok->capabilities_json == R"({"video":true,"pdf":true})");
  CHECK(ok->last_seen_at_ms.has_value());
}

TEST_CASE("upgrading marks the devices that registered by id alone as legacy players, and only those") {
  test::TempDir dir;
  auto s = open_storage(test::sqlite_options(dir.file("upgrade.db"), 1));
  REQUIRE(s.ok());
  Storage& storage = **s;
  REQUIRE(storage::migrate_up_to(storage, 6).ok());
  // Rows as version 6 knew them (no legacy_player column), written with SQL.
  auto raw = storage::raw_transact(storage, [&](soci::session& sql, storage::Dialect) -> Result<void> {
    sql << "INSERT INTO organizations (id, name, slug, plan, timezone, active, created_at, updated_at) "
           "VALUES ('org-1', 'o', 'o', 'FREE', 'UTC', 1, 1, 1)";
    sql << "INSERT INTO devices (id, organization_id, device_id, name, capabilities, status, last_seen_at, created_at, "
           "updated_at) VALUES ('p1', 'org-1', 'seen-bare', 'a', '{}', 'offline', 5, 1, 1)";
    sql << "INSERT INTO devices (id, organization_id, device_id, name, capabilities, status, credential_hash, "
           "last_seen_at, created_at, updated_at) VALUES ('p2', 'org-1', 'seen-cred', 'b', '{}', 'offline', 'h', 5, 1, 1)";
    sql << "INSERT INTO devices (id, organization_id, device_id, name, capabilities, status, created_at, updated_at) "
           "VALUES ('p3', 'org-1', 'never-seen', 'c', '{}', 'offline', 1, 1)";
    return {};
  });
  REQUIRE(raw.ok());
  REQUIRE(storage.migrate().ok());
  auto legacy = [&](const std::string& id) {
    bool out = false;
    REQUIRE(storage.read([&](StorageSession& t) -> Result<void> {
      auto d = t.devices().find_by_device_id(id);
      REQUIRE(d.ok());
      REQUIRE(d->has_value());
      out = (*d)->legacy_player;
      return {};
    }).ok());
    return out;
  };
  CHECK(legacy("seen-bare"));        // a 2.x player in use: keeps working
  CHECK_FALSE(legacy("seen-cred"));  // it has a credential
  CHECK_FALSE(legacy("never-seen"));
  DeviceRepository::IdentityCounts counts;
  REQUIRE(storage.read([&](StorageSession& t) -> Result<void> {
    auto c = t.devices().identity_counts();
    REQUIRE(c.ok());
    counts = *c;
    return {};
  }).ok());
  CHECK(counts.legacy_players == 1);
  CHECK(counts.without_credential == 1);  // never-seen: needs a credential or the flag
}
