// Domain events: what changed, published by the services after each commit (next to their cache
// invalidation) on the installation's event bus, so every instance sees them. The realtime hub turns
// them into Socket.IO broadcasts (devices/updated, placeholder/refresh, player events,
// preview/refresh, player/online|offline, player/status); an integrator subscribes to the same stream.
//
// Delivery is the event bus's: at most once per subscriber per instance, best effort (nothing
// durable rides on it; the database is the truth, an event says "look again").
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "videocontrol/export.hpp"
#include "videocontrol/result.hpp"

namespace vc {

class EventBus;

enum class EventKind {
  device_created,
  device_renamed,
  device_deleted,
  device_credential_changed,
  media_added,      // an upload (new bytes or deduplicated) linked to device_id under `name`
  media_renamed,
  media_linked,     // an existing media item linked to device_id under `name`
  media_unlinked,   // a file removed from device_id
  media_moved,      // a file moved from device_ids[0] to device_id
  media_deleted,    // the media item and every link to it; device_ids: the devices that had it
  placeholder_changed,  // the idle content of device_ids changed (set, cleared, or its media deleted)
  playback_changed,     // a control command: player_event (+ player_payload) goes to device_id's players
  device_online,        // the first player of device_id connected (on any instance)
  device_offline,       // the last player of device_id is gone (from every instance)
  player_status,        // a player of device_id reported its playback (player/status); player_payload is
                        // the control panels' argument, checked and bounded by the hub
  // The content pipeline (pipeline.hpp), once per device offering the media (device_id, name):
  // player_payload is the panels' argument {device_id, file, media_id, …} of file/processing,
  // file/progress (progress only grows), file/ready (pages when paged) and file/error (error).
  media_processing,
  media_progress,
  media_ready,
  media_failed,
  // Scheduling (scheduling.hpp): a group, playlist, assignment, device schedule setting or override
  // changed. `name` says which ("group", "playlist", "assignment", "device_schedule", "override"),
  // media_id carries its id; device_ids: the devices whose timeline may have changed, when known.
  schedule_changed,
  // Accounts (webhooks): `name` says what happened ("created", "updated", "deleted", "revoked"),
  // media_id carries the user's or API key's id.
  user_changed,
  api_key_changed,
  // Sign-in state that no event above reports, so that caches of authenticated credentials (Auth)
  // on every instance drop what no longer holds, and control panels re-check theirs; not webhook
  // events. sessions_ended: media_id is the user whose session(s) ended (sign-out, sign-out
  // everywhere, password change, a reused refresh token). organization_changed: organization_id's
  // settings or active flag changed ("updated") or it was deleted ("deleted"), in `name`.
  sessions_ended,
  organization_changed,
};
VC_API std::string_view to_string(EventKind kind) noexcept;  // "device.created", "media.added", …
VC_API std::optional<EventKind> parse_event_kind(std::string_view text) noexcept;

struct VC_API DomainEvent {
  EventKind kind = EventKind::device_created;
  std::string organization_id;
  std::string device_id;                // the device concerned (its public id), if one
  std::vector<std::string> device_ids;  // several devices (see EventKind)
  std::string media_id;
  std::string name;                     // a device's file name or a new name
  std::string actor_id;                 // who did it; empty for the installation itself
  std::int64_t at_ms = 0;
  std::string player_event;             // playback_changed: e.g. "player/play"
  std::string player_payload;           // its one JSON argument; empty = none (player_status: the panels')
  std::string state;                    // playback_changed: the new now-playing state (JSON object)

  // Every device the event concerns: device_id and device_ids, without repeats.
  VC_API std::vector<std::string> devices() const;
  friend bool operator==(const DomainEvent&, const DomainEvent&) = default;
};

// One JSON object per event, as it travels on the bus: {"kind":"media.added","organization_id":…}.
VC_API std::string encode_event(const DomainEvent& event);
// Errors: invalid (not JSON, not an object, unknown kind, a field of the wrong type, player_payload
// not one JSON value, over 1 MiB).
VC_API Result<DomainEvent> decode_event(std::string_view json);

// The typed stream over an EventBus channel ("domain"). Thread-safe. Subscriptions may come and go
// at any time (unlike the bus's own); handlers run on the bus's delivery thread, in publish order per
// publisher, and must not block. A handler that throws is logged and skipped.
class VC_API DomainEvents {
 public:
  using Handler = std::function<void(const DomainEvent&)>;
  using Subscription = std::uint64_t;
  static constexpr std::string_view kChannel = "domain";

  // REQUIRES: bus outlives this object; it is constructed before anything is published on `bus`.
  explicit DomainEvents(EventBus& bus);
  ~DomainEvents();
  DomainEvents(const DomainEvents&) = delete;
  DomainEvents& operator=(const DomainEvents&) = delete;

  // Returns false when the event reached this instance only (the shared bus is down).
  bool publish(const DomainEvent& event);
  Subscription subscribe(Handler handler);
  // After it returns, the handler is not running and will not run again.
  void unsubscribe(Subscription id);

  // Observers of the events this instance publishes (and only those): called on the publishing
  // thread inside publish(), before the event goes on the bus, so every event is observed exactly
  // once in the installation, by the instance where the change was made (webhook fan-out uses this).
  // Must be quick and must not publish. unobserve_local waits for a running call to finish.
  Subscription observe_local(Handler handler);
  void unobserve_local(Subscription id);

 private:
  struct State;
  std::shared_ptr<State> state_;
  EventBus& bus_;
};

}  // namespace vc
