#include "server_config.hpp"

#include "videocontrol/password.hpp"
#include "videocontrol/webhooks.hpp"

#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>

#include <fmt/format.h>

namespace vc {
namespace {

Error bad(std::string_view setting, std::string_view value, std::string_view expected) {
  return make_error(ErrorCode::invalid, fmt::format("{}: {}, got '{}'", setting, expected, value));
}

template <class N>
Result<N> parse_uint(std::string_view setting, std::string_view text, N min, N max, std::string_view what) {
  std::uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc{} || ptr != text.data() + text.size() || v < static_cast<std::uint64_t>(min) || v > static_cast<std::uint64_t>(max))
    return bad(setting, text, fmt::format("must be {} between {} and {}", what, min, max));
  return static_cast<N>(v);
}

Result<bool> parse_bool(std::string_view setting, std::string_view text) {
  if (text == "1" || text == "true" || text == "yes" || text == "on") return true;
  if (text == "0" || text == "false" || text == "no" || text == "off") return false;
  return bad(setting, text, "must be true or false");
}

struct Setting {
  std::string_view env;
  std::string_view flag;
  std::string_view help;
  Result<void> (*apply)(Config&, std::string_view name, std::string_view value);
};

Result<void> set_string(std::string& field, std::string_view name, std::string_view value) {
  if (value.empty()) return bad(name, value, "must not be empty");
  field = std::string(value);
  return {};
}

const Setting kSettings[] = {
    {"HOST", "host", "address to listen on (default 0.0.0.0)",
     [](Config& c, std::string_view n, std::string_view v) { return set_string(c.host, n, v); }},
    {"PORT", "port", "TCP port for HTTP, media and the realtime channel (default 3000; 0 = any free port)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_uint<std::uint16_t>(n, v, 0, 65535, "an integer");
       if (!r) return std::move(r).error();
       c.port = *r;
       return {};
     }},
    {"DATA_DIR", "data-dir", "folder for the embedded database and content (default ./data)",
     [](Config& c, std::string_view n, std::string_view v) { return set_string(c.data_dir, n, v); }},
    {"DATABASE_URL", "database-url",
     "sqlite:///abs/path, sqlite://rel/path or postgresql://user:pass@host:port/db (default sqlite://DATA_DIR/videocontrol.db)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_database_url(v);
       if (!r) return make_error(ErrorCode::invalid, fmt::format("{}: {}", n, r.error().message));
       c.database_url = std::string(v);
       c.database = *r;
       return {};
     }},
    {"CONTENT_DIR", "content-dir", "folder for media bytes (default DATA_DIR/content)",
     [](Config& c, std::string_view n, std::string_view v) { return set_string(c.content_dir, n, v); }},
    {"REDIS_URL", "redis-url", "redis://host:port[/db]; enables the Redis backends",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       if (!v.starts_with("redis://") || v.size() <= 8) return bad(n, v, "must look like redis://host:port");
       c.redis_url = std::string(v);
       c.redis_enabled = true;
       return {};
     }},
    {"REDIS_ENABLED", "redis-enabled", "true/false; false ignores REDIS_URL (default: true when REDIS_URL is set)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_bool(n, v);
       if (!r) return std::move(r).error();
       c.redis_enabled = *r;
       return {};
     }},
    {"LOG_LEVEL", "log-level", "trace, debug, info, warn, error or off (default info)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto l = parse_log_level(v);
       if (!l) return bad(n, v, "must be one of trace, debug, info, warn, error, off");
       c.log_level = *l;
       return {};
     }},
    {"LOG_FORMAT", "log-format", "text or json (default text)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       if (v == "text") c.log_format = LogFormat::text;
       else if (v == "json") c.log_format = LogFormat::json;
       else return bad(n, v, "must be text or json");
       return {};
     }},
    {"MAX_BODY_BYTES", "max-body-bytes", "largest request body accepted by non-upload routes (default 1048576)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_uint<std::uint64_t>(n, v, 1, std::uint64_t{1} << 40, "a byte count");
       if (!r) return std::move(r).error();
       c.max_body_bytes = *r;
       return {};
     }},
    {"WORKER_THREADS", "worker-threads", "threads for blocking work: database, disk (default 4)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_uint<unsigned>(n, v, 1, 256, "an integer");
       if (!r) return std::move(r).error();
       c.worker_threads = *r;
       return {};
     }},
    {"NETWORK_THREADS", "network-threads", "threads running the network event loop (default 1)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_uint<unsigned>(n, v, 1, 64, "an integer");
       if (!r) return std::move(r).error();
       c.network_threads = *r;
       return {};
     }},
    {"METRICS", "metrics", "true/false: measure every request and database statement for /metrics (default true; false serves the rest of /metrics)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_bool(n, v);
       if (!r) return std::move(r).error();
       c.metrics = *r;
       return {};
     }},
    {"DRAIN_MS", "drain-ms", "on SIGTERM: report not ready and keep serving this long before shutting down, so a load balancer moves traffic first (default 0)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_uint<std::uint32_t>(n, v, 0, 600'000, "milliseconds");
       if (!r) return std::move(r).error();
       c.drain_ms = *r;
       return {};
     }},
    {"PRESENCE_TTL_MS", "presence-ttl-ms", "how long an instance's claim on its players lasts without a refresh; a dead instance's players are reported offline by another instance after it (default 20000)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_uint<std::uint32_t>(n, v, 10'000, 3'600'000, "milliseconds");
       if (!r) return std::move(r).error();
       c.presence_ttl_ms = *r;
       return {};
     }},
    {"SLOW_QUERY_MS", "slow-query-ms", "a database statement slower than this is counted in /metrics and logged at WARN (default 250)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_uint<std::uint32_t>(n, v, 1, 3'600'000, "milliseconds");
       if (!r) return std::move(r).error();
       c.slow_query_ms = *r;
       return {};
     }},
    {"DB_POOL_SIZE", "db-pool-size", "database connections in the pool (default 4)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_uint<unsigned>(n, v, 1, 512, "an integer");
       if (!r) return std::move(r).error();
       c.db_pool_size = *r;
       return {};
     }},
    {"SHUTDOWN_TIMEOUT_MS", "shutdown-timeout-ms", "how long in-flight requests may finish after SIGTERM (default 10000)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_uint<std::uint32_t>(n, v, 0, 3'600'000, "milliseconds");
       if (!r) return std::move(r).error();
       c.shutdown_timeout_ms = *r;
       return {};
     }},
    {"ADMIN_PASSWORD", "admin-password", "password of the superadmin created on first run (generated when unset)",
     [](Config& c, std::string_view, std::string_view v) -> Result<void> {
       c.admin_password = std::string(v);
       return {};
     }},
    {"JWT_SECRET", "jwt-secret", "key signing access tokens, 32+ characters (default: generated once, stored in the database)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       if (v.size() < 32) return bad(n, std::string(v.size(), '*'), "must be at least 32 characters");
       c.jwt_secret = std::string(v);
       return {};
     }},
    {"TRUSTED_PROXIES", "trusted-proxies", "comma-separated proxy IP addresses whose X-Forwarded-For is trusted (default none)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       c.trusted_proxies.clear();
       while (!v.empty()) {
         auto comma = v.find(',');
         auto item = v.substr(0, comma);
         while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
         while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
         if (item.empty() || item.find_first_not_of("0123456789abcdefABCDEF.:") != std::string_view::npos)
           return bad(n, item, "must be a comma-separated list of IP addresses");
         c.trusted_proxies.emplace_back(item);
         v = comma == std::string_view::npos ? std::string_view{} : v.substr(comma + 1);
       }
       return {};
     }},
    {"RATE_LIMIT_PER_MINUTE", "rate-limit-per-minute", "API requests per minute per API key or user (default 600)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_uint<std::int64_t>(n, v, 1, 1'000'000, "an integer");
       if (!r) return std::move(r).error();
       c.rate_limit_per_minute = *r;
       return {};
     }},
    {"AUTH_CACHE_TTL_MS", "auth-cache-ttl-ms", "milliseconds an authenticated API key or token is trusted without a database read; revocations reach every instance at once through the event bus, this bounds a lost one (default 5000; 0 = off)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_uint<std::int64_t>(n, v, 0, 600'000, "milliseconds (0 … 600000)");
       if (!r) return std::move(r).error();
       c.auth_cache_ttl_ms = *r;
       return {};
     }},
    {"LOGIN_ATTEMPTS", "login-attempts", "failed sign-ins allowed per account and per address in 15 minutes (default 5)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_uint<std::int64_t>(n, v, 1, 1'000'000, "an integer");
       if (!r) return std::move(r).error();
       c.login_attempts = *r;
       return {};
     }},
    {"LOGIN_HASH_CONCURRENCY", "login-hash-concurrency", "password hashes (sign-ins, password changes) at once; others wait up to 10 s; a second sign-in of an account meanwhile gets 429 (default 0 = half the cores)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_uint<unsigned>(n, v, 0, 256, "a count (0 = half the cores)");
       if (!r) return std::move(r).error();
       c.login_hash_concurrency = *r;
       return {};
     }},
    {"PASSWORD_HASH_OPS", "password-hash-ops", "Argon2id passes over memory for new password hashes (default 2; 1 … 16); existing passwords are re-hashed at their next sign-in",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_uint<std::uint32_t>(n, v, 1, 16, "passes");
       if (!r) return std::move(r).error();
       c.password_hash_ops = *r;
       return {};
     }},
    {"PASSWORD_HASH_MEMORY_KIB", "password-hash-memory-kib", "Argon2id memory per password hash in KiB (default 65536 = 64 MiB; 8 … 4194304); below the defaults start-up warns",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_uint<std::uint32_t>(n, v, 8, 4u * 1024 * 1024, "KiB");
       if (!r) return std::move(r).error();
       c.password_hash_memory_kib = *r;
       return {};
     }},
    {"AUDIT_RETENTION_DAYS", "audit-retention-days", "audit entries older than this many days are deleted (hourly); 0 = kept forever (default 365)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_uint<std::uint32_t>(n, v, 0, 36'500, "days (0 = forever)");
       if (!r) return std::move(r).error();
       c.audit_retention_days = *r;
       return {};
     }},
    {"MAX_UPLOAD_BYTES", "max-upload-bytes", "largest file accepted by an upload (default 5368709120 = 5 GiB)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_uint<std::uint64_t>(n, v, 1, std::uint64_t{1} << 50, "a byte count");
       if (!r) return std::move(r).error();
       c.max_upload_bytes = *r;
       return {};
     }},
    {"CACHE_BYTES", "cache-bytes", "memory for the in-process cache (default 67108864 = 64 MiB)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_uint<std::uint64_t>(n, v, 0, std::uint64_t{1} << 40, "a byte count");
       if (!r) return std::move(r).error();
       c.cache_bytes = static_cast<std::size_t>(*r);
       return {};
     }},
    {"DEVICE_CREDENTIALS", "device-credentials", "required, optional or off: whether players must present their device credential (default required: devices flagged as legacy players register by id alone)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       if (v != "off" && v != "optional" && v != "required") return bad(n, v, "must be off, optional or required");
       c.device_credentials = std::string(v);
       return {};
     }},
    {"PLAYER_REQUESTS_PER_MINUTE", "player-requests-per-minute", "player routes and registrations allowed per client address per minute (default 3000, 0 = unlimited)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_uint<std::int64_t>(n, v, 0, 100'000'000, "an integer");
       if (!r) return std::move(r).error();
       c.player_requests_per_minute = *r;
       return {};
     }},
    {"DEVICE_AUTH_FAILURES", "device-auth-failures", "failed device authentications allowed per client address in 5 minutes (default 30, 0 = unlimited)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_uint<std::int64_t>(n, v, 0, 100'000'000, "an integer");
       if (!r) return std::move(r).error();
       c.device_auth_failures = *r;
       return {};
     }},
    {"PING_INTERVAL_MS", "ping-interval-ms", "realtime: how often the server pings each connection (default 25000, as 2.x)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_uint<std::uint32_t>(n, v, 100, 3'600'000, "milliseconds");
       if (!r) return std::move(r).error();
       c.ping_interval_ms = *r;
       return {};
     }},
    {"PING_TIMEOUT_MS", "ping-timeout-ms", "realtime: a connection whose pong is this late is closed (default 20000, as 2.x)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_uint<std::uint32_t>(n, v, 100, 3'600'000, "milliseconds");
       if (!r) return std::move(r).error();
       c.ping_timeout_ms = *r;
       return {};
     }},
    {"PLAYER_TIMEOUT_MS", "player-timeout-ms", "realtime: a registered player that sent neither player/register nor player/ping for this long is offline (default 30000, as 2.x)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_uint<std::uint32_t>(n, v, 1000, 3'600'000, "milliseconds");
       if (!r) return std::move(r).error();
       c.player_timeout_ms = *r;
       return {};
     }},
    {"REALTIME_CONNECT_TIMEOUT_MS", "realtime-connect-timeout-ms", "realtime: a connection that has not sent the Socket.IO CONNECT this long after opening is closed (default 10000; 0 = never)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_uint<std::uint32_t>(n, v, 0, 3'600'000, "milliseconds");
       if (!r) return std::move(r).error();
       c.realtime_connect_timeout_ms = *r;
       return {};
     }},
    {"REALTIME_IDENTIFY_TIMEOUT_MS", "realtime-identify-timeout-ms", "realtime: a connection that is neither a registered player (player/register) nor an authenticated control panel (a token at CONNECT) this long after opening is closed (default 30000; 0 = never)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_uint<std::uint32_t>(n, v, 0, 3'600'000, "milliseconds");
       if (!r) return std::move(r).error();
       c.realtime_identify_timeout_ms = *r;
       return {};
     }},
    {"REALTIME_MAX_QUEUED_BYTES", "realtime-max-queued-bytes", "realtime: a connection (WebSocket or long-polling) whose unsent packets exceed this many bytes is dropped as too slow (default 4194304)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_uint<std::uint64_t>(n, v, 65'536, std::uint64_t{1} << 32, "a byte count");
       if (!r) return std::move(r).error();
       c.realtime_max_queued_bytes = *r;
       return {};
     }},
    {"MAX_CONNECTIONS_PER_ADDRESS", "max-connections-per-address", "connections open at once from one client address (HTTP and WebSocket); more are closed when accepted; TRUSTED_PROXIES are exempt (default 256; 0 = no cap)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_uint<unsigned>(n, v, 0, 1'000'000, "an integer");
       if (!r) return std::move(r).error();
       c.max_connections_per_address = *r;
       return {};
     }},
    {"SERVER_HEADER_VERSION", "server-header-version", "true/false: send the version in the Server header (videocontrol/<version>) instead of just videocontrol (default false)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_bool(n, v);
       if (!r) return std::move(r).error();
       c.server_header_version = *r;
       return {};
     }},
    {"SCHEDULE_MANUAL_HOLD", "schedule-manual-hold", "scheduling: manual control holds a device's schedule until the next timeline boundary (boundary) or until 'resume schedule' (resume) (default boundary)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       if (!parse_manual_hold(v)) return bad(n, v, "must be boundary or resume");
       c.schedule_manual_hold = std::string(v);
       return {};
     }},
    {"SCHEDULE_ITEM_SECONDS", "schedule-item-seconds", "scheduling: how long a playlist item without a duration shows when it has no length of its own: an image, each page of a document (default 10)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_uint<unsigned>(n, v, 1, 86400, "seconds");
       if (!r) return std::move(r).error();
       c.schedule_item_seconds = static_cast<int>(*r);
       return {};
     }},
    {"PROCESSING_WORKERS", "processing-workers", "content pipeline: conversions at once in this instance: auto (cores / 2) or 0..64; 0 = none here (default auto)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       if (v == "auto") {
         c.processing_workers = -1;
         return {};
       }
       auto r = parse_uint<unsigned>(n, v, 0, 64, "auto or an integer");
       if (!r) return std::move(r).error();
       c.processing_workers = static_cast<int>(*r);
       return {};
     }},
    {"PAGE_SIZE", "page-size", "content pipeline: the box document pages are fitted into, keeping their aspect ratio (default 1920x1080)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       const auto x = v.find('x');
       if (x == std::string_view::npos) return bad(n, v, "must be WIDTHxHEIGHT, like 1920x1080");
       auto w = parse_uint<unsigned>(n, v.substr(0, x), 16, 8192, "WIDTHxHEIGHT, each 16..8192");
       if (!w) return std::move(w).error();
       auto h = parse_uint<unsigned>(n, v.substr(x + 1), 16, 8192, "WIDTHxHEIGHT, each 16..8192");
       if (!h) return std::move(h).error();
       c.page_width = static_cast<int>(*w);
       c.page_height = static_cast<int>(*h);
       return {};
     }},
    {"JOB_LEASE_MS", "job-lease-ms", "content pipeline: a job whose worker stopped renewing its lease this long is taken over (default 30000)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_uint<std::uint32_t>(n, v, 500, 3'600'000, "milliseconds");
       if (!r) return std::move(r).error();
       c.job_lease_ms = *r;
       return {};
     }},
    {"OPTIMIZE_VIDEOS", "optimize-videos", "content pipeline: true/false: make H.264/AAC renditions of videos over the profile (default true)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_bool(n, v);
       if (!r) return std::move(r).error();
       c.optimize_videos = *r;
       return {};
     }},
    {"VIDEO_MAX_HEIGHT", "video-max-height", "content pipeline: videos whose short side is above this get a rendition at it (default 1080)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_uint<unsigned>(n, v, 144, 4320, "pixels");
       if (!r) return std::move(r).error();
       c.video_max_height = static_cast<int>(*r);
       return {};
     }},
    {"VIDEO_MAX_BITRATE_KBPS", "video-max-bitrate-kbps", "content pipeline: videos above this bitrate get a rendition (default 8000; 0 = any)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_uint<std::uint32_t>(n, v, 0, 1'000'000, "kbit/s");
       if (!r) return std::move(r).error();
       c.video_max_bitrate_kbps = *r;
       return {};
     }},
    {"PDF_TIMEOUT_S", "pdf-timeout-s", "content pipeline: time limit of a PDF's pages (default 3600)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_uint<std::uint32_t>(n, v, 1, 86'400, "seconds");
       if (!r) return std::move(r).error();
       c.pdf_timeout_s = *r;
       return {};
     }},
    {"DOCUMENT_TIMEOUT_S", "document-timeout-s", "content pipeline: time limit of a presentation or document (LibreOffice, then pages; default 900)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_uint<std::uint32_t>(n, v, 1, 86'400, "seconds");
       if (!r) return std::move(r).error();
       c.document_timeout_s = *r;
       return {};
     }},
    {"MEDIA_TIMEOUT_S", "media-timeout-s", "content pipeline: time limit of probing an audio file or image and its thumbnail (default 120)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_uint<std::uint32_t>(n, v, 1, 86'400, "seconds");
       if (!r) return std::move(r).error();
       c.media_timeout_s = *r;
       return {};
     }},
    {"TRANSCODE_TIMEOUT_S", "transcode-timeout-s", "content pipeline: time limit of a video: probe, thumbnail and rendition (default 3600)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_uint<std::uint32_t>(n, v, 1, 86'400, "seconds");
       if (!r) return std::move(r).error();
       c.transcode_timeout_s = *r;
       return {};
     }},
    {"ARCHIVE_MAX_ENTRIES", "archive-max-entries", "content pipeline: a ZIP folder with more entries is refused (default 10000)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_uint<std::uint32_t>(n, v, 1, 1'000'000, "an integer");
       if (!r) return std::move(r).error();
       c.archive_max_entries = *r;
       return {};
     }},
    {"ARCHIVE_MAX_BYTES", "archive-max-bytes", "content pipeline: a ZIP folder expanding to more is refused (default 4294967296)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_uint<std::uint64_t>(n, v, 1024, std::uint64_t{1} << 44, "a byte count");
       if (!r) return std::move(r).error();
       c.archive_max_bytes = *r;
       return {};
     }},
    {"WEBHOOK_ALLOW_HOSTS", "webhook-allow-hosts", "webhooks: comma-separated host names and CIDRs (10.0.0.0/8, ::1/128) webhooks may reach although private or loopback (default none)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto parsed = HostAllowList::parse_text(v);
       if (!parsed) return bad(n, v, "must be a comma-separated list of host names, addresses and CIDRs");
       c.webhook_allow_hosts.clear();
       std::string cur;
       for (char ch : v) {
         if (ch == ',' || ch == ' ') {
           if (!cur.empty()) c.webhook_allow_hosts.push_back(cur);
           cur.clear();
         } else {
           cur += ch;
         }
       }
       if (!cur.empty()) c.webhook_allow_hosts.push_back(cur);
       return {};
     }},
    {"WEBHOOK_WORKERS", "webhook-workers", "webhooks: deliveries at once from this instance, 0..64; 0 = none here (default 2)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_uint<unsigned>(n, v, 0, 64, "an integer");
       if (!r) return std::move(r).error();
       c.webhook_workers = static_cast<int>(*r);
       return {};
     }},
    {"WEBHOOK_BACKOFF_MS", "webhook-backoff-ms", "webhooks: wait before the first retry, doubled per attempt (default 30000)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_uint<std::uint32_t>(n, v, 10, 86'400'000, "milliseconds");
       if (!r) return std::move(r).error();
       c.webhook_backoff_ms = *r;
       return {};
     }},
    {"WEBHOOK_BACKOFF_MAX_MS", "webhook-backoff-max-ms", "webhooks: the longest wait between attempts (default 3600000)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_uint<std::uint32_t>(n, v, 10, 86'400'000, "milliseconds");
       if (!r) return std::move(r).error();
       c.webhook_backoff_max_ms = *r;
       return {};
     }},
    {"WEBHOOK_MAX_ATTEMPTS", "webhook-max-attempts", "webhooks: attempts per delivery before it fails (default 8)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_uint<unsigned>(n, v, 1, 50, "an integer");
       if (!r) return std::move(r).error();
       c.webhook_max_attempts = static_cast<int>(*r);
       return {};
     }},
    {"WEBHOOK_DISABLE_AFTER", "webhook-disable-after", "webhooks: a webhook is disabled after this many failed deliveries in a row (default 5)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_uint<unsigned>(n, v, 1, 10'000, "an integer");
       if (!r) return std::move(r).error();
       c.webhook_disable_after = static_cast<int>(*r);
       return {};
     }},
    {"WEBHOOK_CONNECT_TIMEOUT_MS", "webhook-connect-timeout-ms", "webhooks: connect time limit per attempt (default 5000)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_uint<std::uint32_t>(n, v, 100, 120'000, "milliseconds");
       if (!r) return std::move(r).error();
       c.webhook_connect_timeout_ms = *r;
       return {};
     }},
    {"WEBHOOK_READ_TIMEOUT_MS", "webhook-read-timeout-ms", "webhooks: time limit for sending and for the answer per attempt (default 10000)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_uint<std::uint32_t>(n, v, 100, 300'000, "milliseconds");
       if (!r) return std::move(r).error();
       c.webhook_read_timeout_ms = *r;
       return {};
     }},
    {"BLOB_STORE", "blob-store", "where media bytes live: disk (CONTENT_DIR) or s3 (an S3-compatible bucket, the S3_* settings) (default disk)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       if (v != "disk" && v != "s3") return bad(n, v, "must be disk or s3");
       c.blob_store = std::string(v);
       return {};
     }},
    {"S3_ENDPOINT", "s3-endpoint", "object store: http(s)://host[:port] (e.g. https://s3.eu-central-1.amazonaws.com, https://<account>.r2.cloudflarestorage.com)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       if (!v.starts_with("http://") && !v.starts_with("https://")) return bad(n, v, "must start with http:// or https://");
       c.s3_endpoint = std::string(v);
       return {};
     }},
    {"S3_BUCKET", "s3-bucket", "object store: the bucket's name",
     [](Config& c, std::string_view, std::string_view v) -> Result<void> {
       c.s3_bucket = std::string(v);
       return {};
     }},
    {"S3_REGION", "s3-region", "object store: the region requests are signed for (default us-east-1; R2: auto)",
     [](Config& c, std::string_view, std::string_view v) -> Result<void> {
       c.s3_region = std::string(v);
       return {};
     }},
    {"S3_ACCESS_KEY_ID", "s3-access-key-id", "object store: access key id",
     [](Config& c, std::string_view, std::string_view v) -> Result<void> {
       c.s3_access_key_id = std::string(v);
       return {};
     }},
    {"S3_SECRET_ACCESS_KEY", "s3-secret-access-key", "object store: secret access key (prefer the configuration file or environment to a flag)",
     [](Config& c, std::string_view, std::string_view v) -> Result<void> {
       c.s3_secret_access_key = std::string(v);
       return {};
     }},
    {"S3_PREFIX", "s3-prefix", "object store: key prefix inside the bucket, ending in '/' (default blobs/)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       if (!v.empty() && (!v.ends_with("/") || v.starts_with("/"))) return bad(n, v, "must end in '/' and not start with it, like blobs/");
       c.s3_prefix = std::string(v);
       return {};
     }},
    {"S3_ADDRESSING", "s3-addressing", "object store: path (endpoint/bucket/key) or virtual (bucket.endpoint/key) (default path)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       if (v != "path" && v != "virtual") return bad(n, v, "must be path or virtual");
       c.s3_virtual_hosted = v == "virtual";
       return {};
     }},
    {"S3_DELIVERY", "s3-delivery", "object store: redirect (players and downloads fetch pre-signed URLs from the store) or proxy (bytes pass through this server) (default redirect)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       if (v != "redirect" && v != "proxy") return bad(n, v, "must be redirect or proxy");
       c.s3_redirect = v == "redirect";
       return {};
     }},
    {"S3_URL_TTL_S", "s3-url-ttl-s", "object store: how long a pre-signed URL stays valid, in seconds (default 300)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_uint<std::uint32_t>(n, v, 1, 7 * 24 * 3600, "seconds (1 .. 604800)");
       if (!r) return std::move(r).error();
       c.s3_url_ttl_s = *r;
       return {};
     }},
    {"S3_PART_BYTES", "s3-part-bytes", "object store: multipart upload part size, the memory an upload uses (default 8388608 = 8 MiB; 5 MiB .. 5 GiB)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_uint<std::uint64_t>(n, v, 5ull << 20, 5ull << 30, "a byte count (5 MiB .. 5 GiB)");
       if (!r) return std::move(r).error();
       c.s3_part_bytes = *r;
       return {};
     }},
    {"S3_CACHE_BYTES", "s3-cache-bytes", "object store: disk for the local copy of objects under CONTENT_DIR/s3 (processing, proxied downloads) (default 1073741824 = 1 GiB)",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       auto r = parse_uint<std::uint64_t>(n, v, 0, std::uint64_t{1} << 50, "a byte count");
       if (!r) return std::move(r).error();
       c.s3_cache_bytes = *r;
       return {};
     }},
    {"S3_CA_FILE", "s3-ca-file", "object store: a PEM file of extra trusted certificates for an https endpoint",
     [](Config& c, std::string_view, std::string_view v) -> Result<void> {
       c.s3_ca_file = std::string(v);
       return {};
     }},
    {"ACCEL_REDIRECT", "accel-redirect", "behind NGINX: internal location (e.g. /_vc_blobs/) aliasing CONTENT_DIR/blobs/; media bytes are then sent by NGINX",
     [](Config& c, std::string_view n, std::string_view v) -> Result<void> {
       if (!v.starts_with("/") || !v.ends_with("/") || v.find("..") != std::string_view::npos)
         return bad(n, v, "must be a location path starting and ending with '/', like /_vc_blobs/");
       c.accel_redirect = std::string(v);
       return {};
     }},
};

