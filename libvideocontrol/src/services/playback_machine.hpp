// The playback state machine without storage: given what a device shows and a command, the state
// it moves to and what its players must be told. Playback::command (playback.cpp) loads the inputs
// in its transaction, calls step, and stores the result; the table-driven test
// (tests/unit/playback_machine_test.cpp) walks every action from every state.
#pragma once

#include <optional>
#include <string>

#include "videocontrol/domain.hpp"
#include "videocontrol/playback.hpp"
#include "videocontrol/result.hpp"

namespace vc::playback_machine {

// A file of the device as the machine needs it.
struct File {
  std::string name;
  MediaKind kind = MediaKind::image;
  std::optional<int> page_count;  // known for converted documents and folders
};

struct Step {
  NowPlaying state;            // updated_at_ms is left to the caller
  std::string player_event;    // "" when the players need not be told (a page click at either end)
  std::string player_payload;  // JSON text of the event's one argument; "" = no argument
};

// Whether the player type pages (pdf, pptx, folder).
bool paged(std::string_view type) noexcept;

// current: the stored state; current_page_count: page count of the loaded file when known;
// target: the file a play command names (required when cmd.action is play and cmd.file is not
// empty; the caller answers not_found when the device has no such file).
// Errors: invalid (nothing loaded to resume/pause/restart/page, not a paged file, page out of range,
// goto without a page).
Result<Step> step(const NowPlaying& current, std::optional<int> current_page_count, const PlaybackCommand& cmd,
                  const File* target);

}  // namespace vc::playback_machine
