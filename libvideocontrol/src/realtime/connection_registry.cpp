#include "connection_registry.hpp"

namespace vc::realtime {

void ConnectionRegistry::open(ConnectionId id, std::string address, std::string query_token, std::int64_t now_ms) {
  Conn c;
  c.address = std::move(address);
  c.query_token = std::move(query_token);
  c.opened_ms = now_ms;
  c.last_seen_ms = now_ms;
  conns_[id] = std::move(c);
}

Conn* ConnectionRegistry::find(ConnectionId id) {
  auto it = conns_.find(id);
  return it == conns_.end() ? nullptr : &it->second;
}

bool ConnectionRegistry::accept(ConnectionId id, const std::optional<Actor>& actor, std::string credential,
                                std::string acting_org) {
  Conn* c = find(id);
  if (!c) return false;
  c->connected = true;
  if (actor) {
    c->credential = std::move(credential);
    c->acting_org = std::move(acting_org);
    update_control(id, *actor);
  }
  return true;
}

void ConnectionRegistry::update_control(ConnectionId id, const Actor& actor) {
  Conn* c = find(id);
  if (!c || (c->role != ConnRole::control && c->role != ConnRole::none)) return;  // a player now
  unindex_control(id, *c);
  c->role = ConnRole::control;
  c->actor = actor;
  c->org = actor.organization_id;
  if (!c->org.empty()) org_controls_[c->org].insert(id);
}

std::optional<ConnectionRegistry::Registered> ConnectionRegistry::register_player(ConnectionId id, const std::string& device_id,
                                                                                   const std::string& org, std::int64_t now_ms) {
  Conn* c = find(id);
  if (!c) return std::nullopt;
  Registered out;
  if (c->role == ConnRole::player && c->device_id != device_id && unindex_player(id, *c))
    out.previous = Departed{c->device_id, c->org};
  unindex_control(id, *c);  // a panel that registers as a player gets no control-plane events any more
  c->role = ConnRole::player;
  c->device_id = device_id;
  c->org = org;
  c->last_seen_ms = now_ms;
  auto& set = device_players_[device_id];
  out.first = set.empty();
  set.insert(id);
  return out;
}

bool ConnectionRegistry::touch(ConnectionId id, std::int64_t now_ms) {
  Conn* c = find(id);
  if (!c) return false;
  c->last_seen_ms = now_ms;
  return true;
}

bool ConnectionRegistry::allow_status(ConnectionId id, std::int64_t now_ms, int limit, std::int64_t window_ms) {
  Conn* c = find(id);
  if (!c) return false;
  if (c->status_count == 0 || now_ms - c->status_window_ms >= window_ms || now_ms < c->status_window_ms) {
    c->status_window_ms = now_ms;
    c->status_count = 0;
  }
  return ++c->status_count <= limit;
}

std::optional<Departed> ConnectionRegistry::close(ConnectionId id) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return std::nullopt;
  const Conn& c = it->second;
  unindex_control(id, c);
  std::optional<Departed> out;
  if (unindex_player(id, c)) out = Departed{c.device_id, c.org};
  conns_.erase(it);
  return out;
}

std::vector<ConnectionId> ConnectionRegistry::players_of(const std::string& device_id) const {
  auto it = device_players_.find(device_id);
  return it == device_players_.end() ? std::vector<ConnectionId>{}
                                     : std::vector<ConnectionId>(it->second.begin(), it->second.end());
}

std::vector<ConnectionId> ConnectionRegistry::controls_of(const std::string& org) const {
  if (org.empty()) return {};
  auto it = org_controls_.find(org);
  return it == org_controls_.end() ? std::vector<ConnectionId>{}
                                   : std::vector<ConnectionId>(it->second.begin(), it->second.end());
}

std::vector<ConnectionId> ConnectionRegistry::controls() const {
  std::vector<ConnectionId> out;
  for (const auto& [id, c] : conns_)
    if (c.role == ConnRole::control) out.push_back(id);
  return out;
}

std::vector<ConnectionId> ConnectionRegistry::silent_players(std::int64_t cutoff_ms) const {
  std::vector<ConnectionId> out;
  for (const auto& [id, c] : conns_)
    if (c.role == ConnRole::player && c.last_seen_ms < cutoff_ms) out.push_back(id);
  return out;
}

std::vector<ConnectionId> ConnectionRegistry::unidentified(std::optional<std::int64_t> connect_cutoff_ms,
                                                           std::optional<std::int64_t> identify_cutoff_ms) const {
  std::vector<ConnectionId> out;
  for (const auto& [id, c] : conns_) {
    const bool no_connect = !c.connected && connect_cutoff_ms && c.opened_ms < *connect_cutoff_ms;
    const bool no_role = c.role == ConnRole::none && identify_cutoff_ms && c.opened_ms < *identify_cutoff_ms;
    if (no_connect || no_role) out.push_back(id);
  }
  return out;
}

std::vector<Presence::Held> ConnectionRegistry::held_devices() const {
  std::vector<Presence::Held> out;
  out.reserve(device_players_.size());
  for (const auto& [device, ids] : device_players_) {
    if (ids.empty()) continue;
    if (auto c = conns_.find(*ids.begin()); c != conns_.end()) out.push_back({c->second.org, device});
  }
  return out;
}

bool ConnectionRegistry::holds(const std::string& device_id) const {
  auto it = device_players_.find(device_id);
  return it != device_players_.end() && !it->second.empty();
}

RealtimeStats ConnectionRegistry::stats() const {
  RealtimeStats s;
  s.connections = conns_.size();
  for (const auto& [id, c] : conns_) {
    if (c.role == ConnRole::player) ++s.players;
    if (c.role == ConnRole::control) ++s.controls;
  }
  s.online_devices = device_players_.size();
  return s;
}

bool ConnectionRegistry::unindex_player(ConnectionId id, const Conn& c) {
  if (c.role != ConnRole::player || c.device_id.empty()) return false;
  auto it = device_players_.find(c.device_id);
  if (it == device_players_.end()) return false;
  it->second.erase(id);
  if (!it->second.empty()) return false;
  device_players_.erase(it);
  return true;
}

void ConnectionRegistry::unindex_control(ConnectionId id, const Conn& c) {
  if (c.role != ConnRole::control || c.org.empty()) return;
  auto it = org_controls_.find(c.org);
  if (it == org_controls_.end()) return;
  it->second.erase(id);
  if (it->second.empty()) org_controls_.erase(it);
}

}  // namespace vc::realtime
