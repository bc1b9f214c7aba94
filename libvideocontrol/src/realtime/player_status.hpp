// player/status: what a player reports about its playback (an extension; 2.x players never send
// it, docs/protocol.md). The hub checks and bounds it here before any control panel sees it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "videocontrol/result.hpp"

namespace vc::realtime {

struct PlayerStatusLimits {
  static constexpr std::size_t max_arg_bytes = 4096;   // the event's argument as received
  static constexpr std::size_t max_file_bytes = 1024;  // a file name (longer: refused)
  static constexpr std::size_t max_error_bytes = 200;  // an error text (longer: cut at a character)
  static constexpr int max_page = 1'000'000;
  static constexpr double max_position_s = 1e7;        // seconds (~115 days)
};

// arg_json: the event's one argument, {state, file?, type?, page?, position?, error?}:
//   state     playing | paused | ended | error | idle (required)
//   file      the device's file name, non-empty UTF-8
//   type      video | audio | image | pdf | pptx | folder
//   page      integer 1..max_page
//   position  seconds, a number 0..max_position_s
//   error     text, cut to max_error_bytes; "unknown" when state is error without one
// Other fields are dropped. Returns the control panels' argument
// {device_id, state, file?, type?, page?, position?, error?, at} (at: the server's time in ms), or
// `invalid` naming the first problem.
Result<std::string> player_status_payload(std::string_view device_id, std::string_view arg_json, std::int64_t at_ms);

}  // namespace vc::realtime