const Setting* find_flag(std::string_view flag) {
  for (const auto& s : kSettings)
    if (s.flag == flag) return &s;
  return nullptr;
}

}  // namespace

EnvLookup process_env() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

Result<std::vector<EnvFileEntry>> parse_env_file(std::string_view text) {
  std::vector<EnvFileEntry> out;
  int line_no = 0;
  auto fail = [&](std::string_view why) { return make_error(ErrorCode::invalid, fmt::format("line {}: {}", line_no, why)); };
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (!text.empty()) {
    ++line_no;
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    while (!line.empty() && is_space(line.front())) line.remove_prefix(1);
    while (!line.empty() && is_space(line.back())) line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    if (line.starts_with("export ") || line.starts_with("export\t")) {
      line.remove_prefix(7);
      while (!line.empty() && is_space(line.front())) line.remove_prefix(1);
    }
    auto eq = line.find('=');
    if (eq == std::string_view::npos) return fail("expected NAME=VALUE");
    std::string_view name = line.substr(0, eq);
    while (!name.empty() && is_space(name.back())) name.remove_suffix(1);
    if (name.empty()) return fail("a setting needs a name before '='");
    for (std::size_t i = 0; i < name.size(); ++i) {
      const char c = name[i];
      const bool ok = c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (i > 0 && c >= '0' && c <= '9');
      if (!ok) return fail("a setting's name is letters, digits and '_', not starting with a digit");
    }
    std::string_view raw = line.substr(eq + 1);
    while (!raw.empty() && is_space(raw.front())) raw.remove_prefix(1);
    std::string value;
    if (!raw.empty() && (raw.front() == '"' || raw.front() == '\'')) {
      const char quote = raw.front();
      std::size_t i = 1;
      bool closed = false;
      for (; i < raw.size(); ++i) {
        const char c = raw[i];
        if (c == quote) {
          closed = true;
          break;
        }
        if (quote == '"' && c == '\\' && i + 1 < raw.size()) {
          const char e = raw[++i];
          if (e == 'n') value.push_back('\n');
          else if (e == '"' || e == '\\' || e == '$' || e == '`') value.push_back(e);
          else {
            value.push_back('\\');
            value.push_back(e);
          }
          continue;
        }
        value.push_back(c);
      }
      if (!closed) return fail(fmt::format("{} has no closing {} (values do not continue on the next line)", name, quote));
      std::string_view rest = raw.substr(i + 1);
      while (!rest.empty() && is_space(rest.front())) rest.remove_prefix(1);
      if (!rest.empty() && rest.front() != '#') return fail(fmt::format("{}: text after the closing quote", name));
    } else {
      value = std::string(raw);  // as written: '#' is part of an unquoted value (passwords)
    }
    if (value.find('\0') != std::string::npos) return fail(fmt::format("{}: the value holds a NUL byte", name));
    out.push_back({std::string(name), std::move(value), line_no});
  }
  return out;
}

