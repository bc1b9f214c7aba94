// Plain domain values shared by the library's modules and its storage, and the enums naming their
// states. Each enum has a stable lower_snake_case text (what the API and the database store) with
// to_string and a parse_… that refuses anything else.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "videocontrol/export.hpp"

namespace vc {

// Ordered from least to most privileged; superadmin is system-wide, the rest are per organisation.
enum class Role { viewer, speaker, operator_, admin, superadmin };
VC_API std::string_view to_string(Role role) noexcept;
VC_API std::optional<Role> parse_role(std::string_view text) noexcept;

// What a media item is, from its bytes (media_types.hpp sniffs it). pptx: presentations (PPTX,
// PPSX, PPT, ODP); document: text documents (DOCX, DOC, ODT, RTF); both are converted to pages like
// a PDF. zip: an image folder.
enum class MediaKind { video, audio, image, pdf, pptx, zip, document };
VC_API std::string_view to_string(MediaKind kind) noexcept;
VC_API std::optional<MediaKind> parse_media_kind(std::string_view text) noexcept;

// A device's playback: idle (never told anything), playing, paused, stopped (back to its placeholder).
enum class PlaybackState { idle, playing, paused, stopped };
VC_API std::string_view to_string(PlaybackState state) noexcept;
VC_API std::optional<PlaybackState> parse_playback_state(std::string_view text) noexcept;

// Whether players must present their device credential: off (2.x players, ids only), optional (a
// presented credential must be right), required.
enum class CredentialPolicy { off, optional, required };
VC_API std::string_view to_string(CredentialPolicy policy) noexcept;
VC_API std::optional<CredentialPolicy> parse_credential_policy(std::string_view text) noexcept;

struct VC_API Organization {
  std::string id;
  std::string name;
  std::string slug;
  std::string plan = "FREE";        // FREE, STARTER, PRO, ENTERPRISE
  std::string timezone = "UTC";
  bool active = true;
  // Per-organisation overrides of the plan's limits; nullopt = the plan's value.
  std::optional<std::int64_t> max_devices;
  std::optional<std::int64_t> max_users;
  std::optional<std::int64_t> max_storage_bytes;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
};

// Limits of a plan or organisation; nullopt = unlimited.
struct VC_API Limits {
  std::optional<std::int64_t> devices;
  std::optional<std::int64_t> users;
  std::optional<std::int64_t> storage_bytes;
};

VC_API bool is_valid_plan(std::string_view plan) noexcept;
// FREE 5/3/5 GB, STARTER 20/10/50 GB, PRO 100/50/500 GB, ENTERPRISE unlimited.
VC_API Limits plan_limits(std::string_view plan) noexcept;
// The plan's limits with the organisation's overrides applied.
VC_API Limits effective_limits(const Organization& org) noexcept;

struct VC_API User {
  std::string id;
  std::string organization_id;      // a superadmin's is its home organisation (may be empty)
  std::string username;             // unique across the installation
  std::string password_hash;        // argon2id, libsodium's encoded string
  Role role = Role::viewer;
  bool active = true;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
};

// A sign-in session: one refresh token of a family. Rotation adds a row to the family and marks the
// old one used; presenting a used token again revokes the whole family.
struct VC_API AuthSession {
  std::string id;
  std::string user_id;
  std::string family_id;
  std::string refresh_hash;          // SHA-256 of the token, hex
  std::string address;
  std::optional<std::int64_t> used_at_ms;
  std::optional<std::int64_t> revoked_at_ms;
  std::int64_t expires_at_ms = 0;
  std::int64_t created_at_ms = 0;
};

struct VC_API ApiKey {
  std::string id;
  std::string organization_id;
  std::string name;
  std::string prefix;                // first characters of the key, to recognise it in lists
  std::string key_hash;              // SHA-256 of the key, hex; never returned by the API
  std::string scopes;                // "read,write,control"
  std::string created_by;
  std::optional<std::int64_t> expires_at_ms;
  std::optional<std::int64_t> last_used_at_ms;
  std::optional<std::int64_t> revoked_at_ms;
  std::int64_t created_at_ms = 0;
};

// What a device is showing now; stored so reconnecting players and other instances see the truth.
struct VC_API NowPlaying {
  std::string type;                 // video, image, pdf, pptx, folder; "" when idle
  std::string file;                 // the device's name for the media
  std::optional<int> page;          // 1-based, paged kinds only
  PlaybackState state = PlaybackState::idle;
  std::optional<std::int64_t> position_ms;
  std::optional<int> volume;
  std::int64_t updated_at_ms = 0;
  // Set by the schedule engine; false when a person (or a script) set it: manual control, which
  // holds the device's schedule (schedule_engine.hpp), also across a restart.
  bool scheduled = false;
};

struct VC_API Device {
  std::string id;                   // internal id (UUIDv7)
  std::string organization_id;
  std::string device_id;            // the player's id, [A-Za-z0-9_-]{1,64}, unique in the installation
  std::string name;
  std::string device_type;          // reported by the player
  std::string platform;
  std::string capabilities_json = "{}";
  std::string credential_hash;      // SHA-256 of the device credential; empty = none
  // A 2.x player that knows only its id: it may register by id alone even when the installation
  // requires device credentials (players.hpp). Off for new devices.
  bool legacy_player = false;
  std::string placeholder_media_id; // idle content; empty = none
  std::string status = "offline";   // online, offline
  std::optional<std::int64_t> last_seen_at_ms;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
};

struct VC_API Media {
  std::string id;
  std::string organization_id;
  std::string name;                 // display name in the library
  MediaKind kind = MediaKind::video;
  std::string mime;
  std::int64_t size = 0;
  std::string blob_hash;            // SHA-256 hex of the bytes
  std::string metadata_json = "{}";  // what processing found (pipeline.hpp lists the fields)
  std::string status = "ready";     // processing, ready, error (the content pipeline's)
  int progress = 100;               // 0..100 while processing
  std::string error;                // why processing failed (status error), or why no player can decode it
  std::string derived;              // the derived-files profile its pages/thumbnail/rendition are under; "" = none
  std::optional<int> page_count;    // pages of a document, images of a folder
  std::string created_by;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
};

// A media item as a device offers it: under the device's own file name.
struct VC_API DeviceFile {
  std::string name;
  Media media;
};

// Narrows a device's file list: names containing `contains` (case-insensitive for ASCII letters;
// % and _ match themselves) and media of one kind (a MediaKind's name). Empty = no condition.
struct VC_API FileFilter {
  std::string contains;
  std::string kind;
  bool empty() const { return contains.empty() && kind.empty(); }
};

struct VC_API AuditEntry {
  std::string actor_kind;           // user, api_key, device, system
  std::string actor_id;
  std::string organization_id;
  std::string action;               // e.g. "system.bootstrap"
  std::string object_type;
  std::string object_id;
  std::string address;
  std::string details_json = "{}";
  std::int64_t at_ms = 0;
  std::int64_t id = 0;              // assigned by storage
};

// One page of a list; next_cursor is empty on the last page.
template <class T>
struct Page {
  std::vector<T> items;
  std::string next_cursor;
};

struct VC_API PageRequest {
  std::string cursor;               // from the previous page's next_cursor; empty = first page
  int limit = 50;                   // 1..200
};

}  // namespace vc
