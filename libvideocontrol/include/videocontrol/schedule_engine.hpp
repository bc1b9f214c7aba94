// ScheduleEngine (issue 13): drives the screens an instance holds through their schedules. For each
// device whose player is connected here it keeps a plan (the device's timeline, resolve_timeline,
// and the steps of the playlists in it) and one entry in a sorted next-event queue; at each item
// boundary it tells the device's players what to show (player/play for unmodified 2.x players) and
// stores the new now-playing state for everyone else. Which item plays is computed, never
// remembered (playlist_position), so after a restart or a failover the instance that now holds the
// device continues at the same item. docs/scheduling.md, "The engine", has the rules.
//
// Threading: every public call is thread-safe. run_due() does the work; start() runs it on a thread
// of the engine's own at the right moments. Tests drive run_due() themselves with a ManualClock.
#pragma once

#include "videocontrol/export.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "videocontrol/actor.hpp"
#include "videocontrol/events.hpp"
#include "videocontrol/result.hpp"

namespace vc {

class Services;

// What manual control (a speaker's play, pause, stop…) does to a device's schedule.
enum class ManualHold {
  until_boundary,  // the schedule takes over again at the next change of the timeline (default)
  until_resume,    // only "resume schedule" (Scheduling::resume_schedule) gives it back
};
// "boundary", "resume" (inline: the server's settings parser uses it without the engine).
inline std::optional<ManualHold> parse_manual_hold(std::string_view t) noexcept {
  if (t == "boundary") return ManualHold::until_boundary;
  if (t == "resume") return ManualHold::until_resume;
  return std::nullopt;
}
inline std::string_view to_string(ManualHold h) noexcept { return h == ManualHold::until_resume ? "resume" : "boundary"; }

struct VC_API ScheduleEngineOptions {
  ManualHold manual_hold = ManualHold::until_boundary;
  // How long an item without a duration of its own shows when it has no length (images, each page
  // of a document or folder, a video not probed yet).
  std::chrono::milliseconds item_duration{10'000};
  // A plan covers this far ahead, then is computed again.
  std::chrono::hours horizon{24};
  // The engine wakes this long before a boundary to compute what is due and build the messages, so
  // that at the boundary it only sends. 0: it wakes at the boundary.
  std::chrono::milliseconds lead{200};
};

// One message for one device's players.
struct VC_API ScheduleDelivery {
  std::string_view device_id;
  std::string_view event;
  const std::string* payload = nullptr;  // JSON text of the one argument; null or empty = none
};

// Where the engine's messages for a device's players go: the connections this instance holds.
class VC_API ScheduleSink {
 public:
  virtual ~ScheduleSink() = default;
  // One Socket.IO event for every player of the device connected here. Must not block.
  virtual void deliver(std::string_view device_id, std::string_view event, const std::string& payload) = 0;
  // Many at once (a boundary many devices share): by default one deliver() each.
  virtual void deliver_many(const std::vector<ScheduleDelivery>& messages) {
    static const std::string none;
    for (const auto& m : messages) deliver(m.device_id, m.event, m.payload ? *m.payload : none);
  }
};

// What a device shows at a moment according to its plan.
struct VC_API ScheduleCue {
  enum class Kind { none, file, message, idle };
  Kind kind = Kind::none;     // none: the schedule has nothing to say (manual control stays)
  std::string file;           // file: the device's file name
  std::string media_id;
  std::optional<int> page;    // 1-based, a page of a document or an image of a folder
  std::string message;        // message: an override's text
  std::string transition;     // the playlist's ("none", "fade")
  std::int64_t begin_ms = 0;  // when this item began (a boundary)
  std::int64_t end_ms = 0;    // the next boundary
  std::string why;            // the timeline's source: assignment, default_playlist, override, …
  std::string source_id;      // the assignment, override or default playlist
  bool operator==(const ScheduleCue&) const = default;
};

struct VC_API ScheduleEngineStats {
  std::size_t tracked = 0;        // devices with a plan here
  std::size_t held = 0;           // devices under manual control
  std::uint64_t cues_sent = 0;    // plays, stops and messages sent
  std::uint64_t early_ends = 0;   // items moved on from because a player reported their end
  std::uint64_t plans_loaded = 0;
  std::uint64_t errors = 0;       // plans or cues that failed (logged)
};

class VC_API ScheduleEngine {
 public:
  ScheduleEngine(Services& services, ScheduleSink& sink, ScheduleEngineOptions options = {});
  ~ScheduleEngine();  // stops the thread
  ScheduleEngine(const ScheduleEngine&) = delete;
  ScheduleEngine& operator=(const ScheduleEngine&) = delete;

  // A player of the device connected here (the first one) / the last one left. The plan is loaded
  // on the engine's thread (or the next run_due), not in the caller's.
  void track(std::string_view device_id, std::string_view organization_id);
  void untrack(std::string_view device_id);
  // Every domain event of the installation (the hub passes them on): schedule changes reload the
  // plans they touch, manual playback commands put the device on hold, media changes reload the
  // devices whose playlists use the media.
  void on_event(const DomainEvent& event);
  // A player of the device connected here reported that `file` played to its end (player/status
  // "ended", browser players). When that is the video or audio the schedule is showing and its
  // boundary is still more than a moment away (its probed length was too long, or the player started
  // late), the next item of the same playlist starts now instead of at the boundary; the boundary
  // after it stays where it was. A device is never moved more than one item ahead of its schedule.
  void player_ended(std::string_view device_id, std::string_view file);

  // Loads what must be loaded and sends what is due at the services' clock's now; returns when the
  // next thing is due (epoch ms), nullopt when nothing is queued.
  std::optional<std::int64_t> run_due();

  // A thread that calls run_due() when something is due or changed. stop() waits for it.
  void start();
  void stop();

  // The cue of a tracked device at `at_ms` by its current plan (for tests and diagnostics);
  // nullopt when the device is not tracked or its plan is not loaded yet.
  std::optional<ScheduleCue> cue_at(std::string_view device_id, std::int64_t at_ms) const;
  ScheduleEngineStats stats() const;

  // The actor the engine acts as (Actor::system() with id "schedule"): playback events it causes
  // carry this id, which tells them from manual control.
  static const Actor& actor();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vc
