#include "playback_machine.hpp"

#include <fmt/format.h>

#include "videocontrol/media_types.hpp"
#include "videocontrol/json_writer.hpp"

namespace vc::playback_machine {
namespace {

std::string page_event(std::string_view type) {
  if (type == "pptx") return "player/pptxPage";
  if (type == "folder") return "player/folderPage";
  return "player/pdfPage";
}

std::string play_payload(const NowPlaying& n) {
  JsonWriter w;
  w.begin_object().key("type").value(n.type).key("file").value(n.file).key("state").value("playing");
  if (n.page) w.key("page").value(*n.page);
  return std::move(w.end_object()).str();
}

Result<int> bounded(int page, std::optional<int> page_count) {
  if (page < 1 || (page_count && page > *page_count))
    return make_error(ErrorCode::invalid, page_count ? fmt::format("page must be between 1 and {}", *page_count)
                                                     : std::string("page must be 1 or more"));
  return page;
}

}  // namespace

bool paged(std::string_view type) noexcept { return type == "pdf" || type == "pptx" || type == "folder"; }

Result<Step> step(const NowPlaying& current, std::optional<int> page_count, const PlaybackCommand& cmd, const File* target) {
  Step out;
  NowPlaying& n = out.state;
  n = current;
  const bool loaded = !n.file.empty();
  switch (cmd.action) {
    case PlaybackAction::play:
      if (!cmd.file.empty()) {
        if (!target) return make_error(ErrorCode::not_found, fmt::format("no file '{}'", cmd.file));
        n.type = std::string(player_type(target->kind));
        n.file = target->name;
        n.page.reset();
        if (paged(n.type)) {
          auto p = bounded(cmd.page.value_or(1), target->page_count);
          if (!p) return p.error();
          n.page = *p;
        }
        n.position_ms.reset();
        n.state = PlaybackState::playing;
        out.player_event = "player/play";
        out.player_payload = play_payload(n);
        break;
      }
      [[fallthrough]];
    case PlaybackAction::resume:
      if (!loaded) return make_error(ErrorCode::invalid, "nothing is loaded to resume; give a file to play");
      n.state = PlaybackState::playing;
      out.player_event = "player/resume";
      break;
    case PlaybackAction::pause:
      if (!loaded) return make_error(ErrorCode::invalid, "nothing is playing");
      n.state = PlaybackState::paused;
      out.player_event = "player/pause";
      break;
    case PlaybackAction::restart:
      if (!loaded) return make_error(ErrorCode::invalid, "nothing is loaded to restart");
      n.state = PlaybackState::playing;
      n.position_ms.reset();
      if (paged(n.type)) n.page = 1;
      out.player_event = "player/restart";
      break;
    case PlaybackAction::stop:
      n = NowPlaying{};
      n.state = PlaybackState::stopped;  // back to the placeholder
      out.player_event = "player/stop";
      break;
    case PlaybackAction::next_page:
    case PlaybackAction::prev_page:
    case PlaybackAction::goto_page: {
      if (!loaded || !paged(n.type))
        return make_error(ErrorCode::invalid, "the device is not showing a PDF, presentation or image folder");
      int to = n.page.value_or(1);
      if (cmd.action == PlaybackAction::next_page) ++to;
      else if (cmd.action == PlaybackAction::prev_page) --to;
      else if (cmd.page) to = *cmd.page;
      else return make_error(ErrorCode::invalid, "page is required");
      if (cmd.action != PlaybackAction::goto_page) {
        // At either end the page stays where it is (a presenter's extra click is not an error).
        if (to < 1 || (page_count && to > *page_count)) to = n.page.value_or(1);
      } else {
        auto p = bounded(to, page_count);
        if (!p) return p.error();
        to = *p;
      }
      if (to != n.page.value_or(1) || cmd.action == PlaybackAction::goto_page) {
        out.player_event = page_event(n.type);
        out.player_payload = std::to_string(to);
      }
      n.page = to;
      break;
    }
  }
  return out;
}

}  // namespace vc::playback_machine