Result<Config> load_config(const EnvLookup& env, const std::vector<std::string>& args) {
  Config c;
  // The file first (--config FILE, else CONFIG_FILE, else ./.env when present); the environment
  // overrides it and flags override both.
  std::string file;
  bool explicit_file = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    if (a == "--config") {
      if (i + 1 >= args.size()) return make_error(ErrorCode::invalid, "--config: needs a file name");
      file = args[i + 1];
      explicit_file = true;
    } else if (a.starts_with("--config=")) {
      file = std::string(a.substr(9));
      explicit_file = true;
    }
  }
  if (explicit_file && file.empty()) return make_error(ErrorCode::invalid, "--config: needs a file name");
  if (!explicit_file)
    if (auto v = env("CONFIG_FILE"); v && !v->empty()) {
      file = *v;
      explicit_file = true;
    }
  if (!explicit_file) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(".env", ec)) file = ".env";
  }
  std::map<std::string, std::string, std::less<>> from_file;
  if (!file.empty()) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return make_error(ErrorCode::invalid, fmt::format("configuration file '{}': cannot be read", file));
    constexpr std::size_t kMaxFile = 1u << 20;
    std::string text(kMaxFile + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));  // bounded: a device file never ends
    text.resize(static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxFile) return make_error(ErrorCode::invalid, fmt::format("configuration file '{}': larger than 1 MiB", file));
    auto entries = parse_env_file(text);
    if (!entries) return make_error(ErrorCode::invalid, fmt::format("configuration file '{}', {}", file, entries.error().message));
    for (auto& e : *entries) {
      bool known = e.name == "CONFIG_FILE";
      for (const auto& s : kSettings) known = known || s.env == e.name;
      if (!known) c.warnings.push_back(fmt::format("configuration file '{}', line {}: unknown setting {} (ignored)", file, e.line, e.name));
      from_file[e.name] = std::move(e.value);  // the last one wins, as in a shell
    }
    c.config_file = file;
  }
  for (const auto& s : kSettings) {
    if (auto v = env(s.env); v && !v->empty()) VC_TRY(s.apply(c, s.env, *v));
    else if (auto f = from_file.find(s.env); f != from_file.end() && !f->second.empty())
      VC_TRY(s.apply(c, fmt::format("{} (in {})", s.env, file), f->second));
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    if (a == "--config") {
      ++i;
      continue;
    }
    if (a.starts_with("--config=")) continue;
    if (!a.starts_with("--")) return make_error(ErrorCode::invalid, fmt::format("unexpected argument '{}'; settings are given as --name=value", a));
    a.remove_prefix(2);
    std::string_view value;
    bool has_value = false;
    if (auto eq = a.find('='); eq != std::string_view::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
      has_value = true;
    }
    const Setting* s = find_flag(a);
    if (!s) return make_error(ErrorCode::invalid, fmt::format("unknown option '--{}'; see --help", a));
    if (!has_value) {
      if (i + 1 >= args.size()) return make_error(ErrorCode::invalid, fmt::format("--{}: needs a value", a));
      value = args[++i];
    }
    VC_TRY(s->apply(c, fmt::format("--{}", s->flag), value));
  }
  if (c.database_url.empty()) {
    c.database_url = "sqlite://" + c.data_dir + "/videocontrol.db";
    auto r = parse_database_url(c.database_url);
    if (!r) return make_error(ErrorCode::invalid, fmt::format("DATA_DIR: {}", r.error().message));
    c.database = *r;
  }
  if (c.content_dir.empty()) c.content_dir = c.data_dir + "/content";
  if (c.redis_enabled && c.redis_url.empty())
    return make_error(ErrorCode::invalid, "REDIS_ENABLED: is true but REDIS_URL is not set");
  if (c.blob_store == "s3") {
    for (const auto& [name, value] : {std::pair<const char*, const std::string*>{"S3_ENDPOINT", &c.s3_endpoint},
                                      {"S3_BUCKET", &c.s3_bucket},
                                      {"S3_ACCESS_KEY_ID", &c.s3_access_key_id},
                                      {"S3_SECRET_ACCESS_KEY", &c.s3_secret_access_key}})
      if (value->empty()) return make_error(ErrorCode::invalid, fmt::format("BLOB_STORE=s3: {} is not set", name));
    if (!c.accel_redirect.empty())
      return make_error(ErrorCode::invalid, "ACCEL_REDIRECT: serves CONTENT_DIR/blobs, which BLOB_STORE=s3 does not use");
  }
  if (PasswordHashCost{c.password_hash_ops, c.password_hash_memory_kib}.weaker_than_default())
    c.warnings.push_back(fmt::format("PASSWORD_HASH_OPS={} PASSWORD_HASH_MEMORY_KIB={}: new password hashes are weaker than "
                                     "the default (2 passes, 65536 KiB) against an attack on a stolen database",
                                     c.password_hash_ops, c.password_hash_memory_kib));
  return c;
}

