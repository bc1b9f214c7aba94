// Scheduling (issue 13): device groups, playlists, assignments of playlists to devices or groups
// under schedules, a device's default playlist and time zone, emergency overrides, and the timeline
// of what plays on a device and why. The rules of time are in schedule.hpp; docs/scheduling.md has
// the whole picture. Every call checks the Actor: reading needs `read`, changing `manage_content`
// (overrides: `control`); objects of another organisation are not found.
#pragma once

#include "videocontrol/export.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "videocontrol/actor.hpp"
#include "videocontrol/domain.hpp"
#include "videocontrol/result.hpp"
#include "videocontrol/schedule.hpp"

namespace vc {

struct ServiceContext;

struct VC_API DeviceGroup {
  std::string id;
  std::string organization_id;
  std::string name;
  std::vector<std::string> device_ids;  // the members' public device ids, sorted
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
};

struct VC_API PlaylistItem {
  std::string media_id;
  std::optional<std::int64_t> duration_ms;  // empty: the media's own length, or the image default
};

struct VC_API Playlist {
  std::string id;
  std::string organization_id;
  std::string name;
  bool loop = true;
  bool shuffle = false;
  std::string transition = "none";  // none, fade
  std::vector<PlaylistItem> items;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
};

struct VC_API Assignment {
  std::string id;
  std::string organization_id;
  std::string playlist_id;
  std::string device_id;  // public device id; exactly one of device_id and group_id is set
  std::string group_id;
  int priority = 0;       // -1000..1000, higher wins
  Schedule schedule;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
};

struct VC_API Override {
  std::string id;
  std::string organization_id;
  std::string group_id;   // empty: every device of the organisation
  std::string media_id;   // what to show; empty with a message
  std::string message;
  std::int64_t starts_at_ms = 0;
  std::optional<std::int64_t> ends_at_ms;     // empty: until cleared
  std::optional<std::int64_t> cleared_at_ms;
  std::string created_by;
  std::int64_t created_at_ms = 0;
};

// A device's scheduling settings.
struct VC_API DeviceScheduleSettings {
  std::string default_playlist_id;  // empty: none
  std::string timezone;             // empty: the organisation's
};

struct VC_API Timeline {
  std::string device_id;
  std::string timezone;  // the zone the schedules were evaluated in
  std::int64_t from_ms = 0, to_ms = 0;
  std::vector<TimelineEntry> entries;
};

// Inputs (JSON parsers below give the REST API and the CLI the same rules and messages).
struct VC_API PlaylistInput {
  std::string name;
  bool loop = true;
  bool shuffle = false;
  std::string transition = "none";
  std::vector<PlaylistItem> items;  // at most 1000; each duration 1 s .. 24 h
};
struct VC_API AssignmentInput {
  std::string playlist_id;
  std::string device_id;
  std::string group_id;
  int priority = 0;
  Schedule schedule;
};
struct VC_API OverrideInput {
  std::string group_id;
  std::string media_id;
  std::string message;  // up to 500 characters; a message or a media item is required
  std::optional<std::int64_t> ends_at_ms;
};

// {"name","loop"?,"shuffle"?,"transition"?,"items":[{"media_id","duration_ms"?}]}
VC_API Result<PlaylistInput> parse_playlist_input(std::string_view json);
// {"playlist_id","device_id"|"group_id","priority"?,"schedule"?:{…} (default always)}
VC_API Result<AssignmentInput> parse_assignment_input(std::string_view json);

// What the schedule editor previews: the next spans of a schedule in a zone.
struct VC_API SchedulePreviewInput {
  Schedule schedule;
  std::string timezone = "UTC";
  int count = 5;  // 1..50
};
// {"schedule":{…},"timezone"?,"count"?}
VC_API Result<SchedulePreviewInput> parse_schedule_preview(std::string_view json);

class VC_API Scheduling {
 public:
  explicit Scheduling(ServiceContext& ctx) : ctx_(ctx) {}

