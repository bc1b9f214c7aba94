// The Engine.IO v4 server (PROTOCOL.md, "Transport"): handshake, long-polling, WebSocket, the
// upgrade from polling, server pings and timeouts. It carries Socket.IO packets between clients and
// the library's RealtimeHub, and is the hub's RealtimeTransport. Hub calls run on a small worker
// pool, serialised per connection, because they may wait for the database.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include "router.hpp"
#include "videocontrol/realtime_hub.hpp"
#include "websocket.hpp"

namespace vc::server {

struct EngineIoOptions {
  std::chrono::milliseconds ping_interval{25'000};
  std::chrono::milliseconds ping_timeout{20'000};
  std::size_t max_payload = 1'000'000;
  unsigned hub_threads = 2;
  // Long-polling: packets waiting for a poll beyond this many bytes end the session (a client that
  // posts but never polls). WebSockets have the same bound in the HTTP server's options.
  std::size_t max_queued_bytes = 4u << 20;
  // Called when a session is dropped for that (e.g. to count it); any thread, must not block.
  std::function<void()> on_slow_consumer{};
};

// The largest ping payload echoed in a pong ("probe" in the upgrade; clients send none otherwise).
// A bigger one is a protocol error that closes the session: echoing it would let a client make the
// server queue any amount of data it never reads.
inline constexpr std::size_t kMaxPingPayload = 128;

class EngineIo final : public RealtimeTransport {
 public:
  explicit EngineIo(EngineIoOptions options = {});
  ~EngineIo() override;

  // REQUIRES: called once, before traffic; the hub outlives the engine's traffic.
  void attach(RealtimeHub& hub);

  // GET/POST /socket.io/ (long-polling and handshakes).
  void handle_polling(std::shared_ptr<Request> req, Responder respond);
  // WebSocket upgrades on /socket.io/.
  void handle_websocket(std::shared_ptr<Request> req, std::shared_ptr<WebSocketConnection> ws);

  // RealtimeTransport
  void send(ConnectionId id, std::string sio_packet) override;
  void close(ConnectionId id) override;

  // Ends every session (pending polls answered with a close packet). Thread-safe.
  void shutdown();

  std::size_t sessions() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vc::server
