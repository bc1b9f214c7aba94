// Presence: which devices have a live player connection, on any instance (the seed's "online
// lists agree everywhere"). Each instance reports its own connections with heartbeats that
// expire, so an instance that dies stops counting after the TTL. In-process by default, Redis
// when several instances run. Safe for concurrent use.
#pragma once

#include "videocontrol/export.hpp"

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vc {

class VC_API Presence {
 public:
  virtual ~Presence() = default;
  // This instance holds a connection of the device until expires_at_ms (refresh before then).
  virtual void heartbeat(std::string_view organization_id, std::string_view device_id, std::string_view instance_id,
                         std::int64_t expires_at_ms) = 0;
  // The same for many devices at once (one lock, one Redis round trip): what an instance refreshes
  // every few seconds for all the devices it holds.
  struct Held {
    std::string organization_id;
    std::string device_id;
  };
  virtual void heartbeat_many(std::span<const Held> devices, std::string_view instance_id, std::int64_t expires_at_ms) {
    for (const auto& d : devices) heartbeat(d.organization_id, d.device_id, instance_id, expires_at_ms);
  }
  // This instance's last connection of the device is gone (other instances' entries stay).
  virtual void remove(std::string_view organization_id, std::string_view device_id, std::string_view instance_id) = 0;
  // Devices of the organisation with an unexpired entry on any instance, sorted, no duplicates.
  virtual std::vector<std::string> online(std::string_view organization_id, std::int64_t now_ms) = 0;
  virtual bool is_online(std::string_view organization_id, std::string_view device_id, std::int64_t now_ms) = 0;
  virtual bool healthy() const = 0;
  // Devices with an entry that expired by now_ms (the instance holding the player died or lost its
  // shared backend) and no live entry left: their expired entries are removed, and each is handed
  // to one caller, across instances, which reports the device offline. Called by every instance's
  // RealtimeHub::sweep. Default: none (a backend that cannot tell).
  virtual std::vector<Held> reap_expired(std::int64_t now_ms) {
    (void)now_ms;
    return {};
  }
};

VC_API std::unique_ptr<Presence> make_local_presence();

}  // namespace vc
