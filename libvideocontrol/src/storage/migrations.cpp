#include "migrations.hpp"

namespace vc::storage {
namespace {

// Times are milliseconds since the Unix epoch (BIGINT); booleans are INTEGER 0/1; structured
// fields are JSON text. Ids are UUIDv7 text, except audit_log (append-only, auto-increment).
const std::vector<Migration> kMigrations = {
    {1, "0001_initial",
     {
         R"(CREATE TABLE organizations (
              id TEXT PRIMARY KEY,
              name TEXT NOT NULL,
              slug TEXT NOT NULL UNIQUE,
              plan TEXT NOT NULL DEFAULT 'FREE',
              timezone TEXT NOT NULL DEFAULT 'UTC',
              active INTEGER NOT NULL DEFAULT 1,
              max_devices BIGINT,
              max_users BIGINT,
              max_storage_bytes BIGINT,
              created_at BIGINT NOT NULL,
              updated_at BIGINT NOT NULL))",

         R"(CREATE TABLE users (
              id TEXT PRIMARY KEY,
              organization_id TEXT REFERENCES organizations(id) ON DELETE CASCADE,
              username TEXT NOT NULL UNIQUE,
              password_hash TEXT NOT NULL,
              role TEXT NOT NULL,
              active INTEGER NOT NULL DEFAULT 1,
              password_changed_at BIGINT,
              created_at BIGINT NOT NULL,
              updated_at BIGINT NOT NULL))",
         "CREATE INDEX users_organization_idx ON users (organization_id)",
         "CREATE INDEX users_role_idx ON users (role)",

