// The realtime hub's connections: who each is (player of a device, control panel of an
// organisation, or not yet either) and the indexes the hub delivers by (device → players,
// organisation → panels). Not thread-safe: the hub holds its lock around every call.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "videocontrol/actor.hpp"
#include "videocontrol/presence.hpp"
#include "videocontrol/realtime_hub.hpp"

namespace vc::realtime {

enum class ConnRole { none, player, control };

struct Conn {
  std::string address;
  std::string query_token;
  bool connected = false;  // Socket.IO CONNECT accepted
  ConnRole role = ConnRole::none;
  Actor actor;             // control sockets: as of the last check of …
  std::string credential;  // … the token or API key presented at CONNECT; players: their device credential
  std::string acting_org;  // a superadmin's organisation named at CONNECT (Auth::act_in)
  std::string device_id;   // players
  std::string org;         // organisation of the player's device or the control's actor
  std::int64_t opened_ms = 0;
  std::int64_t last_seen_ms = 0;
  std::int64_t status_window_ms = 0;  // player/status rate limit: the current window's start
  int status_count = 0;               // and the reports in it
};

// A device whose last connection here went away.
struct Departed {
  std::string device_id, org;
};

class ConnectionRegistry {
 public:
  void open(ConnectionId id, std::string address, std::string query_token, std::int64_t now_ms);
  Conn* find(ConnectionId id);
  // Marks the CONNECT accepted; with an actor the connection becomes its organisation's panel.
  bool accept(ConnectionId id, const std::optional<Actor>& actor, std::string credential = {},
              std::string acting_org = {});
  // A control connection's actor after a new check of its credential (a role may have changed).
  void update_control(ConnectionId id, const Actor& actor);

  struct Registered {
    bool first = false;                // the device's first connection here
    std::optional<Departed> previous;  // the connection was the last player of another device
  };
  // The connection becomes a player of device_id (leaving the panels, or another device).
  std::optional<Registered> register_player(ConnectionId id, const std::string& device_id, const std::string& org,
                                            std::int64_t now_ms);
  bool touch(ConnectionId id, std::int64_t now_ms);
  // Whether a player/status report of the connection may go out now: at most `limit` per window
  // of `window_ms` (a broken player must not flood the panels).
  bool allow_status(ConnectionId id, std::int64_t now_ms, int limit, std::int64_t window_ms);
  // Forgets the connection; returns the device when it was that device's last player here.
  std::optional<Departed> close(ConnectionId id);

  std::vector<ConnectionId> players_of(const std::string& device_id) const;
  std::vector<ConnectionId> controls_of(const std::string& org) const;
  std::vector<ConnectionId> controls() const;  // every control connection
  // Players not heard from since cutoff_ms.
  std::vector<ConnectionId> silent_players(std::int64_t cutoff_ms) const;
  // Connections opened before connect_cutoff_ms that never sent CONNECT, and those opened before
  // identify_cutoff_ms that are neither a player nor a control panel (a cutoff of nullopt: no limit).
  std::vector<ConnectionId> unidentified(std::optional<std::int64_t> connect_cutoff_ms,
                                         std::optional<std::int64_t> identify_cutoff_ms) const;
  // One entry per device with a player here.
  std::vector<Presence::Held> held_devices() const;
  bool holds(const std::string& device_id) const;
  RealtimeStats stats() const;

 private:
  // Removes a player connection from its device; true when it was the device's last one.
  bool unindex_player(ConnectionId id, const Conn& c);
  void unindex_control(ConnectionId id, const Conn& c);

  std::unordered_map<ConnectionId, Conn> conns_;
  std::unordered_map<std::string, std::set<ConnectionId>> device_players_;  // device_id → player connections
  std::unordered_map<std::string, std::set<ConnectionId>> org_controls_;    // organisation → control connections
};

}  // namespace vc::realtime