  // ---- groups ----
  // With its first members, in one transaction. Errors: invalid (name 1..100 characters), conflict
  // (name taken in the organisation), not_found naming the first unknown device.
  Result<DeviceGroup> create_group(const Actor& actor, std::string_view name,
                                   const std::vector<std::string>& device_ids = {});
  Result<DeviceGroup> get_group(const Actor& actor, std::string_view id);
  Result<std::vector<DeviceGroup>> list_groups(const Actor& actor);
  // A new name and/or new members (replacing the old), in one transaction: all or nothing.
  struct GroupPatch {
    std::optional<std::string> name;
    std::optional<std::vector<std::string>> device_ids;
  };
  Result<DeviceGroup> update_group(const Actor& actor, std::string_view id, const GroupPatch& patch);
  Result<DeviceGroup> rename_group(const Actor& actor, std::string_view id, std::string_view name);
  // Replaces the members. Errors: not_found naming the first unknown device.
  Result<DeviceGroup> set_group_devices(const Actor& actor, std::string_view id, const std::vector<std::string>& device_ids);
  Result<void> delete_group(const Actor& actor, std::string_view id);

  // ---- playlists ----
  // Errors: invalid; not_found for a media item of another organisation or none.
  Result<Playlist> create_playlist(const Actor& actor, const PlaylistInput& input);
  Result<Playlist> get_playlist(const Actor& actor, std::string_view id);
  Result<std::vector<Playlist>> list_playlists(const Actor& actor);
  // Replaces every field and the items.
  Result<Playlist> update_playlist(const Actor& actor, std::string_view id, const PlaylistInput& input);
  Result<Playlist> duplicate_playlist(const Actor& actor, std::string_view id);
  // Its assignments go with it; devices with it as their default get none.
  Result<void> delete_playlist(const Actor& actor, std::string_view id);
  // Playlists that use a media item: (id, name), for "in use" answers.
  Result<std::vector<std::pair<std::string, std::string>>> playlists_using(const Actor& actor, std::string_view media_id);

  // ---- assignments ----
  Result<Assignment> create_assignment(const Actor& actor, const AssignmentInput& input);
  // device_id / group_id narrow the list (empty = all of the organisation).
  Result<std::vector<Assignment>> list_assignments(const Actor& actor, std::string_view device_id = {},
                                                   std::string_view group_id = {});
  Result<Assignment> update_assignment(const Actor& actor, std::string_view id, const AssignmentInput& input);
  Result<void> delete_assignment(const Actor& actor, std::string_view id);

  // ---- a device's settings ----
  Result<DeviceScheduleSettings> device_settings(const Actor& actor, std::string_view device_id);
  // Errors: invalid (unknown zone), not_found (playlist).
  Result<DeviceScheduleSettings> set_device_settings(const Actor& actor, std::string_view device_id,
                                                     const DeviceScheduleSettings& settings);

  // Gives a device under manual control back to its schedule (schedule_engine.hpp): the instance
  // holding it plays what the schedule says now. Permission: control.
  Result<void> resume_schedule(const Actor& actor, std::string_view device_id);

  // ---- emergency overrides (permission: control) ----
  Result<Override> start_override(const Actor& actor, const OverrideInput& input);
  // Those in force now (not cleared, not expired).
  Result<std::vector<Override>> active_overrides(const Actor& actor);
  Result<Override> clear_override(const Actor& actor, std::string_view id);

  // ---- what plays ----
  // [from_ms, to_ms) at most 31 days. Errors: invalid, not_found.
  Result<Timeline> device_timeline(const Actor& actor, std::string_view device_id, std::int64_t from_ms,
                                   std::int64_t to_ms);
  // The timeline of every member (at most 500 devices), by device id.
  Result<std::vector<Timeline>> group_timeline(const Actor& actor, std::string_view group_id, std::int64_t from_ms,
                                               std::int64_t to_ms);

  // {"timezone","description","schedule","next":[{"from","to","local_from","local_to"}]}: the next
  // `count` spans after now (looking a year ahead). Errors: invalid (zone), forbidden (no read).
  static Result<std::string> preview_json(const Actor& actor, const SchedulePreviewInput& input, std::int64_t now_ms);

  // JSON shapes (the REST API's).
  static std::string to_json(const DeviceGroup& group);
  static std::string to_json(const Playlist& playlist);
  static std::string to_json(const Assignment& assignment);
  static std::string to_json(const Override& override_);
  static std::string to_json(const DeviceScheduleSettings& settings);
  static std::string to_json(const Timeline& timeline);

 private:
  ServiceContext& ctx_;
};

}  // namespace vc