std::string config_help() {
  std::string out = fmt::format("  --{:<22} {:<20} {}\n", "config=FILE", "CONFIG_FILE",
                                "read settings from a file of NAME=VALUE lines (default ./.env when present); "
                                "the environment overrides it, flags override both");
  for (const auto& s : kSettings) out += fmt::format("  --{:<22} {:<20} {}\n", fmt::format("{}=VALUE", s.flag), s.env, s.help);
  return out;
}

}  // namespace vc

namespace vc {

InstallationOptions to_installation_options(const Config& c) {
  InstallationOptions o;
  o.data_dir = c.data_dir;
  o.database_url = c.database_url;
  o.db_pool_size = c.db_pool_size;
  o.slow_query_threshold = std::chrono::milliseconds(c.slow_query_ms);
  o.measure_statements = c.metrics;
  o.presence_ttl = std::chrono::milliseconds(c.presence_ttl_ms);
  o.content_dir = c.content_dir;
  if (c.blob_store == "s3") {
    S3Options s3;
    s3.endpoint = c.s3_endpoint;
    s3.bucket = c.s3_bucket;
    s3.region = c.s3_region;
    s3.access_key_id = c.s3_access_key_id;
    s3.secret_access_key = c.s3_secret_access_key;
    s3.prefix = c.s3_prefix;
    s3.virtual_hosted = c.s3_virtual_hosted;
    s3.redirect = c.s3_redirect;
    s3.url_ttl = std::chrono::seconds(c.s3_url_ttl_s);
    s3.part_bytes = c.s3_part_bytes;
    s3.cache_bytes = c.s3_cache_bytes;
    s3.ca_file = c.s3_ca_file;
    o.s3 = std::move(s3);
  }
  if (c.redis_enabled) o.redis_url = c.redis_url;
  o.cache_bytes = c.cache_bytes;
  o.admin_password = c.admin_password;
  o.jwt_secret = c.jwt_secret;
  o.rate_limit_per_minute = c.rate_limit_per_minute;
  o.auth_cache_ttl = std::chrono::milliseconds(c.auth_cache_ttl_ms);
  o.login_attempts = c.login_attempts;
  o.password_hash_concurrency = c.login_hash_concurrency;
  o.password_hash = {c.password_hash_ops, c.password_hash_memory_kib};
  o.audit_retention = std::chrono::hours(24 * static_cast<std::int64_t>(c.audit_retention_days));
  o.max_upload_bytes = c.max_upload_bytes;
  // load_config accepted only these names.
  o.device_credentials = parse_credential_policy(c.device_credentials).value_or(CredentialPolicy::required);
  o.player_requests_per_minute = c.player_requests_per_minute;
  o.device_auth_failures = c.device_auth_failures;
  o.run_pipeline = c.processing_workers != 0;
  o.schedule.manual_hold = parse_manual_hold(c.schedule_manual_hold).value_or(ManualHold::until_boundary);
  o.schedule.item_duration = std::chrono::seconds(c.schedule_item_seconds);
  o.player_timeout = std::chrono::milliseconds(c.player_timeout_ms);
  o.realtime_connect_timeout = std::chrono::milliseconds(c.realtime_connect_timeout_ms);
  o.realtime_identify_timeout = std::chrono::milliseconds(c.realtime_identify_timeout_ms);
  if (c.processing_workers > 0) o.pipeline.workers = static_cast<unsigned>(c.processing_workers);
  o.pipeline.lease = std::chrono::milliseconds(c.job_lease_ms);
  o.pipeline.page_width = c.page_width;
  o.pipeline.page_height = c.page_height;
  o.pipeline.optimize_videos = c.optimize_videos;
  o.pipeline.video.max_height = c.video_max_height;
  o.pipeline.video.max_bitrate = static_cast<std::int64_t>(c.video_max_bitrate_kbps) * 1000;
  o.pipeline.pdf_timeout = std::chrono::seconds(c.pdf_timeout_s);
  o.pipeline.document_timeout = std::chrono::seconds(c.document_timeout_s);
  o.pipeline.media_timeout = std::chrono::seconds(c.media_timeout_s);
  o.pipeline.transcode_timeout = std::chrono::seconds(c.transcode_timeout_s);
  o.pipeline.archive_max_entries = c.archive_max_entries;
  o.pipeline.archive_max_bytes = static_cast<std::int64_t>(c.archive_max_bytes);
  o.run_webhooks = c.webhook_workers != 0;
  o.webhooks.allow_hosts = c.webhook_allow_hosts;
  o.webhooks.workers = static_cast<unsigned>(c.webhook_workers);
  o.webhooks.backoff_base = std::chrono::milliseconds(c.webhook_backoff_ms);
  o.webhooks.backoff_max = std::chrono::milliseconds(std::max(c.webhook_backoff_max_ms, c.webhook_backoff_ms));
  o.webhooks.max_attempts = c.webhook_max_attempts;
  o.webhooks.disable_after = c.webhook_disable_after;
  o.webhooks.connect_timeout = std::chrono::milliseconds(c.webhook_connect_timeout_ms);
  o.webhooks.read_timeout = std::chrono::milliseconds(c.webhook_read_timeout_ms);
  return o;
}

}  // namespace vc
