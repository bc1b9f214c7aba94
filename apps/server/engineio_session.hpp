// One Engine.IO v4 connection as a state machine (PROTOCOL.md, "Transport"): the handshake's open
// packet, long-polling, a WebSocket opened directly or as an upgrade probe, server pings and the pong
// deadline. Every input is one method; outputs go to responders, WebSocketConnection::send/close and
// the Callbacks. No sockets, executors or threads of its own, so a test drives it with fakes and
// explicit times. EngineIo (engineio.cpp) owns the sid registry, the ping timer and the hub's worker
// pool, and feeds sessions from HTTP.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engineio.hpp"
#include "router.hpp"
#include "videocontrol/protocol/socketio.hpp"
#include "websocket.hpp"

namespace vc::server {

// engine.io's own error shape, which client libraries understand: 400 {"code":…,"message":…}.
Response eio_error(int code, std::string_view message);
// A long-polling answer: Engine.IO packets joined by the record separator.
Response eio_payload_response(std::string body);
// Turns a WebSocket away: started without handlers, then closed.
void refuse_websocket(WebSocketConnection& ws);

class EngineIoSession : public std::enable_shared_from_this<EngineIoSession> {
 public:
  enum class State {
    polling,    // long-polling only
    probing,    // polling, with a WebSocket offered for the upgrade (2probe → 3probe, then 5)
    websocket,  // upgraded or opened as a WebSocket: polls get a noop
    closed,     // final: polls get a close packet, every other input is ignored
  };

  struct Callbacks {
    std::function<void(std::string sio_packet)> on_message;  // the data of a client's message packet
    std::function<void()> on_closed;                         // once, when the session ends
    std::function<void()> on_slow_consumer;                  // before on_closed, when that is why
  };

  // `now_ms` starts the ping schedule: the first ping is due one ping interval later.
  // Sessions live in a shared_ptr (attached WebSockets call back through a weak_ptr).
  // Locking: responders and WebSocketConnection::send run under the session's lock (that is what
  // keeps packets in order), so they must not call back into the session; Callbacks,
  // WebSocketConnection::start/close run with the lock released.
  EngineIoSession(std::string sid, const EngineIoOptions& options, Callbacks callbacks, std::int64_t now_ms);

  const std::string& sid() const { return sid_; }
  State state() const;
  // The handshake: 0{"sid":…,"upgrades":[…],"pingInterval":…,"pingTimeout":…,"maxPayload":…}.
  std::string open_packet(bool can_upgrade) const;
  // When the session next wants a tick: the pong deadline while a pong is awaited, else the next ping.
  std::int64_t next_due_ms() const;

  // A long-poll GET: held until there is something to send. A second poll while one is held breaks
  // the protocol's ordering and ends the session.
  void on_poll(Responder respond);
  // A long-polling POST body; returns the answer ("ok", or a code 3 error that ends the session).
  Response on_post(std::string_view body);
  // A WebSocket opened without a sid: it carries the session from the open packet on.
  void attach_websocket(const std::shared_ptr<WebSocketConnection>& ws);
  // A WebSocket opened with this sid: the upgrade probe. Refused (started empty, closed) unless the
  // session is polling with no other probe.
  void offer_probe(const std::shared_ptr<WebSocketConnection>& ws);
  // A frame from one of the session's WebSockets (attached ones report here on their own).
  void on_websocket_message(const WebSocketConnection& ws, std::string_view text, bool binary);
  // One of the session's WebSockets ended: a probe's end leaves polling working, the transport's
  // end closes the session.
  void on_websocket_closed(const WebSocketConnection& ws);
  // The timer at `now_ms`: sends the ping when due; closes when the pong is later than the timeout.
  // Returns when to tick next, or nullopt once the session is closed.
  std::optional<std::int64_t> on_tick(std::int64_t now_ms);
  // A Socket.IO packet from the hub (sent as an Engine.IO message).
  void send(std::string_view sio_packet);
  // Ends the session: a held poll gets a close packet, WebSockets are closed, on_closed follows.
  void close();

 private:
  // What is done once the lock is released.
  struct After {
    std::vector<std::string> to_hub;
    std::vector<std::shared_ptr<WebSocketConnection>> to_close;
    bool closed = false;
    bool slow_consumer = false;
  };

  void finish(After& after);
  // The rest REQUIRE mu_ held.
  // Sends or queues for the next poll; a queue over max_queued_bytes closes the session instead.
  void deliver(std::string packet_text, After& after);
  void flush_poll();
  void close_locked(After& after);
  void on_client_packet(eio::Packet p, After& after);
  void upgrade();
  WebSocketConnection::Handlers handlers_for(const std::shared_ptr<WebSocketConnection>& ws);

  const std::string sid_;
  const std::int64_t ping_interval_ms_;
  const std::int64_t ping_timeout_ms_;
  const std::size_t max_payload_;
  const std::size_t max_queued_bytes_;
  const Callbacks callbacks_;

  mutable std::mutex mu_;
  State state_ = State::polling;
  std::vector<std::string> queue_;               // packets waiting for a poll
  std::size_t queued_bytes_ = 0;                 // their size
  Responder pending_poll_;                       // a held long-poll, if any
  std::shared_ptr<WebSocketConnection> ws_;      // the transport once State::websocket
  std::shared_ptr<WebSocketConnection> probe_;   // State::probing
  std::int64_t next_ping_ms_;
  std::optional<std::int64_t> pong_deadline_ms_;  // set while a pong is awaited
};

}  // namespace vc::server
