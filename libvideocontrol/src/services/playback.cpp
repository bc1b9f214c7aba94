#include "videocontrol/playback.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "context.hpp"
#include "json_render.hpp"
#include "playback_machine.hpp"
#include "videocontrol/json_writer.hpp"
#include "videocontrol/permissions.hpp"

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

}  // namespace

Result<DeviceGroup> load_visible_group(StorageSession& s, const Actor& actor, std::string_view group_id) {
  VC_ASSIGN(auto g, s.scheduling().find_group(group_id));
  if (!g || !can_see(actor, g->organization_id))
    return make_error(ErrorCode::not_found, fmt::format("group '{}' not found", group_id));
  return std::move(*g);
}

namespace {

void member_json(JsonWriter& w, const GroupMemberOutcome& m) {
  w.begin_object().key("device_id").value(m.device_id).key("ok").value(m.ok());
  if (m.error) {
    w.key("error").value(m.error->message).key("code").value(to_string(m.error->code));
  } else {
    if (m.state) w.key("state").raw(Playback::state_json(*m.state));
    if (m.placeholder_media_id) w.key("placeholder_media_id").string_or_null(*m.placeholder_media_id);
  }
  w.end_object();
}

}  // namespace

std::string group_results_json(const GroupOutcome& outcome) {
  JsonWriter w;
  w.begin_array();
  for (const auto& m : outcome.results) member_json(w, m);
  return std::move(w.end_array()).str();
}

std::string group_outcome_json(const GroupOutcome& outcome) {
  JsonWriter w;
  w.begin_object().key("group_id").value(outcome.group_id).key("results").begin_array();
  for (const auto& m : outcome.results) member_json(w, m);
  return std::move(w.end_array().end_object()).str();
}

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
  JsonWriter w;
  w.begin_object().key("type").string_or_null(n.type).key("file").string_or_null(n.file).key("state").value(to_string(n.state));
  if (n.page) w.key("page").value(*n.page);
  if (n.volume) w.key("volume").value(*n.volume);
  return std::move(w.end_object()).str();
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
    std::optional<playback_machine::File> target;
    if (cmd.action == PlaybackAction::play && !cmd.file.empty()) {
      VC_ASSIGN(auto f, s.media().find_file(d.id, cmd.file));
      if (!f) return make_error(ErrorCode::not_found, fmt::format("device '{}' has no file '{}'", d.device_id, cmd.file));
      target = playback_machine::File{f->name, f->media.kind, f->media.page_count};
    }
    VC_ASSIGN(auto next, playback_machine::step(n, page_count, cmd, target ? &*target : nullptr));
    n = std::move(next.state);
    out.player_event = std::move(next.player_event);
    out.player_payload = std::move(next.player_payload);
    n.updated_at_ms = ctx_.now_ms();
    n.scheduled = false;  // manual control (the engine stores its own states)
    VC_TRY(s.devices().put_state(d.id, n));
    out.state = n;
    return out;
  });
  if (!r) return r;
  ctx_.cache.bump(devices_namespace(r->organization_id));  // device lists carry now_playing
  DomainEvent e;
  e.kind = EventKind::playback_changed;
  e.organization_id = r->organization_id;
  e.device_id = r->device_id;
  e.player_event = r->player_event;
  e.player_payload = r->player_payload;
  e.state = Playback::state_json(r->state);
  ctx_.publish(std::move(e), actor);
  record(*ctx_.commands, received);
  return r;
}

Result<GroupOutcome> Playback::command_group(const Actor& actor, std::string_view group_id, const PlaybackCommand& cmd) {
  VC_ASSIGN(auto group, read_value<DeviceGroup>(ctx_.storage, [&](StorageSession& s) -> Result<DeviceGroup> {
    VC_ASSIGN(auto g, load_visible_group(s, actor, group_id));
    VC_TRY(require(actor, Permission::control));  // after the tenancy check: others get 404
    return g;
  }));
  PlaybackCommand member_cmd = cmd;
  if (member_cmd.received == std::chrono::steady_clock::time_point{}) member_cmd.received = std::chrono::steady_clock::now();
  GroupOutcome out;
  out.group_id = group.id;
  out.organization_id = group.organization_id;
  out.results.reserve(group.device_ids.size());
  // One member at a time through the single-device path: the same checks, state and events, and a
  // member removed meanwhile is just that member's not_found.
  for (const auto& device_id : group.device_ids) {
    GroupMemberOutcome m;
    m.device_id = device_id;
    auto r = command(actor, device_id, member_cmd);
    if (r) m.state = std::move(r->state);
    else m.error = r.error();
    out.results.push_back(std::move(m));
  }
  return out;
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
