// RealtimeHub: players and control panels on the Socket.IO channel (PROTOCOL.md), independent of
// the transport. The server shell runs Engine.IO (polling, WebSocket, pings) and hands the hub
// Socket.IO packet texts; the hub answers through RealtimeTransport. What the services change
// (domain events, events.hpp) the hub turns into broadcasts: devices/updated, placeholder/refresh,
// the player events of a control command, preview/refresh, player/online and player/offline; and
// it passes the players' player/status reports, checked and bounded, to their organisation's panels
// (docs/protocol.md).
//
// Threading: hub calls may block on the database, so the shell calls them from worker threads;
// calls for one connection must not overlap (the shell serialises them per connection). The hub's
// own state is guarded internally, so calls for different connections may run concurrently.
#pragma once

#include "videocontrol/export.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "videocontrol/playback.hpp"
#include "videocontrol/result.hpp"
#include "videocontrol/schedule_engine.hpp"

namespace vc {

class Services;

using ConnectionId = std::uint64_t;

// Implemented by the shell. Both calls are thread-safe and must not block.
class VC_API RealtimeTransport {
 public:
  virtual ~RealtimeTransport() = default;
  // Queues a Socket.IO packet (text, as sio::encode makes it) for the connection.
  virtual void send(ConnectionId id, std::string sio_packet) = 0;
  // Closes the connection; the shell later calls on_close.
  virtual void close(ConnectionId id) = 0;
};

class Presence;

struct VC_API RealtimeOptions {
  std::chrono::milliseconds player_timeout{30'000};          // no register/ping for this long → gone
  // A connection must send the Socket.IO CONNECT within connect_timeout of opening, and within
  // identify_timeout of opening be a player (player/register accepted) or a control panel (a valid
  // token at CONNECT); else sweep() closes it, so anonymous connections cannot pile up. 0 = no limit.
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds identify_timeout{30'000};
  // Scale-out: changes reach every instance as the services' domain events (on the bus the
  // Services were created with), and each instance tells the connections it holds; `presence`
  // tells every instance who is online. Null = in-process (one instance); must outlive the hub.
  Presence* presence = nullptr;
  std::string instance_id;                                   // default: random
  std::chrono::milliseconds presence_ttl{20'000};            // refreshed by sweep(), every few seconds
  // The schedule engine (schedule_engine.hpp) drives the devices whose players are connected here:
  // started by attach(), stopped by detach(). Off: screens change only by hand.
  bool drive_schedules = true;
  ScheduleEngineOptions schedule;
};

struct VC_API RealtimeStats {
  std::size_t connections = 0, players = 0, controls = 0, online_devices = 0;
  std::uint64_t messages_received = 0, messages_sent = 0;  // Socket.IO packets, since start
  ScheduleEngineStats schedule;
};

class VC_API RealtimeHub {
 public:
  explicit RealtimeHub(Services& services, RealtimeOptions options = {});
  ~RealtimeHub();

  // A new Engine.IO connection (before any Socket.IO packet). query_token: ?token= of the handshake.
  void on_open(ConnectionId id, std::string address, std::string query_token);
  // One Socket.IO packet received (at `received`, when the shell queued it: a command's latency
  // counts from then; default: now). A malformed packet closes only this connection.
  void on_packet(ConnectionId id, std::string_view sio_packet,
                 std::chrono::steady_clock::time_point received = std::chrono::steady_clock::now());
  // The connection is gone (closed by either side or timed out).
  void on_close(ConnectionId id);
  // Drops players silent for longer than player_timeout, and connections past connect_timeout or
  // identify_timeout (RealtimeOptions). Call every few seconds.
  void sweep();

  // Whether a player of the device is connected to this instance.
  bool is_online(std::string_view device_id) const;
  // The transport the hub answers through and delivers domain events to. Until attached (and after
  // detach) nothing is sent.
  void attach(RealtimeTransport& transport);
  // Stops sending; call before the transport goes away. Waits for a delivery in progress.
  void detach();
  // Online devices of the organisation on every instance.
  std::vector<std::string> online_devices(std::string_view organization_id) const;
  RealtimeStats stats() const;
  // The engine driving this instance's devices; null when drive_schedules is off.
  ScheduleEngine* schedule_engine();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vc
