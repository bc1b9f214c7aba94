// Playback: the now-playing state machine of a device (PROTOCOL.md's control events). A command is
// checked (role, tenancy, the file exists on the device, page bounds), the new state is stored, and
// the event to send to the device's players is returned; delivering it is the realtime hub's job.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "videocontrol/actor.hpp"
#include "videocontrol/domain.hpp"
#include "videocontrol/result.hpp"

namespace vc {

struct ServiceContext;

enum class PlaybackAction { play, resume, pause, restart, stop, next_page, prev_page, goto_page };

std::optional<PlaybackAction> parse_playback_action(std::string_view text) noexcept;  // "play", "next", …

struct PlaybackCommand {
  PlaybackAction action = PlaybackAction::play;
  std::string file;         // play: the device's file name; empty = resume
  std::optional<int> page;  // play/goto_page: 1-based
};

struct PlaybackOutcome {
  std::string device_id;
  std::string organization_id;
  NowPlaying state;             // the stored state after the command
  std::string player_event;     // e.g. "player/play"; empty when nothing must be sent
  std::string player_payload;   // JSON text of the event's one argument; empty = no argument
};

class Playback {
 public:
  explicit Playback(ServiceContext& ctx) : ctx_(ctx) {}
  // Speakers and up (API keys with the control scope). Errors: forbidden, not_found (device or
  // file), invalid (nothing loaded to resume/page, page out of range).
  Result<PlaybackOutcome> command(const Actor& actor, std::string_view device_id, const PlaybackCommand& cmd);
  // The stored state (idle when never set). For players of the device and readers of the org.
  Result<NowPlaying> state(const Actor& actor, std::string_view device_id);

  // The JSON object players receive as player/state.
  static std::string state_json(const NowPlaying& state);

 private:
  ServiceContext& ctx_;
};

}  // namespace vc
