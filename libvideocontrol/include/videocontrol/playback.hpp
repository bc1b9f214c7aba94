// Playback: the now-playing state machine of a device (PROTOCOL.md's control events). A command is
// checked (role, tenancy, the file exists on the device, page bounds), the new state is stored, and
// a playback_changed event is published (events.hpp) with what the device's players must be sent;
// the realtime hub delivers it, on whichever instance holds them.
#pragma once

#include "videocontrol/export.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "videocontrol/actor.hpp"
#include "videocontrol/domain.hpp"
#include "videocontrol/group_outcome.hpp"
#include "videocontrol/result.hpp"

namespace vc {

struct ServiceContext;

enum class PlaybackAction { play, resume, pause, restart, stop, next_page, prev_page, goto_page };

VC_API std::optional<PlaybackAction> parse_playback_action(std::string_view text) noexcept;  // "play", "next", …

struct VC_API PlaybackCommand {
  PlaybackAction action = PlaybackAction::play;
  std::string file;         // play: the device's file name; empty = resume
  std::optional<int> page;  // play/goto_page: 1-based
  // When the command arrived (a Socket.IO packet's queueing, a request's start): its latency in
  // command_stats() counts from then. Default: when command() is called.
  std::chrono::steady_clock::time_point received{};
};

// Commands carried out and how long each took, from `received` until its playback event was
// published (in-process: handed to the players' connections): a histogram in the Prometheus way,
// cumulative per upper bound.
struct VC_API PlaybackCommandStats {
  static constexpr std::array<double, 11> kBoundsMs{1, 2, 5, 10, 20, 50, 100, 250, 500, 1000, 5000};
  std::array<std::uint64_t, 11> within{};  // within[i]: took at most kBoundsMs[i]
  std::uint64_t count = 0;
  double ms_sum = 0;
};

struct VC_API PlaybackOutcome {
  std::string device_id;
  std::string organization_id;
  NowPlaying state;             // the stored state after the command
  std::string player_event;     // e.g. "player/play"; empty when nothing must be sent
  std::string player_payload;   // JSON text of the event's one argument; empty = no argument
};

class VC_API Playback {
 public:
  explicit Playback(ServiceContext& ctx) : ctx_(ctx) {}
  // Speakers and up (API keys with the control scope). Errors: forbidden, not_found (device or
  // file), invalid (nothing loaded to resume/page, page out of range).
  Result<PlaybackOutcome> command(const Actor& actor, std::string_view device_id, const PlaybackCommand& cmd);
  // The command for every member of a device group, each through command() (its own transaction,
  // its own player events), so one member's refusal does not stop the others: the outcome has one
  // result per member, ok with the state or the member's error. An empty group gives no results.
  // Errors (nothing was sent to anyone): not_found (the group; also another organisation's),
  // forbidden.
  Result<GroupOutcome> command_group(const Actor& actor, std::string_view group_id, const PlaybackCommand& cmd);
  // The stored state (idle when never set). For players of the device and readers of the org.
  Result<NowPlaying> state(const Actor& actor, std::string_view device_id);

  PlaybackCommandStats command_stats() const;
  // The JSON object players receive as player/state.
  static std::string state_json(const NowPlaying& state);

 private:
  ServiceContext& ctx_;
};

}  // namespace vc
