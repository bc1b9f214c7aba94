// EngineIoSession (apps/server/engineio_session.hpp), one Engine.IO v4 connection as a state
// machine, driven without sockets or threads: a fake WebSocketConnection records frames and closes,
// responders record the answers to polls, and every tick gets an explicit time. Each test asserts
// the exact packets a client would see.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "engineio_session.hpp"

namespace {

using vc::server::EngineIoOptions;
using vc::server::EngineIoSession;
using vc::server::Responder;
using vc::server::Response;
using vc::server::WebSocketConnection;
using State = EngineIoSession::State;
using namespace std::string_literals;

constexpr std::int64_t kStart = 100'000;     // the session's creation time, ms
constexpr std::int64_t kInterval = 1'000;    // pingInterval, ms
constexpr std::int64_t kTimeout = 500;       // pingTimeout, ms
constexpr std::size_t kMaxPayload = 4'096;
constexpr std::size_t kMaxQueued = 1'000;     // bytes waiting for a poll

// Records what the session does to a WebSocket. Closing does not call on_close back (Beast does,
// later, on its strand): tests call peer_closed() when they want that.
class FakeWebSocket final : public WebSocketConnection {
 public:
  void start(Handlers h) override {
    ++starts;
    handlers = std::move(h);
  }
  void send(std::string text) override { sent.push_back(std::move(text)); }
  void close() override { ++closes; }

  // A frame from the client.
  void receive(std::string text, bool binary = false) {
    REQUIRE(handlers.on_message);
    handlers.on_message(std::move(text), binary);
  }
  void peer_closed() {
    REQUIRE(handlers.on_close);
    handlers.on_close();
  }

  int starts = 0;
  int closes = 0;
  std::vector<std::string> sent;
  Handlers handlers;
};

// The answers one poll (or any responder) got. A poll must be answered at most once.
struct Poll {
  std::vector<Response> answers;
  Responder responder() {
    return [this](Response r) { answers.push_back(std::move(r)); };
  }
  bool held() const { return answers.empty(); }
  // The one answer's body, checked to be a 200 long-polling payload.
  std::string payload() const {
    REQUIRE(answers.size() == 1);
    CHECK(answers[0].status == 200);
    CHECK(answers[0].content_type == "text/plain; charset=UTF-8");
    return answers[0].body;
  }
};

// A session with its callbacks recorded in one ordered log: "hub:<packet>" and "closed".
struct World {
  World() {
    EngineIoOptions options;
    options.ping_interval = std::chrono::milliseconds(kInterval);
    options.ping_timeout = std::chrono::milliseconds(kTimeout);
    options.max_payload = kMaxPayload;
    options.max_queued_bytes = kMaxQueued;
    EngineIoSession::Callbacks callbacks;
    callbacks.on_message = [this](std::string packet) { log.push_back("hub:" + packet); };
    callbacks.on_closed = [this] { log.push_back("closed"); };
    callbacks.on_slow_consumer = [this] { log.push_back("slow"); };
    session = std::make_shared<EngineIoSession>("SID", options, std::move(callbacks), kStart);
  }

  int closed_calls() const {
    int n = 0;
    for (const auto& e : log) n += e == "closed";
    return n;
  }

  // Holds a poll (asserting it is not answered at once) and returns it.
  std::unique_ptr<Poll> hold_poll() {
    auto p = std::make_unique<Poll>();
    session->on_poll(p->responder());
    REQUIRE(p->held());
    return p;
  }

  std::string poll_now() {
    Poll p;
    session->on_poll(p.responder());
    return p.payload();
  }

  // Polling → probing → websocket over `ws`, with no poll held; ws's frames so far are cleared.
  void upgrade(const std::shared_ptr<FakeWebSocket>& ws) {
    session->offer_probe(ws);
    REQUIRE(session->state() == State::probing);
    ws->receive("2probe");
    ws->receive("5");
    REQUIRE(session->state() == State::websocket);
    REQUIRE(ws->sent == std::vector<std::string>{"3probe"});
    ws->sent.clear();
    REQUIRE(poll_now() == "6");  // upgraded: a poll gets a noop at once
  }

