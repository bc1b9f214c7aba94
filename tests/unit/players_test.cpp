// The player API (vc::Players): the credential policy, table-driven, with no side effects; reads
// scoped to the device's own files.
#include <doctest/doctest.h>

#include "services_world.hpp"
#include "videocontrol/devices.hpp"
#include "videocontrol/media.hpp"
#include "videocontrol/players.hpp"
#include "videocontrol/realtime_hub.hpp"

using namespace vc;
using vc::test::World;

namespace {

const std::string kPng = std::string("\x89PNG\r\n\x1a\n", 8) + std::string(100, 'p');

struct Env {
  World w;
  Organization org;
  Actor op;
  std::string secret;  // lobby's credential; hall has none; old is a legacy (2.x) player without one

  explicit Env(CredentialPolicy policy) : w(policy) {
    org = w.org("players-org");
    op = w.user_in(org, "operator_p", "operator");
    REQUIRE(w.svc->devices().create(op, {"lobby", "Lobby"}).ok());
    REQUIRE(w.svc->devices().create(op, {"hall", "Hall"}).ok());
    REQUIRE(w.svc->devices().create(op, {"old", "Old", true}).ok());
    secret = w.svc->devices().rotate_credential(op, "lobby").value();
    REQUIRE(w.svc->devices().clear_credential(op, "hall").ok());
  }

  void upload(const std::string& device, const std::string& name) {
    auto writer = w.svc->media().begin_upload(op, 1 << 20).value();
    REQUIRE(writer->write(kPng + name).ok());  // different bytes per name: no deduplication
    auto info = writer->finish().value();
    REQUIRE(w.svc->media().add_upload(op, device, name, *writer, info).ok());
  }
};

}  // namespace

TEST_CASE("device authentication follows the credential policy") {
  enum Outcome { ok, unauthenticated, not_found };
  struct Row {
    CredentialPolicy policy;
    const char* device;
    const char* credential;  // "RIGHT" = the device's own
    Outcome expect;
  };
  const Row rows[] = {
      {CredentialPolicy::off, "lobby", "", ok},
      {CredentialPolicy::off, "lobby", "wrong", ok},  // 2.x players: ignored
      {CredentialPolicy::off, "hall", "", ok},
      {CredentialPolicy::off, "nope", "", not_found},
      {CredentialPolicy::optional, "lobby", "", unauthenticated},  // it has a credential: it must show it
      {CredentialPolicy::optional, "lobby", "RIGHT", ok},
      {CredentialPolicy::optional, "lobby", "wrong", unauthenticated},  // a wrong ?token= is refused
      {CredentialPolicy::optional, "hall", "", ok},                  // none: by id
      {CredentialPolicy::optional, "hall", "anything", unauthenticated},  // it has none to match
      {CredentialPolicy::optional, "nope", "", unauthenticated},     // unknown reads as refused
      {CredentialPolicy::required, "lobby", "RIGHT", ok},
      {CredentialPolicy::required, "lobby", "", unauthenticated},
      {CredentialPolicy::required, "lobby", "wrong", unauthenticated},
      {CredentialPolicy::required, "hall", "", unauthenticated},
      {CredentialPolicy::required, "old", "", ok},                   // a legacy player: by id alone
      {CredentialPolicy::required, "old", "wrong", unauthenticated}, // a presented credential must be right
      {CredentialPolicy::required, "nope", "x", unauthenticated},    // not not_found: ids stay hidden
      {CredentialPolicy::required, "nope", "", unauthenticated},
  };
  for (const auto& row : rows) {
    CAPTURE(to_string(row.policy));
    CAPTURE(row.device);
    CAPTURE(row.credential);
    Env env(row.policy);
    const auto before = env.w.svc->devices().get(env.op, "lobby").value().device;
    const std::string credential = std::string(row.credential) == "RIGHT" ? env.secret : row.credential;
    auto a = env.w.svc->players().authenticate(row.device, credential);
    switch (row.expect) {
      case ok:
        REQUIRE(a.ok());
        CHECK(a->kind == Actor::Kind::device);
        CHECK(a->id == row.device);
        CHECK(a->organization_id == env.org.id);
        break;
      case unauthenticated:
        REQUIRE_FALSE(a.ok());
        CHECK(a.error().code == ErrorCode::unauthenticated);
        break;
      case not_found:
        REQUIRE_FALSE(a.ok());
        CHECK(a.error().code == ErrorCode::not_found);
        break;
    }
    // No side effects, right or wrong: nothing about the device changed.
    const auto after = env.w.svc->devices().get(env.op, "lobby").value().device;
    CHECK(after.status == before.status);
    CHECK(after.last_seen_at_ms == before.last_seen_at_ms);
    CHECK(after.updated_at_ms == before.updated_at_ms);
  }
}

