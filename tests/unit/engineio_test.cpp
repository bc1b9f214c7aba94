// EngineIo (apps/server/engineio.hpp), the sessions' registry and request dispatch, driven without
// sockets: requests go straight to handle_polling with a recording responder, over a real hub and
// real services. Covers the handshake, a poll and a POST on a known sid, and the Engine.IO errors
// (unknown sid, protocol version, transport, method) a client must get.
#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engineio.hpp"
#include "services_world.hpp"
#include "videocontrol/realtime_hub.hpp"

using namespace vc;
using vc::server::EngineIo;
using vc::server::Request;
using vc::server::Response;

namespace {

// The answer to one request (the engine may answer on another thread: a held poll).
struct Answer {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Response> got;
  server::Responder responder() {
    return [this](Response r) {
      std::lock_guard lock(mu);
      got.push_back(std::move(r));
      cv.notify_all();
    };
  }
  Response wait() {
    std::unique_lock lock(mu);
    REQUIRE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return !got.empty(); }));
    CHECK(got.size() == 1);
    return got.front();
  }
};

std::shared_ptr<Request> request(std::string method, std::string query, std::string body = {}) {
  auto r = std::make_shared<Request>();
  r->method = std::move(method);
  r->path = "/socket.io/";
  r->query = std::move(query);
  r->target = r->path + "?" + r->query;
  r->body = std::move(body);
  r->remote_address = "127.0.0.1";
  return r;
}

Response call(EngineIo& engine, std::string method, std::string query, std::string body = {}) {
  Answer a;
  engine.handle_polling(request(std::move(method), std::move(query), std::move(body)), a.responder());
  return a.wait();
}

struct Rig {
  test::World w;
  RealtimeHub hub{*w.svc};
  EngineIo engine{{.ping_interval = std::chrono::milliseconds(60'000), .ping_timeout = std::chrono::milliseconds(60'000),
                   .max_payload = 100'000, .hub_threads = 1}};
  Rig() {
    engine.attach(hub);
    hub.attach(engine);
  }
  ~Rig() {
    hub.detach();
    engine.shutdown();
  }
};

}  // namespace

TEST_SUITE("engineio") {
TEST_CASE("handshake, then a POST and a poll on the sid it gave") {
  Rig rig;
  auto open = call(rig.engine, "GET", "EIO=4&transport=polling");
  REQUIRE(open.status == 200);
  REQUIRE(open.body.rfind("0{\"sid\":\"", 0) == 0);
  const auto start = open.body.find(":\"") + 2;
  const std::string sid = open.body.substr(start, open.body.find('"', start) - start);
  CHECK(rig.engine.sessions() == 1);

  // Socket.IO CONNECT (anonymous: a player) is answered with the Socket.IO connect packet.
  auto post = call(rig.engine, "POST", "EIO=4&transport=polling&sid=" + sid, "40");
  CHECK(post.status == 200);
  CHECK(post.body == "ok");
  auto poll = call(rig.engine, "GET", "EIO=4&transport=polling&sid=" + sid);
  CHECK(poll.status == 200);
  CHECK(poll.body.rfind("40{\"sid\":", 0) == 0);
}

TEST_CASE("an unknown sid is Engine.IO error 1, for polls and POSTs") {
  Rig rig;
  for (const char* method : {"GET", "POST"}) {
    CAPTURE(method);
    auto r = call(rig.engine, method, "EIO=4&transport=polling&sid=no-such-session", "40");
    CHECK(r.status == 400);
    CHECK(r.body == R"({"code":1,"message":"Session ID unknown"})");
  }
  CHECK(rig.engine.sessions() == 0);
}

TEST_CASE("wrong protocol version, transport or method get their Engine.IO error codes") {
  Rig rig;
  auto v3 = call(rig.engine, "GET", "EIO=3&transport=polling");
  CHECK(v3.status == 400);
  CHECK(v3.body.find(R"("code":5)") != std::string::npos);
  auto no_version = call(rig.engine, "GET", "transport=polling");
  CHECK(no_version.body.find(R"("code":5)") != std::string::npos);
  auto transport = call(rig.engine, "GET", "EIO=4&transport=flashsocket");
  CHECK(transport.status == 400);
  CHECK(transport.body.find(R"("code":0)") != std::string::npos);
  auto post_handshake = call(rig.engine, "POST", "EIO=4&transport=polling", "40");
  CHECK(post_handshake.status == 400);
  CHECK(post_handshake.body.find(R"("code":2)") != std::string::npos);
  CHECK(rig.engine.sessions() == 0);  // none of them opened a session

  auto open = call(rig.engine, "GET", "EIO=4&transport=polling");
  const auto start = open.body.find(":\"") + 2;
  const std::string sid = open.body.substr(start, open.body.find('"', start) - start);
  auto put = call(rig.engine, "PUT", "EIO=4&transport=polling&sid=" + sid);
  CHECK(put.status == 400);
  CHECK(put.body.find(R"("code":2)") != std::string::npos);
}
}