         R"(CREATE TABLE sessions (
              id TEXT PRIMARY KEY,
              user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
              family_id TEXT NOT NULL,
              refresh_hash TEXT NOT NULL UNIQUE,
              address TEXT,
              used_at BIGINT,
              revoked_at BIGINT,
              expires_at BIGINT NOT NULL,
              created_at BIGINT NOT NULL))",
         "CREATE INDEX sessions_user_idx ON sessions (user_id)",
         "CREATE INDEX sessions_family_idx ON sessions (family_id)",

         R"(CREATE TABLE api_keys (
              id TEXT PRIMARY KEY,
              organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
              name TEXT NOT NULL,
              prefix TEXT NOT NULL,
              key_hash TEXT NOT NULL UNIQUE,
              scopes TEXT NOT NULL,
              created_by TEXT,
              expires_at BIGINT,
              last_used_at BIGINT,
              revoked_at BIGINT,
              created_at BIGINT NOT NULL))",
         "CREATE INDEX api_keys_organization_idx ON api_keys (organization_id)",

         R"(CREATE TABLE devices (
              id TEXT PRIMARY KEY,
              organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
              device_id TEXT NOT NULL UNIQUE,
              name TEXT NOT NULL,
              device_type TEXT,
              platform TEXT,
              capabilities TEXT NOT NULL DEFAULT '{}',
              credential_hash TEXT,
              placeholder_media_id TEXT,
              status TEXT NOT NULL DEFAULT 'offline',
              last_seen_at BIGINT,
              created_at BIGINT NOT NULL,
              updated_at BIGINT NOT NULL))",
         "CREATE INDEX devices_organization_idx ON devices (organization_id)",
         "CREATE INDEX devices_status_idx ON devices (organization_id, status)",

         R"(CREATE TABLE device_state (
              device_id TEXT PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
              type TEXT,
              file TEXT,
              page INTEGER,
              state TEXT NOT NULL DEFAULT 'idle',
              position_ms BIGINT,
              volume INTEGER,
              updated_at BIGINT NOT NULL))",

         R"(CREATE TABLE blobs (
              hash TEXT PRIMARY KEY,
              size BIGINT NOT NULL,
              refcount BIGINT NOT NULL DEFAULT 0,
              created_at BIGINT NOT NULL))",

         R"(CREATE TABLE media (
              id TEXT PRIMARY KEY,
              organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
              name TEXT NOT NULL,
              kind TEXT NOT NULL,
              mime TEXT,
              size BIGINT NOT NULL,
              blob_hash TEXT NOT NULL REFERENCES blobs(hash),
              metadata TEXT NOT NULL DEFAULT '{}',
              status TEXT NOT NULL DEFAULT 'ready',
              page_count INTEGER,
              created_by TEXT,
              created_at BIGINT NOT NULL,
              updated_at BIGINT NOT NULL,
              UNIQUE (organization_id, blob_hash)))",
         "CREATE INDEX media_organization_idx ON media (organization_id)",
         "CREATE INDEX media_kind_idx ON media (organization_id, kind)",

         R"(CREATE TABLE device_media (
              device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
              media_id TEXT NOT NULL REFERENCES media(id) ON DELETE CASCADE,
              name TEXT NOT NULL,
              created_at BIGINT NOT NULL,
              PRIMARY KEY (device_id, name)))",
         "CREATE INDEX device_media_media_idx ON device_media (media_id)",

         R"(CREATE TABLE playlists (
              id TEXT PRIMARY KEY,
              organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
              name TEXT NOT NULL,
              description TEXT NOT NULL DEFAULT '',
              loop_enabled INTEGER NOT NULL DEFAULT 1,
              created_at BIGINT NOT NULL,
              updated_at BIGINT NOT NULL))",
         "CREATE INDEX playlists_organization_idx ON playlists (organization_id)",

         R"(CREATE TABLE playlist_items (
              id TEXT PRIMARY KEY,
              playlist_id TEXT NOT NULL REFERENCES playlists(id) ON DELETE CASCADE,
              sort_order INTEGER NOT NULL,
              media_id TEXT NOT NULL REFERENCES media(id) ON DELETE CASCADE,
              duration_ms BIGINT,
              page INTEGER,
              UNIQUE (playlist_id, sort_order)))",

         R"(CREATE TABLE assignments (
              id TEXT PRIMARY KEY,
              playlist_id TEXT NOT NULL REFERENCES playlists(id) ON DELETE CASCADE,
              device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
              priority INTEGER NOT NULL DEFAULT 0,
              created_at BIGINT NOT NULL,
              UNIQUE (playlist_id, device_id)))",
         "CREATE INDEX assignments_device_idx ON assignments (device_id)",

         R"(CREATE TABLE schedules (
              id TEXT PRIMARY KEY,
              organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
              playlist_id TEXT NOT NULL REFERENCES playlists(id) ON DELETE CASCADE,
              device_id TEXT REFERENCES devices(id) ON DELETE CASCADE,
              days_of_week INTEGER NOT NULL DEFAULT 127,
              start_minute INTEGER NOT NULL DEFAULT 0,
              end_minute INTEGER NOT NULL DEFAULT 1440,
              starts_on TEXT,
              ends_on TEXT,
              priority INTEGER NOT NULL DEFAULT 0,
              active INTEGER NOT NULL DEFAULT 1,
              created_at BIGINT NOT NULL,
              updated_at BIGINT NOT NULL))",
         "CREATE INDEX schedules_organization_idx ON schedules (organization_id)",

         R"(CREATE TABLE jobs (
              id TEXT PRIMARY KEY,
              organization_id TEXT REFERENCES organizations(id) ON DELETE CASCADE,
              kind TEXT NOT NULL,
              payload TEXT NOT NULL DEFAULT '{}',
              status TEXT NOT NULL DEFAULT 'queued',
              progress INTEGER NOT NULL DEFAULT 0,
              attempts INTEGER NOT NULL DEFAULT 0,
              error TEXT,
              claimed_by TEXT,
              claimed_at BIGINT,
              run_after BIGINT NOT NULL,
              created_at BIGINT NOT NULL,
              updated_at BIGINT NOT NULL))",
         "CREATE INDEX jobs_claim_idx ON jobs (status, run_after)",

         R"(CREATE TABLE audit_log (
              id {serial_pk},
              at_ms BIGINT NOT NULL,
              organization_id TEXT,
              actor_kind TEXT NOT NULL,
              actor_id TEXT,
              action TEXT NOT NULL,
              object_type TEXT,
              object_id TEXT,
              address TEXT,
              details TEXT NOT NULL DEFAULT '{}'))",
         "CREATE INDEX audit_log_organization_idx ON audit_log (organization_id, at_ms)",

         R"(CREATE TABLE settings (
              key TEXT PRIMARY KEY,
              value TEXT NOT NULL,
              updated_at BIGINT NOT NULL))",
     }},
    // The superadmin has a home organisation (issue 10): an installation bootstrapped before gets
    // the Default one (slug "default"), when it still exists, for its superadmins without a home.
    {2, "0002_superadmin_home_organization",
     {
         R"(UPDATE users SET organization_id = (SELECT id FROM organizations WHERE slug = 'default')
              WHERE role = 'superadmin' AND organization_id IS NULL
                AND EXISTS (SELECT 1 FROM organizations WHERE slug = 'default'))",
     }},
    // The content pipeline (issue 12): processing progress and error of a media item, and the
    // derived-files profile its pages, thumbnail and rendition were made under. Existing media stay
    // ready (progress 100) with nothing derived; `vcctl`/the API can process them again.
    {3, "0003_media_processing",
     {
         "ALTER TABLE media ADD COLUMN progress INTEGER NOT NULL DEFAULT 100",
         "ALTER TABLE media ADD COLUMN error TEXT",
         "ALTER TABLE media ADD COLUMN derived TEXT",
         "CREATE INDEX jobs_kind_idx ON jobs (kind, status)",
     }},
    // Scheduling (issue 13): device groups, playlists with ordered items, assignments of a playlist
    // to a device or a group under a schedule (JSON, schedule.hpp), a device's default playlist and
    // time zone, emergency overrides. The playlist/assignment/schedule tables of 0001 were never
    // used (nothing wrote them), so they are replaced.
    {4, "0004_scheduling",
     {
         "DROP TABLE schedules",
         "DROP TABLE assignments",
         "DROP TABLE playlist_items",
         "DROP TABLE playlists",
         R"(CREATE TABLE device_groups (
              id TEXT PRIMARY KEY,
              organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
              name TEXT NOT NULL,
              created_at BIGINT NOT NULL,
              updated_at BIGINT NOT NULL,
              UNIQUE (organization_id, name)))",
         R"(CREATE TABLE device_group_members (
              group_id TEXT NOT NULL REFERENCES device_groups(id) ON DELETE CASCADE,
              device_id TEXT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
              created_at BIGINT NOT NULL,
              PRIMARY KEY (group_id, device_id)))",
         "CREATE INDEX device_group_members_device_idx ON device_group_members (device_id)",
         R"(CREATE TABLE playlists (
              id TEXT PRIMARY KEY,
              organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
              name TEXT NOT NULL,
              loop_enabled INTEGER NOT NULL DEFAULT 1,
              shuffle INTEGER NOT NULL DEFAULT 0,
              transition TEXT NOT NULL DEFAULT 'none',
              created_at BIGINT NOT NULL,
              updated_at BIGINT NOT NULL))",
         "CREATE INDEX playlists_organization_idx ON playlists (organization_id)",
         R"(CREATE TABLE playlist_items (
              playlist_id TEXT NOT NULL REFERENCES playlists(id) ON DELETE CASCADE,
              position INTEGER NOT NULL,
              media_id TEXT NOT NULL REFERENCES media(id),
              duration_ms BIGINT,
              PRIMARY KEY (playlist_id, position)))",
         "CREATE INDEX playlist_items_media_idx ON playlist_items (media_id)",
         R"(CREATE TABLE assignments (
              id TEXT PRIMARY KEY,
              organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
              playlist_id TEXT NOT NULL REFERENCES playlists(id) ON DELETE CASCADE,
              device_id TEXT REFERENCES devices(id) ON DELETE CASCADE,
              group_id TEXT REFERENCES device_groups(id) ON DELETE CASCADE,
              priority INTEGER NOT NULL DEFAULT 0,
              schedule TEXT NOT NULL,
              created_at BIGINT NOT NULL,
              updated_at BIGINT NOT NULL))",
         "CREATE INDEX assignments_organization_idx ON assignments (organization_id)",
         "CREATE INDEX assignments_device_idx ON assignments (device_id)",
         "CREATE INDEX assignments_group_idx ON assignments (group_id)",
         R"(CREATE TABLE device_schedule (
              device_id TEXT PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
              default_playlist_id TEXT REFERENCES playlists(id) ON DELETE SET NULL,
              timezone TEXT,
              updated_at BIGINT NOT NULL))",
         R"(CREATE TABLE overrides (
              id TEXT PRIMARY KEY,
              organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
              group_id TEXT REFERENCES device_groups(id) ON DELETE CASCADE,
              media_id TEXT REFERENCES media(id) ON DELETE SET NULL,
              message TEXT NOT NULL DEFAULT '',
              starts_at BIGINT NOT NULL,
              ends_at BIGINT,
              cleared_at BIGINT,
              created_by TEXT,
              created_at BIGINT NOT NULL))",
         "CREATE INDEX overrides_organization_idx ON overrides (organization_id, cleared_at)",
     }},
    {5, "0005_scheduled_state",
     {
         // Whether the schedule engine set the now-playing state (1) or a person did (0).
         "ALTER TABLE device_state ADD COLUMN scheduled INTEGER NOT NULL DEFAULT 0",
     }},
    // Signed webhooks (webhooks.hpp): endpoints an organisation registers for chosen events, and
    // one delivery row per (webhook, event) — its id is the de-duplication id sent to the receiver.
    // The jobs table carries the attempts; these rows are the log the API shows.
    {6, "0006_webhooks",
     {
         R"(CREATE TABLE webhooks (
              id TEXT PRIMARY KEY,
              organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
              url TEXT NOT NULL,
              secret TEXT NOT NULL,
              events TEXT NOT NULL,
              enabled INTEGER NOT NULL DEFAULT 1,
              failure_count INTEGER NOT NULL DEFAULT 0,
              disabled_reason TEXT,
              created_by TEXT,
              created_at BIGINT NOT NULL,
              updated_at BIGINT NOT NULL))",
         "CREATE INDEX webhooks_organization_idx ON webhooks (organization_id, enabled)",
         R"(CREATE TABLE webhook_deliveries (
              id TEXT PRIMARY KEY,
              webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
              organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
              event TEXT NOT NULL,
              payload TEXT NOT NULL,
              status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
              attempts INTEGER NOT NULL DEFAULT 0,
              response_code INTEGER,
              response_snippet TEXT,
              last_error TEXT,
              next_attempt_at BIGINT,
              job_id TEXT,
              created_at BIGINT NOT NULL,
              updated_at BIGINT NOT NULL))",
         "CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, id)",
     }},
    // Device identity (issue 16): DEVICE_CREDENTIALS defaults to `required`, and a device flagged as
    // a legacy (2.x) player may still register by its id alone. Devices whose players already
    // registered by id alone (seen, without a credential) keep working after the upgrade; devices
    // with a credential, or never seen, need their credential.
    {7, "0007_legacy_players",
     {
         "ALTER TABLE devices ADD COLUMN legacy_player INTEGER NOT NULL DEFAULT 0",
         "UPDATE devices SET legacy_player = 1 WHERE credential_hash IS NULL AND last_seen_at IS NOT NULL",
     }},
};

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }

}  // namespace vc::storage
