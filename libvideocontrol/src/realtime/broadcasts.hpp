// The event catalogue of the realtime channel: which Socket.IO packets a domain event becomes and
// who receives each (PROTOCOL.md). Pure; the hub delivers the result to the connections it holds.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "videocontrol/events.hpp"
#include "videocontrol/playback.hpp"

namespace vc::realtime {

struct Broadcast {
  enum class To { device_players, organization_controls };
  To to;
  std::string target;  // the device's public id, or the organisation id
  std::string packet;  // Socket.IO packet text
};

// placeholder_changed → placeholder/refresh to each device's players + devices/updated to the panels;
// playback_changed → the player event to the device's players + preview/refresh to the panels;
// device_online/offline → player/online|offline to the panels; player_status → player/status
// {device_id, …} (its player_payload) to the panels; every other change of devices and
// their files → devices/updated to the panels. Events without an organisation reach no panel.
std::vector<Broadcast> broadcasts_for(const DomainEvent& event);

// A control event of a panel ("control/play", …) → the playback command, or nullopt when unknown.
// file/page: the payload's fields, when present.
struct ControlFields {
  std::string file;
  std::optional<int> page;
};
std::optional<PlaybackCommand> control_command(std::string_view event_name, const ControlFields& fields);

}  // namespace vc::realtime
