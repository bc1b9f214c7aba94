// A minimal VideoControl player: a starting point for integrators writing their own.
//
// It connects to a running videocontrol-server over WebSocket, speaks Engine.IO v4 / Socket.IO v5
// as the deployed 2.x players do (docs/protocol.md, part 1), registers as a device and prints one
// line per command it receives. All packet parsing and encoding is done by the library's public
// codec (videocontrol/protocol/socketio.hpp); Boost.Beast only moves WebSocket frames.
//
// Usage: player HOST PORT DEVICE_ID [SECONDS]   (runs SECONDS, default 30; SIGINT/SIGTERM end it early)
// Prints: "registered" after player/registered, "command <event> <json args…>" for every other
// event (player/play, player/pause, player/state, …). Exit 0 after a clean close; 1 on an error.
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include <videocontrol/protocol/socketio.hpp>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

constexpr auto io_timeout = 10s;     // connecting, the handshakes, one write, registration
constexpr auto ping_every = 15s;     // player/ping: the server forgets a player silent for 30 s
constexpr auto server_silent = 45s;  // pingInterval + pingTimeout of the open packet (defaults)

[[noreturn]] void fail(const std::string& message) { throw std::runtime_error(message); }

void print(const std::string& line) {  // one line, flushed at once: a supervisor may be reading
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

// One WebSocket connection. Beast's operations are asynchronous so that every wait has a time
// limit; each method runs the event loop until its operation is done, so the code reads as
// blocking calls. One read may be outstanding while a write runs (Beast allows one of each).
class Connection {
 public:
  bool stop_requested = false;  // SIGINT / SIGTERM arrived
  bool closed = false;          // the server closed the WebSocket

  Connection() : ws_(ioc_), signals_(ioc_, SIGINT, SIGTERM) {
    signals_.async_wait([this](beast::error_code ec, int) { stop_requested = !ec; });
  }

  void connect(const std::string& host, const std::string& port, const std::string& target) {
    auto endpoints = net::ip::tcp::resolver(ioc_).resolve(host, port);
    complete("connect to " + host + ":" + port,
             [&](auto handler) { net::async_connect(ws_.next_layer(), endpoints, handler); });
    complete("WebSocket handshake", [&](auto handler) { ws_.async_handshake(host + ":" + port, target, handler); });
  }

  // The next text frame; nullopt when `until` passed, a stop was requested or the server closed.
  std::optional<std::string> read(Clock::time_point until) {
    if (!reading_) {
      reading_ = true;
      ws_.async_read(buffer_, [this](beast::error_code ec, std::size_t) { reading_ = false, read_ec_ = ec; });
    }
    run_until([this] { return !reading_ || stop_requested; }, until);
    if (reading_) return std::nullopt;
    if (read_ec_ == websocket::error::closed || read_ec_ == net::error::eof) return closed = true, std::nullopt;
    if (read_ec_) fail("read: " + read_ec_.message());
    std::string text = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    if (!ws_.got_text()) return std::string();  // binary frames: not used by the device protocol
    return text;
  }

  // Sends one Engine.IO packet as a text frame.
  void send(const vc::eio::Packet& packet) {
    ws_.text(true);
    const std::string text = vc::eio::encode_packet(packet);
    complete("write", [&](auto handler) { ws_.async_write(net::buffer(text), handler); });
  }

  // The WebSocket close handshake (the pending read sees the server's answer and ends).
  void close() {
    if (closed) return;  // Beast already answered the server's close frame
    bool done = false;
    ws_.async_close(websocket::close_code::normal, [&](beast::error_code) { done = true; });
    run_until([&] { return done && !reading_; }, Clock::now() + 5s);
  }

 private:
  // Runs handlers until cond() holds or `until` passes (the signal wait keeps the loop busy).
  template <class Cond> bool run_until(Cond cond, Clock::time_point until) {
    while (!cond() && Clock::now() < until) {
      if (ioc_.stopped()) ioc_.restart();
      ioc_.run_one_until(until);
    }
    return cond();
  }

  // Starts one operation with a completion handler and waits for it, at most io_timeout.
  template <class Start> void complete(const std::string& what, Start start) {
    auto result = std::make_shared<std::optional<beast::error_code>>();
    start([result](beast::error_code ec, auto&&...) { *result = ec; });
    if (!run_until([&] { return result->has_value(); }, Clock::now() + io_timeout)) fail(what + ": timed out");
    if (**result) fail(what + ": " + (*result)->message());
  }

  net::io_context ioc_;
  websocket::stream<net::ip::tcp::socket> ws_;
  net::signal_set signals_;
  beast::flat_buffer buffer_;
  bool reading_ = false;
  beast::error_code read_ec_;
};

// Sends one Socket.IO packet: it rides in an Engine.IO message packet ("4" + Socket.IO text).
void send_sio(Connection& ws, const vc::sio::Packet& packet) {
  ws.send({vc::eio::PacketType::message, vc::sio::encode(packet)});
}

int run(const std::string& host, const std::string& port, const std::string& device_id, int seconds) {
  Connection ws;
  ws.connect(host, port, "/socket.io/?EIO=4&transport=websocket");

  // 1. Engine.IO: the server speaks first, with the open packet 0{"sid":…,"pingInterval":…}.
  auto first = ws.read(Clock::now() + io_timeout);
  if (!first) fail("no Engine.IO open packet from the server");
  auto open = vc::eio::decode_packet(*first);
  if (!open || open->type != vc::eio::PacketType::open) fail("expected the Engine.IO open packet, got: " + *first);

  // 2. Socket.IO CONNECT to the default namespace "/" (a player sends no auth payload): "40".
  vc::sio::Packet connect;
  connect.type = vc::sio::PacketType::connect;
  send_sio(ws, connect);

  // The player/register payload, JSON built by hand; json_string quotes and escapes the id.
  const std::string registration =
      R"({"device_id":)" + vc::sio::json_string(device_id) +
      R"(,"device_type":"cpp-example","platform":"linux","capabilities":{"video":true,"audio":true,)"
      R"("images":true,"pdf":true,"pptx":true,"streaming":false}})";

  const auto started = Clock::now();
  const auto end = started + std::chrono::seconds(seconds);
  auto next_ping = started + ping_every;
  auto last_heard = started;
  bool registered = false;

  for (bool done = false; !done;) {
    auto until = std::min(end, next_ping);
    if (!registered) until = std::min(until, started + io_timeout);
    auto text = ws.read(until);
    const auto now = Clock::now();
    if (ws.closed || ws.stop_requested || now >= end) break;
    if (!registered && now - started > io_timeout) fail("not registered within 10 s");
    if (!text) {  // time for the application-level liveness ping, or the server went silent
      if (now - last_heard > server_silent) fail("the server sent nothing for 45 s");
      if (registered) send_sio(ws, vc::sio::make_event("player/ping", {}));
      next_ping = now + ping_every;
      continue;
    }
    last_heard = now;
    if (text->empty()) continue;  // a binary frame

    auto packet = vc::eio::decode_packet(*text);
    if (!packet) fail("bad Engine.IO packet: " + packet.error().message);
    switch (packet->type) {
      case vc::eio::PacketType::ping:  // the server pings every pingInterval; answer "3"
        ws.send({vc::eio::PacketType::pong, packet->data});
        continue;
      case vc::eio::PacketType::close:
        done = true;
        continue;
      case vc::eio::PacketType::message:
        break;
      default:
        continue;  // noop, upgrade, …: nothing for a WebSocket-only client
    }

    auto sio = vc::sio::decode(packet->data);
    if (!sio) fail("bad Socket.IO packet: " + sio.error().message);
    if (sio->type == vc::sio::PacketType::connect) {  // the CONNECT ack 40{"sid":…}: now register
      send_sio(ws, vc::sio::make_event("player/register", {registration}));
    } else if (sio->type == vc::sio::PacketType::connect_error) {
      fail("the server refused the connection: " + sio->data);
    } else if (sio->type == vc::sio::PacketType::disconnect) {
      done = true;
    } else if (auto event = vc::sio::event_of(*sio)) {
      std::string args;
      for (const auto& arg : event->args) args += " " + arg;
      if (event->name == "player/registered") {
        registered = true;
        print("registered");
      } else if (event->name == "player/reject") {
        fail("the server rejected device " + device_id + ":" + args);
      } else if (event->name != "player/pong") {
        // A real player acts here: player/play {type,file,state,page?} fetches
        // /api/files/resolve/{device}/{file} and shows it, player/pause pauses, player/stop shows
        // the placeholder, and player/status {state,file,…} reports what is on screen.
        print("command " + event->name + args);
      }
    }
  }
  ws.close();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4 || argc > 5) {
    std::fprintf(stderr, "usage: player HOST PORT DEVICE_ID [SECONDS]\n");
    return 1;
  }
  try {
    int seconds = 30;
    if (argc == 5) {
      const std::string arg = argv[4];
      auto [rest, ec] = std::from_chars(arg.data(), arg.data() + arg.size(), seconds);
      if (ec != std::errc() || rest != arg.data() + arg.size() || seconds <= 0)
        fail("SECONDS must be a positive whole number, not '" + arg + "'");
    }
    return run(argv[1], argv[2], argv[3], seconds);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "player: %s\n", e.what());
    return 1;
  }
}