TEST_CASE("a disabled organisation's devices are unknown to players") {
  Env env(CredentialPolicy::off);
  OrganizationPatch off;
  off.active = false;
  REQUIRE(env.w.svc->organizations().update(env.w.super, env.org.id, off).ok());
  CHECK(env.w.svc->players().authenticate("lobby", "").error().code == ErrorCode::not_found);
}

TEST_CASE("a device's player reads its own files, placeholder and bytes, and nothing else") {
  Env env(CredentialPolicy::off);
  env.upload("lobby", "b.png");
  env.upload("lobby", "a.png");
  env.upload("hall", "hall.png");
  auto& players = env.w.svc->players();
  const Actor lobby = players.authenticate("lobby", "").value();

  auto files = players.files(lobby);
  REQUIRE(files.ok());
  REQUIRE(files->size() == 2);
  CHECK((*files)[0].name == "a.png");
  CHECK((*files)[1].name == "b.png");
  CHECK_FALSE(players.placeholder(lobby).value().has_value());

  auto bytes = players.resolve(lobby, "a.png");
  REQUIRE(bytes.ok());
  CHECK(bytes->blob.size == kPng.size() + 5);
  CHECK(players.resolve(lobby, "hall.png").error().code == ErrorCode::not_found);  // hall's, not lobby's
  CHECK(players.file(lobby, "nope.png").error().code == ErrorCode::not_found);

  // The placeholder: lobby's own name for it, or the media's name when lobby does not have it.
  const auto hall_media = players.files(players.authenticate("hall", "").value()).value()[0].media.id;
  REQUIRE(env.w.svc->devices().set_placeholder(env.op, "lobby", hall_media).ok());
  auto ph = players.placeholder(lobby);
  REQUIRE(ph.ok());
  REQUIRE(ph->has_value());
  CHECK((*ph)->name == "hall.png");
  CHECK(players.resolve(lobby, "hall.png").ok());  // served as lobby's placeholder

  // Only a device actor reads as a player.
  CHECK(players.files(env.op).error().code == ErrorCode::forbidden);
  CHECK(players.files(Actor::device("hall", "another-org")).error().code == ErrorCode::not_found);
}

TEST_CASE("a player registering on the socket passes the same credential check") {
  struct Last : RealtimeTransport {
    std::vector<std::string> sent;
    void send(ConnectionId, std::string p) override { sent.push_back(std::move(p)); }
    void close(ConnectionId) override {}
    bool saw(std::string_view prefix) const {
      for (const auto& p : sent)
        if (p.starts_with(prefix)) return true;
      return false;
    }
  };
  struct Row {
    CredentialPolicy policy;
    const char* device;
    std::string token;  // "$secret": lobby's credential
    bool registered;
  };
  const std::vector<Row> rows = {
      {CredentialPolicy::off, "lobby", "wrong", true},         // 2.x players: tokens ignored
      {CredentialPolicy::optional, "lobby", "", false},        // it has a credential: it must show it
      {CredentialPolicy::optional, "hall", "", true},
      {CredentialPolicy::optional, "lobby", "$secret", true},
      {CredentialPolicy::optional, "lobby", "wrong", false},   // a presented token must be right
      {CredentialPolicy::optional, "hall", "anything", false}, // hall has no credential
      {CredentialPolicy::required, "lobby", "", false},
      {CredentialPolicy::required, "lobby", "$secret", true},
      {CredentialPolicy::required, "nowhere", "$secret", false},
      {CredentialPolicy::required, "old", "", true},           // a legacy player
  };
  for (const auto& row : rows) {
    CAPTURE(to_string(row.policy));
    CAPTURE(row.device);
    CAPTURE(row.token);
    Env env(row.policy);
    Last transport;
    RealtimeHub hub(*env.w.svc);
    hub.attach(transport);
    hub.on_open(1, "127.0.0.1", "");
    hub.on_packet(1, "0");
    const std::string token = row.token == "$secret" ? env.secret : row.token;
    hub.on_packet(1, std::string(R"(2["player/register",{"device_id":")") + row.device + R"(","token":")" + token + R"("}])");
    CHECK(transport.saw(R"(2["player/registered")") == row.registered);
    CHECK(transport.saw(R"(2["player/reject")") == !row.registered);
    CHECK(hub.is_online(row.device) == row.registered);
    hub.detach();
  }
}
