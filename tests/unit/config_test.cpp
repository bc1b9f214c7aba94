#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>

#include <unistd.h>

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

// ---- configuration files (issue 15) ----------------------------------------------------------

namespace {

struct ConfigFile {
  explicit ConfigFile(const std::string& text, const std::string& name = "vc.env") {
    static std::atomic<int> n{0};
    dir = std::filesystem::path(VC_TEST_TMP) / ("cfg" + std::to_string(::getpid()) + "_" + std::to_string(n++));
    std::filesystem::create_directories(dir);
    path = (dir / name).string();
    std::ofstream(path, std::ios::binary) << text;
  }
  ~ConfigFile() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::filesystem::path dir;
  std::string path;
};

}  // namespace

TEST_CASE("the .env format: comments, export, quotes and escapes, blanks around names") {
  auto r = parse_env_file(
      "# comment\n\n  PORT=4000\r\nexport HOST = 127.0.0.1  \nADMIN_PASSWORD=p#ss w0rd\n"
      "JWT_SECRET=\"a \\\"quoted\\\" \\\\ value\\n\" # trailing comment\nX='single $HOME \\n'\nEMPTY=\n");
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  REQUIRE(r->size() == 6);
  CHECK((*r)[0].name == "PORT");
  CHECK((*r)[0].value == "4000");
  CHECK((*r)[0].line == 3);
  CHECK((*r)[1].name == "HOST");
  CHECK((*r)[1].value == "127.0.0.1");
  CHECK((*r)[2].value == "p#ss w0rd");  // '#' belongs to an unquoted value
  CHECK((*r)[3].value == "a \"quoted\" \\ value\n");
  CHECK((*r)[4].value == "single $HOME \\n");  // single quotes are literal
  CHECK((*r)[5].value.empty());
}

TEST_CASE("malformed .env lines are refused with their line number") {
  for (const auto& [text, fragment] : std::vector<std::pair<std::string, std::string>>{
           {"PORT=1\nnot a setting\n", "line 2"},
           {"=5\n", "line 1"},
           {"1PORT=5\n", "name"},
           {"PO-RT=5\n", "name"},
           {"A=1\nSECRET=\"unterminated\n", "line 2"},
           {"SECRET='x' y\n", "after the closing quote"},
           {std::string("A=x\0y\n", 6), "NUL"}}) {
    auto r = parse_env_file(text);
    INFO(text);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::invalid);
    CHECK(r.error().message.find(fragment) != std::string::npos);
  }
}

TEST_CASE("settings come from a file; the environment beats the file and a flag beats both") {
  ConfigFile f("PORT=4001\nHOST=127.0.0.2\nLOG_LEVEL=debug\nDB_POOL_SIZE=7\nSLOW_QUERY_MS=90\n");
  auto only_file = load_config(env_of({}), {"--config", f.path});
  REQUIRE_MESSAGE(only_file.ok(), (only_file.ok() ? "" : only_file.error().message));
  CHECK(only_file->port == 4001);
  CHECK(only_file->host == "127.0.0.2");
  CHECK(only_file->db_pool_size == 7);
  CHECK(only_file->slow_query_ms == 90);
  CHECK(only_file->config_file == f.path);
  CHECK(only_file->warnings.empty());

  auto env_wins = load_config(env_of({{"PORT", "4002"}}), {"--config=" + f.path});
  REQUIRE(env_wins.ok());
  CHECK(env_wins->port == 4002);
  CHECK(env_wins->host == "127.0.0.2");

  auto flag_wins = load_config(env_of({{"PORT", "4002"}}), {"--port=4003", "--config", f.path});
  REQUIRE(flag_wins.ok());
  CHECK(flag_wins->port == 4003);
  CHECK(flag_wins->log_level == LogLevel::debug);

  // CONFIG_FILE names the file when no flag does.
  auto by_env = load_config(env_of({{"CONFIG_FILE", f.path}}), {});
  REQUIRE(by_env.ok());
  CHECK(by_env->port == 4001);
}

TEST_CASE("a bad value in the file names the setting and the file; unknown names are warnings") {
  ConfigFile bad("PORT=eighty\n");
  auto r = load_config(env_of({}), {"--config", bad.path});
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.find("PORT") != std::string::npos);
  CHECK(r.error().message.find(bad.path) != std::string::npos);

  ConfigFile typo("PORT=4000\nPROT=5\nNODE_ENV=production\n");
  auto w = load_config(env_of({}), {"--config", typo.path});
  REQUIRE(w.ok());
  CHECK(w->port == 4000);
  REQUIRE(w->warnings.size() == 2);
  CHECK(w->warnings[0].find("line 2") != std::string::npos);
  CHECK(w->warnings[0].find("PROT") != std::string::npos);

  ConfigFile broken("PORT=1\nthis line is wrong\n");
  auto b = load_config(env_of({}), {"--config", broken.path});
  REQUIRE_FALSE(b.ok());
  CHECK(b.error().message.find("line 2") != std::string::npos);
}

TEST_CASE("a named configuration file that cannot be read is an error; ./.env is read when present") {
  auto missing = load_config(env_of({}), {"--config", "/nonexistent/videocontrol.env"});
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message.find("/nonexistent/videocontrol.env") != std::string::npos);
  auto no_name = load_config(env_of({}), {"--config"});
  REQUIRE_FALSE(no_name.ok());

  ConfigFile dotenv("PORT=4555\n", ".env");
  const auto cwd = std::filesystem::current_path();
  std::filesystem::current_path(dotenv.dir);
  auto r = load_config(env_of({}), {});
  auto other = load_config(env_of({}), {"--config", "/dev/null"});  // an explicit file replaces ./.env
  std::filesystem::current_path(cwd);
  REQUIRE(r.ok());
  CHECK(r->port == 4555);
  CHECK(r->config_file == ".env");
  REQUIRE(other.ok());
  CHECK(other->port == 3000);
}
