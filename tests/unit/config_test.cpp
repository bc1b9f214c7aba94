#include <doctest/doctest.h>

#include <map>

#include "server_config.hpp"

using namespace vc;

namespace {

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// Loads a config from one environment variable and expects an error naming it.
void expect_env_error(const std::string& name, const std::string& value, const std::string& fragment) {
  auto r = load_config(env_of({{name, value}}), {});
  INFO(name << "=" << value);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::invalid);
  CHECK(r.error().message.find(name) != std::string::npos);
  CHECK(r.error().message.find(fragment) != std::string::npos);
}

}  // namespace

TEST_CASE("defaults are the embedded single-binary setup") {
  auto r = load_config(env_of({}), {});
  REQUIRE(r.ok());
  CHECK(r->port == 3000);
  CHECK(r->host == "0.0.0.0");
  CHECK(r->database.kind == DatabaseUrl::Kind::sqlite);
  CHECK(r->database.sqlite_path == "./data/videocontrol.db");
  CHECK(r->content_dir == "./data/content");
  CHECK(r->max_body_bytes == 1024 * 1024);
  CHECK_FALSE(r->redis_enabled);
  CHECK(r->log_level == LogLevel::info);
  CHECK(r->ping_interval_ms == 25'000);  // what 2.x players expect
  CHECK(r->ping_timeout_ms == 20'000);
}

TEST_CASE("environment variables set every setting") {
  auto r = load_config(env_of({{"PORT", "8080"},
                               {"HOST", "127.0.0.1"},
                               {"DATA_DIR", "/var/lib/vc"},
                               {"REDIS_URL", "redis://127.0.0.1:6379"},
                               {"LOG_LEVEL", "debug"},
                               {"LOG_FORMAT", "json"},
                               {"MAX_BODY_BYTES", "2048"},
                               {"WORKER_THREADS", "8"},
                               {"DB_POOL_SIZE", "3"},
                               {"SHUTDOWN_TIMEOUT_MS", "500"},
                               {"PING_INTERVAL_MS", "1000"},
                               {"PING_TIMEOUT_MS", "1500"},
                               {"PLAYER_TIMEOUT_MS", "4000"}}),
                      {});
  REQUIRE(r.ok());
  CHECK(r->port == 8080);
  CHECK(r->host == "127.0.0.1");
  CHECK(r->database.sqlite_path == "/var/lib/vc/videocontrol.db");
  CHECK(r->content_dir == "/var/lib/vc/content");
  CHECK(r->redis_enabled);
  CHECK(r->redis_url == "redis://127.0.0.1:6379");
  CHECK(r->log_level == LogLevel::debug);
  CHECK(r->log_format == LogFormat::json);
  CHECK(r->max_body_bytes == 2048);
  CHECK(r->worker_threads == 8);
  CHECK(r->db_pool_size == 3);
  CHECK(r->shutdown_timeout_ms == 500);
  CHECK(r->ping_interval_ms == 1000);
  CHECK(r->ping_timeout_ms == 1500);
  CHECK(r->player_timeout_ms == 4000);
}

TEST_CASE("flags override environment variables, in both --name=value and --name value forms") {
  auto r = load_config(env_of({{"PORT", "8080"}}), {"--port=9090", "--log-level", "warn"});
  REQUIRE(r.ok());
  CHECK(r->port == 9090);
  CHECK(r->log_level == LogLevel::warn);
}

TEST_CASE("database URLs select the backend") {
  auto abs = parse_database_url("sqlite:///var/lib/vc/db.sqlite");
  REQUIRE(abs.ok());
  CHECK(abs->kind == DatabaseUrl::Kind::sqlite);
  CHECK(abs->sqlite_path == "/var/lib/vc/db.sqlite");
  auto rel = parse_database_url("sqlite://data/x.db");
  REQUIRE(rel.ok());
  CHECK(rel->sqlite_path == "data/x.db");
  auto mem = parse_database_url("sqlite::memory:");
  REQUIRE(mem.ok());
  CHECK(mem->sqlite_path == ":memory:");
  auto pg = parse_database_url("postgresql://vc:secret@127.0.0.1:5432/videocontrol");
  REQUIRE(pg.ok());
  CHECK(pg->kind == DatabaseUrl::Kind::postgresql);
  CHECK(parse_database_url("postgres://h/db").ok());
}

TEST_CASE("every bad value gives a message naming its setting") {
  expect_env_error("PORT", "abc", "between 0 and 65535");
  expect_env_error("PORT", "70000", "between 0 and 65535");
  expect_env_error("PORT", "-1", "between 0 and 65535");
  expect_env_error("PORT", "80x", "between 0 and 65535");
  expect_env_error("DATABASE_URL", "mysql://x", "unsupported database URL");
  expect_env_error("DATABASE_URL", "sqlite://", "names no file");
  expect_env_error("DATABASE_URL", "postgresql://", "names no server");
  expect_env_error("REDIS_URL", "localhost:6379", "redis://");
  expect_env_error("REDIS_ENABLED", "maybe", "true or false");
  expect_env_error("LOG_LEVEL", "loud", "trace, debug, info");
  expect_env_error("LOG_FORMAT", "xml", "text or json");
  expect_env_error("MAX_BODY_BYTES", "0", "byte count");
  expect_env_error("MAX_BODY_BYTES", "lots", "byte count");
  expect_env_error("WORKER_THREADS", "0", "between 1 and 256");
  expect_env_error("NETWORK_THREADS", "1000", "between 1 and 64");
  expect_env_error("DB_POOL_SIZE", "0", "between 1 and 512");
  expect_env_error("SHUTDOWN_TIMEOUT_MS", "soon", "milliseconds");
  expect_env_error("PING_INTERVAL_MS", "50", "between 100 and 3600000");
  expect_env_error("PING_TIMEOUT_MS", "never", "milliseconds");
  expect_env_error("PLAYER_TIMEOUT_MS", "500", "between 1000 and 3600000");
}

TEST_CASE("REDIS_ENABLED=true without REDIS_URL is refused") {
  auto r = load_config(env_of({{"REDIS_ENABLED", "true"}}), {});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("REDIS_URL") != std::string::npos);
}

TEST_CASE("REDIS_ENABLED=false switches Redis off even with a URL") {
  auto r = load_config(env_of({{"REDIS_URL", "redis://127.0.0.1:6379"}, {"REDIS_ENABLED", "false"}}), {});
  REQUIRE(r.ok());
  CHECK_FALSE(r->redis_enabled);
}

TEST_CASE("bad flags are refused with their name") {
  auto unknown = load_config(env_of({}), {"--prot=1"});
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().message.find("--prot") != std::string::npos);
  auto missing = load_config(env_of({}), {"--port"});
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message.find("--port") != std::string::npos);
  auto bad = load_config(env_of({}), {"--port=abc"});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("--port") != std::string::npos);
  auto positional = load_config(env_of({}), {"serve"});
  REQUIRE_FALSE(positional.ok());
  CHECK(positional.error().message.find("serve") != std::string::npos);
}

TEST_CASE("the help text lists every environment variable") {
  auto help = config_help();
  for (const char* name : {"PORT", "HOST", "DATABASE_URL", "REDIS_URL", "CONTENT_DIR", "LOG_LEVEL", "DATA_DIR"})
    CHECK(help.find(name) != std::string::npos);
}
