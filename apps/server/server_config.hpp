// The settings of videocontrol-server and vcctl, from environment variables and command-line flags:
// what the library needs (to_installation_options) and what only the server uses (address, threads,
// proxies, accel-redirect, Engine.IO ping timings, logging). Not part of the library's API.
//
// Every setting has an environment variable (PORT) and a flag (--port VALUE or --port=VALUE); a flag
// wins over the variable. Values are validated here, and each error message names the setting, the
// bad value and what would be accepted, so an operator can fix it without reading code.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "videocontrol/installation.hpp"
#include "videocontrol/log.hpp"
#include "videocontrol/storage.hpp"
#include "videocontrol/result.hpp"

namespace vc {

struct Config {
  std::string host = "0.0.0.0";
  std::uint16_t port = 3000;                  // 0 = any free port (the bound port is logged)
  std::string data_dir = "./data";
  std::string database_url;                   // default: sqlite://<data_dir>/videocontrol.db
  DatabaseUrl database;                       // parsed database_url
  std::string content_dir;                    // default: <data_dir>/content
  std::string redis_url;                      // empty = no Redis
  bool redis_enabled = false;
  LogLevel log_level = LogLevel::info;
  LogFormat log_format = LogFormat::text;
  std::uint64_t max_body_bytes = 1024 * 1024; // default request body cap
  unsigned worker_threads = 4;                // blocking work (database, disk)
  unsigned network_threads = 1;               // threads running the io_context
  unsigned db_pool_size = 4;
  std::uint32_t slow_query_ms = 250;          // statements slower than this are counted and logged
  bool metrics = true;                        // request and statement measurement (METRICS)
  std::uint32_t drain_ms = 0;                 // SIGTERM: not ready but serving this long, then shut down
  std::uint32_t presence_ttl_ms = 20'000;     // an instance's claim on its players without a refresh
  std::uint32_t shutdown_timeout_ms = 10'000; // graceful shutdown deadline
  std::string admin_password;                 // first run only; generated when empty
  std::string jwt_secret;                     // empty: generated once and kept in the database
  std::vector<std::string> trusted_proxies;   // addresses whose X-Forwarded-For is believed
  std::int64_t rate_limit_per_minute = 600;   // API requests per key or user
  std::int64_t auth_cache_ttl_ms = 5000;      // authenticated credentials kept in memory; 0 = off
  std::int64_t login_attempts = 5;
  unsigned login_hash_concurrency = 0;          // password hashes at once; 0 = half the cores
  std::uint32_t password_hash_ops = 2;          // argon2id passes (vc::PasswordHashCost)
  std::uint32_t password_hash_memory_kib = 65'536;  // argon2id memory
  std::uint32_t audit_retention_days = 365;     // 0 = keep the audit log forever
  std::uint64_t max_upload_bytes = 5ull << 30;  // per uploaded file
  std::size_t cache_bytes = 64u << 20;          // in-process cache budget
  std::string device_credentials = "required";  // off, optional, required
  std::int64_t player_requests_per_minute = 3000;  // per client address, 0 = unlimited
  std::int64_t device_auth_failures = 30;          // per client address in 5 minutes, 0 = unlimited
  std::string accel_redirect;                   // NGINX internal location for media bytes, e.g. /_vc_blobs/
  std::uint32_t ping_interval_ms = 25'000;      // Engine.IO: server ping every … (2.x players expect 25000)
  std::uint32_t ping_timeout_ms = 20'000;       // Engine.IO: close when the pong is this late
  std::uint32_t player_timeout_ms = 30'000;     // a player without register/ping this long is offline
  std::uint32_t realtime_connect_timeout_ms = 10'000;   // no Socket.IO CONNECT this long → closed (0 = never)
  std::uint32_t realtime_identify_timeout_ms = 30'000;  // neither player nor panel this long → closed (0 = never)
  std::uint64_t realtime_max_queued_bytes = 4u << 20;   // unsent realtime bytes per connection before it is dropped
  unsigned max_connections_per_address = 256;           // 0 = no cap; TRUSTED_PROXIES are exempt
  bool server_header_version = false;                   // Server: videocontrol/<version> instead of videocontrol
  // The content pipeline (pipeline.hpp).
  std::string schedule_manual_hold = "boundary";  // boundary | resume
  int schedule_item_seconds = 10;
  int processing_workers = -1;                  // -1 = auto (cores / 2), 0 = this instance converts nothing
  int page_width = 1920, page_height = 1080;    // PAGE_SIZE
  std::uint32_t job_lease_ms = 30'000;
  bool optimize_videos = true;
  int video_max_height = 1080;
  std::uint32_t video_max_bitrate_kbps = 8000;
  std::uint32_t pdf_timeout_s = 3600, document_timeout_s = 900, media_timeout_s = 120, transcode_timeout_s = 3600;
  std::int64_t archive_max_entries = 10'000;
  std::uint64_t archive_max_bytes = 4ull << 30;
  // Webhooks (webhooks.hpp).
  std::vector<std::string> webhook_allow_hosts;  // hosts and CIDRs reachable although private/loopback
  int webhook_workers = 2;                       // 0 = this instance delivers nothing (it still fans out)
  std::uint32_t webhook_backoff_ms = 30'000;     // first retry after this, doubled per attempt
  std::uint32_t webhook_backoff_max_ms = 3'600'000;
  int webhook_max_attempts = 8;
  int webhook_disable_after = 5;
  std::uint32_t webhook_connect_timeout_ms = 5'000, webhook_read_timeout_ms = 10'000;
  // Media bytes: "disk" (CONTENT_DIR) or "s3" (an S3-compatible bucket; blob_store.hpp).
  std::string blob_store = "disk";
  std::string s3_endpoint, s3_bucket, s3_region = "us-east-1", s3_access_key_id, s3_secret_access_key;
  std::string s3_prefix = "blobs/";
  bool s3_virtual_hosted = false;
  bool s3_redirect = true;                      // S3_DELIVERY: redirect | proxy
  std::uint32_t s3_url_ttl_s = 300;
  std::uint64_t s3_part_bytes = 8ull << 20;
  std::uint64_t s3_cache_bytes = 1ull << 30;
  std::string s3_ca_file;
  std::string config_file;                      // the file settings were read from; empty = none
  std::vector<std::string> warnings;            // for the log: unknown names in the file
};

// One NAME=VALUE line of a configuration file.
struct EnvFileEntry {
  std::string name, value;
  int line = 0;
};

// The .env format: NAME=VALUE per line; blank lines and lines starting with '#' are skipped; an
// optional `export ` prefix; a value in double quotes takes \\ \" \n \$ escapes, one in single quotes
// is literal; an unquoted value is the rest of the line without surrounding blanks ('#' included).
// Errors: invalid, naming the line.
Result<std::vector<EnvFileEntry>> parse_env_file(std::string_view text);

// Looks up an environment variable; returns nullopt when unset. Injectable for tests.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
EnvLookup process_env();

// Reads every setting from a configuration file (--config FILE in args, else CONFIG_FILE in env,
// else ./.env when it exists), then from `env`, then from `args` (argv without the program name):
// a flag beats the environment, which beats the file. Unknown flags and bad values are errors
// naming the setting (and the file); unknown names in the file are warnings.
Result<Config> load_config(const EnvLookup& env, const std::vector<std::string>& args);

// One line per setting, for --help.
std::string config_help();

// What the library takes from the settings.
InstallationOptions to_installation_options(const Config& config);

}  // namespace vc
