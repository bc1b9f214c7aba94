// Devices of an organisation: registration by operators, renames, credentials, placeholders and
// the stored now-playing state. All calls check the Actor (see permissions.hpp).
#pragma once

#include "videocontrol/export.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "videocontrol/actor.hpp"
#include "videocontrol/domain.hpp"
#include "videocontrol/group_outcome.hpp"
#include "videocontrol/result.hpp"

namespace vc {

struct ServiceContext;

struct VC_API DeviceInput {
  std::string device_id;  // [A-Za-z0-9_-]{1,64}
  std::string name;       // default: device_id
  // A 2.x player that knows only its id (Device::legacy_player): no credential is made for it.
  bool legacy_player = false;
};

struct VC_API DeviceView {
  Device device;
  std::optional<NowPlaying> now_playing;
  // Set only by create() for a device that is not a legacy player: its new credential, shown once
  // (only its hash is kept), to put on the screen (the player URL's ?token=).
  std::string credential;
};

struct VC_API DeviceQuery {
  PageRequest page;
  std::string status;               // "", "online" or "offline"
  std::vector<std::string> fields;  // empty = all; see Devices::field_names()
};

class VC_API Devices {
 public:
  explicit Devices(ServiceContext& ctx) : ctx_(ctx) {}
  // Operators and up. A device that is not a legacy player gets a credential (DeviceView::credential).
  // Errors: invalid, conflict (device_id taken anywhere), quota (plan's device limit).
  Result<DeviceView> create(const Actor& actor, const DeviceInput& input);
  Result<DeviceView> get(const Actor& actor, std::string_view device_id);
  Result<Page<DeviceView>> list(const Actor& actor, const DeviceQuery& query);
  // The same page as JSON {"items":[…],"next_cursor":…}, served from the cache (60 s, invalidated
  // by every change to the organisation's devices).
  Result<std::string> list_json(const Actor& actor, const DeviceQuery& query);
  Result<DeviceView> rename(const Actor& actor, std::string_view device_id, std::string_view name);
  // Removes the device, its links and state; media linked to no other device are deleted too and
  // their bytes released when nothing else uses them.
  Result<void> remove(const Actor& actor, std::string_view device_id);
  // A new device credential (shown once; only its hash is kept).
  Result<std::string> rotate_credential(const Actor& actor, std::string_view device_id);
  Result<void> clear_credential(const Actor& actor, std::string_view device_id);
  // Whether the device's player may register by its id alone (Device::legacy_player). Turning it
  // off ends the player's open connections, which then need the credential. Operators and up.
  Result<DeviceView> set_legacy_player(const Actor& actor, std::string_view device_id, bool legacy);
  // Idle content: an image or video of the same organisation. Validated before anything changes.
  Result<DeviceView> set_placeholder(const Actor& actor, std::string_view device_id, std::string_view media_id);
  Result<DeviceView> clear_placeholder(const Actor& actor, std::string_view device_id);
  // The same for every member of a device group, each through set_placeholder/clear_placeholder
  // (its own transaction, audit row and placeholder/refresh), so one member's refusal does not stop
  // the others: one result per member, ok with its placeholder_media_id or the member's error.
  // Errors (nothing changed): not_found (the group, also another organisation's; the media),
  // forbidden, invalid (not an image or video).
  Result<GroupOutcome> set_group_placeholder(const Actor& actor, std::string_view group_id, std::string_view media_id);
  Result<GroupOutcome> clear_group_placeholder(const Actor& actor, std::string_view group_id);

  // ---- for the realtime gateway (players act as the device itself) ----
  struct PlayerInfo {
    std::string device_type, platform;  // at most 64 bytes each, UTF-8 without control characters
    std::string capabilities_json;      // a JSON object of at most kMaxCapabilitiesBytes; "" = unchanged
  };
  static constexpr std::size_t kMaxCapabilitiesBytes = 4096;
  // A player announcing itself, as the device Actor Players::authenticate returned (credential
  // policy, constant-time check): records type, platform, capabilities and last seen. What the
  // player reports is checked before anything is written.
  // Errors: forbidden (not a device actor), not_found (the device is gone), invalid (a report out of
  // bounds: the message names the field).
  Result<Device> register_player(const Actor& device, const PlayerInfo& info);
  // Records online/offline and last seen (and invalidates cached lists).
  Result<void> set_presence(std::string_view device_id, bool online);

  static const std::vector<std::string>& field_names();
  // The JSON object for one device (all fields or the selection).
  static std::string to_json(const DeviceView& view, const std::vector<std::string>& fields = {});

 private:
  Result<GroupOutcome> group_placeholder(const Actor& actor, std::string_view group_id,
                                         std::optional<std::string_view> media_id);

  ServiceContext& ctx_;
};

}  // namespace vc
