#include "videocontrol/playback.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "context.hpp"
#include "json_render.hpp"
#include "videocontrol/media_types.hpp"
#include "videocontrol/permissions.hpp"
#include "videocontrol/protocol/socketio.hpp"

namespace vc {
namespace {

void record(CommandHistogram& h, std::chrono::steady_clock::time_point received) {
  const auto us = std::max<std::int64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - received).count(), 0);
  const double ms = static_cast<double>(us) / 1000.0;
  std::size_t i = 0;
  while (i < PlaybackCommandStats::kBoundsMs.size() && ms > PlaybackCommandStats::kBoundsMs[i]) ++i;
  h.buckets[i].fetch_add(1, std::memory_order_relaxed);
  h.us_sum.fetch_add(static_cast<std::uint64_t>(us), std::memory_order_relaxed);
}

bool paged(std::string_view type) { return type == "pdf" || type == "pptx" || type == "folder"; }

std::string page_event(std::string_view type) {
  if (type == "pptx") return "player/pptxPage";
  if (type == "folder") return "player/folderPage";
  return "player/pdfPage";
}

std::string play_payload(const NowPlaying& n) {
  std::string out = fmt::format(R"({{"type":{},"file":{},"state":"playing")", sio::json_string(n.type), sio::json_string(n.file));
  if (n.page) out += fmt::format(R"(,"page":{})", *n.page);
  return out + "}";
}

}  // namespace

std::optional<PlaybackAction> parse_playback_action(std::string_view t) noexcept {
  if (t == "play") return PlaybackAction::play;
  if (t == "resume") return PlaybackAction::resume;
  if (t == "pause") return PlaybackAction::pause;
  if (t == "restart") return PlaybackAction::restart;
  if (t == "stop") return PlaybackAction::stop;
  if (t == "next" || t == "pdfNext") return PlaybackAction::next_page;
  if (t == "prev" || t == "pdfPrev") return PlaybackAction::prev_page;
  if (t == "page") return PlaybackAction::goto_page;
  return std::nullopt;
}

std::string Playback::state_json(const NowPlaying& n) {
  // The 2.x shape: {type, file, state, page?}
  std::string out = fmt::format(R"({{"type":{},"file":{},"state":{})", n.type.empty() ? "null" : sio::json_string(n.type),
                                n.file.empty() ? "null" : sio::json_string(n.file), sio::json_string(to_string(n.state)));
  if (n.page) out += fmt::format(R"(,"page":{})", *n.page);
  if (n.volume) out += fmt::format(R"(,"volume":{})", *n.volume);
  return out + "}";
}

Result<NowPlaying> Playback::state(const Actor& actor, std::string_view device_id) {
  return read_value<NowPlaying>(ctx_.storage, [&](StorageSession& s) -> Result<NowPlaying> {
    VC_ASSIGN(auto d, load_visible_device(s, actor, device_id));
    if (actor.kind != Actor::Kind::device) VC_TRY(require(actor, Permission::read));
    VC_ASSIGN(auto st, s.devices().state(d.id));
    return st.value_or(NowPlaying{});
  });
}

Result<PlaybackOutcome> Playback::command(const Actor& actor, std::string_view device_id, const PlaybackCommand& cmd) {
  const auto received = cmd.received == std::chrono::steady_clock::time_point{} ? std::chrono::steady_clock::now()
                                                                                 : cmd.received;
  auto r = write_value<PlaybackOutcome>(ctx_.storage, [&](StorageSession& s) -> Result<PlaybackOutcome> {
    VC_ASSIGN(auto d, load_visible_device(s, actor, device_id));
    VC_TRY(require(actor, Permission::control));  // after the tenancy check: others get 404
    VC_ASSIGN(auto current, s.devices().state(d.id));
    NowPlaying n = current.value_or(NowPlaying{});
    PlaybackOutcome out;
    out.device_id = d.device_id;
    out.organization_id = d.organization_id;
    std::optional<int> page_count;
    if (!n.file.empty()) {
      VC_ASSIGN(auto f, s.media().find_file(d.id, n.file));
      if (f) page_count = f->media.page_count;
    }
    auto bounded = [&](int page) -> Result<int> {
      if (page < 1 || (page_count && page > *page_count))
        return make_error(ErrorCode::invalid, page_count ? fmt::format("page must be between 1 and {}", *page_count)
                                                         : std::string("page must be 1 or more"));
      return page;
    };
    const bool loaded = !n.file.empty();
    switch (cmd.action) {
      case PlaybackAction::play:
        if (!cmd.file.empty()) {
          VC_ASSIGN(auto f, s.media().find_file(d.id, cmd.file));
          if (!f) return make_error(ErrorCode::not_found, fmt::format("device '{}' has no file '{}'", d.device_id, cmd.file));
          page_count = f->media.page_count;
          n.type = std::string(player_type(f->media.kind));
          n.file = f->name;
          n.page.reset();
          if (paged(n.type)) {
            VC_ASSIGN(int p, bounded(cmd.page.value_or(1)));
            n.page = p;
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
        int target = n.page.value_or(1);
        if (cmd.action == PlaybackAction::next_page) ++target;
        else if (cmd.action == PlaybackAction::prev_page) --target;
        else if (cmd.page) target = *cmd.page;
        else return make_error(ErrorCode::invalid, "page is required");
        if (cmd.action != PlaybackAction::goto_page) {
          // At either end the page stays where it is (a presenter's extra click is not an error).
          if (target < 1 || (page_count && target > *page_count)) target = n.page.value_or(1);
        } else {
          VC_ASSIGN(target, bounded(target));
        }
        if (target != n.page.value_or(1) || cmd.action == PlaybackAction::goto_page) {
          out.player_event = page_event(n.type);
          out.player_payload = std::to_string(target);
        }
        n.page = target;
        break;
      }
    }
    n.updated_at_ms = ctx_.now_ms();
    VC_TRY(s.devices().put_state(d.id, n));
    out.state = n;
    return out;
  });
  if (!r) return r;
  DomainEvent e;
  e.kind = EventKind::playback_changed;
  e.organization_id = r->organization_id;
  e.device_id = r->device_id;
  e.player_event = r->player_event;
  e.player_payload = r->player_payload;
  ctx_.publish(std::move(e), actor);
  record(*ctx_.commands, received);
  return r;
}

PlaybackCommandStats Playback::command_stats() const {
  PlaybackCommandStats s;
  const auto& h = *ctx_.commands;
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < PlaybackCommandStats::kBoundsMs.size(); ++i) {
    cumulative += h.buckets[i].load(std::memory_order_relaxed);
    s.within[i] = cumulative;
  }
  s.count = cumulative + h.buckets.back().load(std::memory_order_relaxed);
  s.ms_sum = static_cast<double>(h.us_sum.load(std::memory_order_relaxed)) / 1000.0;
  return s;
}

}  // namespace vc