  std::vector<std::string> log;
  std::shared_ptr<EngineIoSession> session;
};

std::string eio_error_body(int code, const std::string& message) {
  return R"({"code":)" + std::to_string(code) + R"(,"message":")" + message + R"("})";
}

}  // namespace

TEST_SUITE("engineio_session") {

TEST_CASE("the handshake's open packet carries the sid, the upgrades and the timing options") {
  World w;
  struct Case {
    bool can_upgrade;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {true, R"(0{"sid":"SID","upgrades":["websocket"],"pingInterval":1000,"pingTimeout":500,"maxPayload":4096})"},
      {false, R"(0{"sid":"SID","upgrades":[],"pingInterval":1000,"pingTimeout":500,"maxPayload":4096})"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.can_upgrade);
    CHECK(w.session->open_packet(c.can_upgrade) == c.expected);
  }
  CHECK(w.session->sid() == "SID");
  CHECK(w.session->state() == State::polling);
  CHECK(w.session->next_due_ms() == kStart + kInterval);  // the first ping, one interval on
  CHECK(w.log.empty());
}

TEST_CASE("a poll gets every queued packet, joined by the record separator, in order") {
  struct Case {
    const char* name;
    std::vector<std::string> before_poll;  // sent by the hub before the poll arrives
    std::vector<std::string> after_poll;   // sent while the poll is held
    std::string payload;
  };
  const std::vector<Case> cases = {
      {"one queued", {R"(2["a"])"}, {}, R"(42["a"])"},
      {"three queued", {R"(2["a"])", "0", R"(3[1])"}, {}, "42[\"a\"]\x1e" "40\x1e" "43[1]"},
      {"held, then one", {}, {R"(2["b"])"}, R"(42["b"])"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    World w;
    for (const auto& p : c.before_poll) w.session->send(p);
    Poll poll;
    w.session->on_poll(poll.responder());
    for (const auto& p : c.after_poll) w.session->send(p);
    CHECK(poll.payload() == c.payload);
    // The queue is empty now: the next poll is held until the hub sends again.
    auto next = w.hold_poll();
    w.session->send("2[\"c\"]");
    CHECK(next->payload() == "42[\"c\"]");
    CHECK(w.session->state() == State::polling);
    CHECK(w.log.empty());
  }
}

TEST_CASE("a second poll while one is held ends the session") {
  World w;
  auto first = w.hold_poll();
  Poll second;
  w.session->on_poll(second.responder());
  REQUIRE(second.answers.size() == 1);
  CHECK(second.answers[0].status == 400);
  CHECK(second.answers[0].body == eio_error_body(3, "Bad request: overlapping polls"));
  CHECK(first->payload() == "1");  // the held poll gets the close packet
  CHECK(w.session->state() == State::closed);
  CHECK(w.log == std::vector<std::string>{"closed"});
}

TEST_CASE("a POST's packets: messages to the hub, pings answered, pongs accepted") {
  World w;
  auto poll = w.hold_poll();
  Response r = w.session->on_post("4" R"(2["x"])" "\x1e" "2probe" "\x1e" "3" "\x1e" "6" "\x1e" "4" R"(2["y"])");
  CHECK(r.status == 200);
  CHECK(r.content_type == "text/html");
  CHECK(r.body == "ok");
  CHECK(w.log == std::vector<std::string>{R"(hub:2["x"])", R"(hub:2["y"])"});
  CHECK(poll->payload() == "3probe");  // the ping's answer; the pong and noop send nothing
  CHECK(w.session->state() == State::polling);
}

TEST_CASE("a POST body that is not a valid payload is a code 3 error and ends the session") {
  struct Case {
    const char* name;
    std::string body;
    std::string message;  // the expected message's start
  };
  const std::vector<Case> cases = {
      {"empty", "", "Bad request: Engine.IO payload: packet 1 is empty"},
      {"empty packet", "4a\x1e\x1e" "4b", "Bad request: Engine.IO payload: packet 2 is empty"},
      {"unknown type", "9x", "Bad request: Engine.IO payload: packet 1: unknown Engine.IO packet type"},
      {"bad base64", "b!!!", "Bad request: Engine.IO payload: packet 1: "},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    World w;
    auto poll = w.hold_poll();
    Response r = w.session->on_post(c.body);
    CHECK(r.status == 400);
    CHECK(r.body.starts_with(R"({"code":3,"message":")" + c.message));
    CHECK(poll->payload() == "1");
    CHECK(w.session->state() == State::closed);
    CHECK(w.log == std::vector<std::string>{"closed"});  // nothing of the bad payload reached the hub
  }
}

TEST_CASE("upgrade: 2probe → 3probe and a noop for the held poll, then 5 moves the session to the WebSocket") {
  World w;
  auto ws = std::make_shared<FakeWebSocket>();
  auto poll = w.hold_poll();
  w.session->offer_probe(ws);
  CHECK(ws->starts == 1);
  CHECK(w.session->state() == State::probing);
  CHECK(poll->held());  // offering a probe alone changes nothing for polling

  ws->receive("2probe");
  CHECK(ws->sent == std::vector<std::string>{"3probe"});
  CHECK(poll->payload() == "6");  // the noop ends the client's pending poll
  CHECK(w.session->state() == State::probing);

  // Until "5", the hub's packets still go to polling.
  auto second = w.hold_poll();
  ws->receive("5");
  CHECK(w.session->state() == State::websocket);
  CHECK(second->payload() == "6");  // a poll held at the switch gets a noop too

  w.session->send(R"(2["after"])");
  CHECK(ws->sent == std::vector<std::string>{"3probe", R"(42["after"])"});
  CHECK(w.poll_now() == "6");  // polls after the upgrade get a noop at once

  // The WebSocket now carries the client's packets.
  ws->receive(R"(42["from ws"])");
  ws->receive("2");
  CHECK(w.log == std::vector<std::string>{R"(hub:2["from ws"])"});
  CHECK(ws->sent.back() == "3");
  CHECK(ws->closes == 0);
}

TEST_CASE("upgrade: packets queued for polling during the probe go over the WebSocket, without the noop") {
  World w;
  auto ws = std::make_shared<FakeWebSocket>();
  w.session->offer_probe(ws);
  ws->receive("2probe");  // no poll held: "6" is queued
  w.session->send(R"(2["one"])");
  w.session->send(R"(2["two"])");
  ws->receive("5");
  CHECK(ws->sent == std::vector<std::string>{"3probe", R"(42["one"])", R"(42["two"])"});
  CHECK(w.poll_now() == "6");
  CHECK(w.log.empty());
}

TEST_CASE("a probe is refused (started empty, closed) unless the session is polling") {
  struct Case {
    const char* name;
    State state;
  };
  for (const Case& c : {Case{"probing", State::probing}, Case{"websocket", State::websocket},
                        Case{"closed", State::closed}}) {
    CAPTURE(c.name);
    World w;
    auto first = std::make_shared<FakeWebSocket>();
    if (c.state == State::probing) w.session->offer_probe(first);
    if (c.state == State::websocket) w.upgrade(first);
    if (c.state == State::closed) w.session->close();
    REQUIRE(w.session->state() == c.state);
    const auto log_before = w.log;

    auto refused = std::make_shared<FakeWebSocket>();
    w.session->offer_probe(refused);
    CHECK(refused->starts == 1);
    CHECK_FALSE(refused->handlers.on_message);
    CHECK_FALSE(refused->handlers.on_close);
    CHECK(refused->closes == 1);
    CHECK(refused->sent.empty());
    CHECK(w.session->state() == c.state);  // the session is untouched
    CHECK(w.log == log_before);
    CHECK(first->closes == 0);
  }
}

TEST_CASE("a probe that fails leaves polling working, and a new probe may follow") {
  World w;
  auto probe = std::make_shared<FakeWebSocket>();
  w.session->offer_probe(probe);
  probe->peer_closed();
  CHECK(w.session->state() == State::polling);
  w.session->send(R"(2["still polling"])");
  CHECK(w.poll_now() == R"(42["still polling"])");

  auto again = std::make_shared<FakeWebSocket>();
  w.session->offer_probe(again);
  CHECK(w.session->state() == State::probing);
  CHECK(again->handlers.on_message);
  probe->receive("5");  // the failed probe's late frame changes nothing
  CHECK(w.session->state() == State::probing);
  CHECK(w.log.empty());
}

TEST_CASE("a probe sending anything but 2probe or 5, or a binary frame, ends the session") {
  for (auto [name, frame, binary] : {std::tuple{"message", "4x"s, false}, std::tuple{"garbage", "z"s, false},
                                     std::tuple{"binary", "\x01\x02"s, true}}) {
    CAPTURE(name);
    World w;
    auto ws = std::make_shared<FakeWebSocket>();
    auto poll = w.hold_poll();
    w.session->offer_probe(ws);
    ws->receive(frame, binary);
    CHECK(w.session->state() == State::closed);
    CHECK(poll->payload() == "1");
    CHECK(ws->closes == 1);
    CHECK(ws->sent.empty());
    CHECK(w.log == std::vector<std::string>{"closed"});
  }
}

TEST_CASE("a WebSocket opened without a sid: the open packet first, then what the hub sent meanwhile") {
  World w;
  w.session->send(R"(2["early"])");  // e.g. sent while the WebSocket was being attached
  auto ws = std::make_shared<FakeWebSocket>();
  w.session->attach_websocket(ws);
  CHECK(ws->starts == 1);
  CHECK(w.session->state() == State::websocket);
  CHECK(ws->sent == std::vector<std::string>{
                        R"(0{"sid":"SID","upgrades":[],"pingInterval":1000,"pingTimeout":500,"maxPayload":4096})",
                        R"(42["early"])"});
  ws->receive(R"(40)");
  CHECK(w.log == std::vector<std::string>{"hub:0"});

  ws->peer_closed();  // the transport's end is the session's end
  CHECK(w.session->state() == State::closed);
  CHECK(w.log == std::vector<std::string>{"hub:0", "closed"});
}

TEST_CASE("pings: due one interval on; the pong must come within the timeout") {
  struct Case {
    const char* name;
    bool pong;
    std::int64_t check_at;  // the tick after the ping
    std::optional<std::int64_t> next_due;
    State state;
    std::vector<std::string> log;
  };
  const std::int64_t ping_at = kStart + kInterval;
  const std::int64_t deadline = ping_at + kTimeout;
  const std::vector<Case> cases = {
      {"pong in time: the next ping one interval after the last", true, deadline, ping_at + kInterval,
       State::polling, {}},
      {"no pong, at the deadline: still waiting", false, deadline, deadline, State::polling, {}},
      {"no pong, past the deadline: closed", false, deadline + 1, std::nullopt, State::closed, {"closed"}},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    World w;
    auto poll = w.hold_poll();
    CHECK(w.session->on_tick(ping_at - 1) == ping_at);  // not yet
    CHECK(poll->held());
    CHECK(w.session->on_tick(ping_at) == deadline);
    CHECK(poll->payload() == "2");
    CHECK(w.session->next_due_ms() == deadline);
    auto next = w.hold_poll();
    if (c.pong) {
      CHECK(w.session->on_post("3").body == "ok");
    }
    CHECK(w.session->on_tick(c.check_at) == c.next_due);
    CHECK(w.session->state() == c.state);
    CHECK(w.log == c.log);
    if (c.state == State::closed) {
      CHECK(next->payload() == "1");
    } else {
      CHECK(next->held());
    }
  }
}

TEST_CASE("pings go over the WebSocket once upgraded, and a pong there counts") {
  World w;
  auto ws = std::make_shared<FakeWebSocket>();
  w.upgrade(ws);
  const std::int64_t ping_at = kStart + kInterval;
  CHECK(w.session->on_tick(ping_at) == ping_at + kTimeout);
  CHECK(ws->sent == std::vector<std::string>{"2"});
  ws->receive("3");
  CHECK(w.session->on_tick(ping_at + kTimeout + 1) == ping_at + kInterval);
  CHECK(w.session->state() == State::websocket);
  CHECK(w.log.empty());
}

TEST_CASE("close(): a held poll gets the close packet, WebSockets are closed, on_closed runs exactly once") {
  SUBCASE("polling with a probe") {
    World w;
    auto poll = w.hold_poll();
    auto probe = std::make_shared<FakeWebSocket>();
    w.session->offer_probe(probe);
    w.session->close();
    CHECK(poll->payload() == "1");
    CHECK(probe->closes == 1);
    CHECK(w.session->state() == State::closed);
    w.session->close();    // again: nothing more
    probe->peer_closed();  // Beast reports the close later: nothing more
    CHECK(probe->closes == 1);
    CHECK(w.log == std::vector<std::string>{"closed"});
  }
  SUBCASE("upgraded") {
    World w;
    auto ws = std::make_shared<FakeWebSocket>();
    w.upgrade(ws);
    w.session->close();
    ws->peer_closed();
    w.session->close();
    CHECK(ws->closes == 1);
    CHECK(w.log == std::vector<std::string>{"closed"});
  }
  SUBCASE("a close packet from the client") {
    World w;
    auto poll = w.hold_poll();
    CHECK(w.session->on_post("1").body == "ok");
    CHECK(poll->payload() == "1");
    CHECK(w.log == std::vector<std::string>{"closed"});
  }
}

TEST_CASE("after the close, every input is ignored") {
  World w;
  auto ws = std::make_shared<FakeWebSocket>();
  w.upgrade(ws);
  // In one frame sequence: a message, the close packet, then more.
  ws->receive(R"(42["before"])");
  ws->receive("1");
  ws->receive(R"(42["after"])");
  ws->receive("2");
  CHECK(w.log == std::vector<std::string>{R"(hub:2["before"])", "closed"});
  CHECK(ws->sent.empty());  // no pong for the ping after the close
  CHECK(ws->closes == 1);

  w.session->send(R"(2["from hub"])");
  CHECK(ws->sent.empty());
  CHECK(w.poll_now() == "1");  // a poll on a closed session gets the close packet at once
  CHECK(w.session->on_post("4" R"(2["late"])").body == "ok");
  CHECK(w.session->on_tick(kStart + 10 * kInterval) == std::nullopt);
  CHECK(w.log == std::vector<std::string>{R"(hub:2["before"])", "closed"});
}

TEST_CASE("in one POST, packets after the close packet are ignored") {
  World w;
  CHECK(w.session->on_post("4a" "\x1e" "1" "\x1e" "4b" "\x1e" "2").body == "ok");
  CHECK(w.log == std::vector<std::string>{"hub:a", "closed"});  // the message first, then the close
  CHECK(w.poll_now() == "1");  // and no pong queued for the ping after it
}

TEST_CASE("a ping payload up to the bound is echoed; a longer one ends the session instead") {
  World w;
  const std::string ok(vc::server::kMaxPingPayload, 'p');
  Response r = w.session->on_post("2" + ok);
  CHECK(r.body == "ok");
  CHECK(w.poll_now() == "3" + ok);
  r = w.session->on_post("2" + ok + "x");
  CHECK(w.session->state() == State::closed);
  CHECK(w.log == std::vector<std::string>{"closed"});
  CHECK(w.poll_now() == "1");  // nothing was echoed: the close packet only
}

TEST_CASE("a long-polling client that never polls: its queue is bounded and the session ends (counted as slow)") {
  World w;
  // 9 pings of 100 bytes: their 9 answers of 101 bytes fit in 1000 (909); one more message does not.
  const std::string ping = "2" + std::string(100, 'p');
  std::string body = ping;
  for (int i = 1; i < 9; ++i) body += "\x1e" + ping;
  w.session->on_post(body);
  CHECK(w.session->state() == State::polling);
  w.session->send(std::string(100, 'm'));  // 909 + 101 > 1000
  CHECK(w.session->state() == State::closed);
  CHECK(w.log == std::vector<std::string>{"slow", "closed"});

  // Polled in time, the same traffic never reaches the bound.
  World v;
  for (int i = 0; i < 20; ++i) {
    v.session->on_post(ping);
    CHECK(v.poll_now() == "3" + std::string(100, 'p'));
  }
  CHECK(v.session->state() == State::polling);
  CHECK(v.log.empty());
}

}  // TEST_SUITE
