// What a change fanned out to a device group did on each member (issue 13): a control command
// (Playback::command_group) or a placeholder change (Devices::set_group_placeholder). Each member
// goes through the same call as a single device, in its own transaction, so one member's refusal
// (the file is not on that device, the device was removed meanwhile) does not stop the others.
#pragma once

#include "videocontrol/export.hpp"

#include <optional>
#include <string>
#include <vector>

#include "videocontrol/domain.hpp"
#include "videocontrol/result.hpp"

namespace vc {

struct VC_API GroupMemberOutcome {
  std::string device_id;                            // the member's public device id
  std::optional<Error> error;                       // empty: done
  std::optional<NowPlaying> state;                  // a control command: the stored state after it
  std::optional<std::string> placeholder_media_id;  // a placeholder change: the member's now ("" = none)

  bool ok() const noexcept { return !error.has_value(); }
};

struct VC_API GroupOutcome {
  std::string group_id;
  std::string organization_id;
  std::vector<GroupMemberOutcome> results;  // one per member, in the group's (sorted) order
};

// {"group_id","results":[{"device_id","ok":true,"state"|"placeholder_media_id"} |
//                        {"device_id","ok":false,"error","code"}]}
VC_API std::string group_outcome_json(const GroupOutcome& outcome);
// Just the results array (the Socket.IO ack carries it next to "ok").
VC_API std::string group_results_json(const GroupOutcome& outcome);

}  // namespace vc
