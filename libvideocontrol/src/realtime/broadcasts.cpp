#include "broadcasts.hpp"

#include "videocontrol/json_writer.hpp"
#include "videocontrol/protocol/socketio.hpp"

namespace vc::realtime {
namespace {

std::string device_arg(const std::string& device) {
  return std::move(JsonWriter().begin_object().key("device_id").value(device).end_object()).str();
}

// {device_id, state?}: the panels' live preview follows the state without asking (2.x panels read
// only device_id).
std::string preview_arg(const std::string& device, const std::string& state) {
  JsonWriter w;
  w.begin_object().key("device_id").value(device);
  if (!state.empty()) w.key("state").raw(state);
  return std::move(w.end_object()).str();
}

std::string event_packet(std::string_view name, const std::vector<std::string>& args = {}) {
  return sio::encode(sio::make_event(name, args));
}

}  // namespace

std::vector<Broadcast> broadcasts_for(const DomainEvent& e) {
  using To = Broadcast::To;
  std::vector<Broadcast> out;
  auto to_panels = [&](std::string packet) {
    if (!e.organization_id.empty()) out.push_back({To::organization_controls, e.organization_id, std::move(packet)});
  };
  switch (e.kind) {
    case EventKind::placeholder_changed:
      for (const auto& d : e.devices()) out.push_back({To::device_players, d, event_packet("placeholder/refresh")});
      to_panels(event_packet("devices/updated"));
      break;
    case EventKind::playback_changed:
      if (!e.player_event.empty() && !e.device_id.empty()) {
        std::vector<std::string> args;
        if (!e.player_payload.empty()) args.push_back(e.player_payload);
        out.push_back({To::device_players, e.device_id, event_packet(e.player_event, args)});
      }
      to_panels(event_packet("preview/refresh", {preview_arg(e.device_id, e.state)}));
      break;
    case EventKind::device_online:
      to_panels(event_packet("player/online", {device_arg(e.device_id)}));
      break;
    case EventKind::device_offline:
      to_panels(event_packet("player/offline", {device_arg(e.device_id)}));
      break;
    case EventKind::player_status:  // the hub made the argument (player_status.hpp)
      if (!e.player_payload.empty()) to_panels(event_packet("player/status", {e.player_payload}));
      break;
    case EventKind::media_processing:
    case EventKind::media_progress:
    case EventKind::media_ready:
    case EventKind::media_failed: {
      static constexpr std::string_view kNames[] = {"file/processing", "file/progress", "file/ready", "file/error"};
      const auto i = static_cast<std::size_t>(e.kind) - static_cast<std::size_t>(EventKind::media_processing);
      if (!e.player_payload.empty()) to_panels(event_packet(kNames[i], {e.player_payload}));
      // A finished file changes the panels' lists (status, pages, thumbnail) like an upload does.
      if (e.kind == EventKind::media_ready || e.kind == EventKind::media_failed) to_panels(event_packet("devices/updated"));
      break;
    }
    case EventKind::schedule_changed: {
      // {what, id}: a schedule editor or timeline strip reloads what it shows.
      JsonWriter w;
      w.begin_object().key("what").value(e.name).key("id").value(e.media_id).end_object();
      to_panels(event_packet("schedule/updated", {std::move(w).str()}));
      break;
    }
    case EventKind::device_created:
    case EventKind::device_renamed:
    case EventKind::device_deleted:
    case EventKind::device_credential_changed:
    case EventKind::media_added:
    case EventKind::media_renamed:
    case EventKind::media_linked:
    case EventKind::media_unlinked:
    case EventKind::media_moved:
    case EventKind::media_deleted:
      to_panels(event_packet("devices/updated"));  // control panels reload the list
      break;
    case EventKind::user_changed:
    case EventKind::api_key_changed:
      break;  // for webhooks; the panels do not show them live
    case EventKind::sessions_ended:
    case EventKind::organization_changed:
      break;  // for credential checks (the hub re-checks its panels)
  }
  return out;
}

std::optional<PlaybackCommand> control_command(std::string_view name, const ControlFields& f) {
  PlaybackCommand cmd;
  if (name == "control/play") {
    cmd.file = f.file;
    cmd.action = cmd.file.empty() ? PlaybackAction::resume : PlaybackAction::play;
    cmd.page = f.page;
  } else if (name == "control/pause") {
    cmd.action = PlaybackAction::pause;
  } else if (name == "control/restart") {
    cmd.action = PlaybackAction::restart;
  } else if (name == "control/stop") {
    cmd.action = PlaybackAction::stop;
  } else if (name == "control/pdfNext") {
    cmd.action = PlaybackAction::next_page;
  } else if (name == "control/pdfPrev") {
    cmd.action = PlaybackAction::prev_page;
  } else if (name == "control/page") {
    cmd.action = PlaybackAction::goto_page;
    cmd.page = f.page;
  } else {
    return std::nullopt;
  }
  return cmd;
}

}  // namespace vc::realtime
