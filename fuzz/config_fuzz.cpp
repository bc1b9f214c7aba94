// libFuzzer target for configuration parsing: vc::parse_database_url, vc::load_config and the
// configuration file parser vc::parse_env_file (apps/server/server_config.hpp).
//
// The whole input is also given to parse_env_file as a file's text.
// Input layout: lines separated by '\n'.
//   line 1           a database URL, given to parse_database_url on its own
//   following lines  environment entries NAME=VALUE (a line without '=' sets NAME to "")
//   a line "--"      ends the environment; every following line is one command-line argument
// The environment lookup is built from those entries (the last entry for a name wins).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server_config.hpp"

#include "fuzz_check.hpp"

namespace {

void check_database_url(std::string_view url) {
  auto r = vc::parse_database_url(url);
  if (!r) {
    FUZZ_CHECK(r.error().code == vc::ErrorCode::invalid);
    FUZZ_CHECK(!r.error().message.empty());
    return;
  }
  const vc::DatabaseUrl& d = *r;
  if (d.kind == vc::DatabaseUrl::Kind::sqlite) {
    FUZZ_CHECK(url.starts_with("sqlite:"));
    FUZZ_CHECK(!d.sqlite_path.empty());
    FUZZ_CHECK(d.sqlite_path.find('\0') == std::string::npos);
    FUZZ_CHECK(d.postgresql_url.empty());
  } else {
    FUZZ_CHECK(url.starts_with("postgresql://") || url.starts_with("postgres://"));
    FUZZ_CHECK(d.postgresql_url == url);
    FUZZ_CHECK(d.sqlite_path.empty());
  }
}

void check_env_file(std::string_view text) {
  auto r = vc::parse_env_file(text);
  if (!r) {
    FUZZ_CHECK(r.error().code == vc::ErrorCode::invalid);
    FUZZ_CHECK(r.error().message.starts_with("line "));
    return;
  }
  int last_line = 0;
  for (const auto& e : *r) {
    FUZZ_CHECK(!e.name.empty());
    FUZZ_CHECK(!(e.name[0] >= '0' && e.name[0] <= '9'));
    for (char c : e.name) FUZZ_CHECK(c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'));
    FUZZ_CHECK(e.value.find('\0') == std::string::npos);
    FUZZ_CHECK(e.line > last_line);  // one entry per line, in order
    last_line = e.line;
  }
  // Parsing is a function of the text.
  auto again = vc::parse_env_file(text);
  FUZZ_CHECK(again.ok() && again->size() == r->size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  check_env_file(in);
  std::vector<std::string_view> lines;
  while (true) {
    auto nl = in.find('\n');
    lines.push_back(in.substr(0, nl));
    if (nl == std::string_view::npos) break;
    in.remove_prefix(nl + 1);
  }

  check_database_url(lines[0]);

  std::map<std::string, std::string, std::less<>> env;
  std::vector<std::string> args;
  bool in_args = false;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    std::string_view l = lines[i];
    if (!in_args && l == "--") { in_args = true; continue; }
    // Configuration files are fuzzed through parse_env_file above; no file is opened here.
    if (in_args) {
      if (!l.starts_with("--config")) args.emplace_back(l);
      continue;
    }
    auto eq = l.find('=');
    env[std::string(l.substr(0, eq))] = eq == std::string_view::npos ? std::string() : std::string(l.substr(eq + 1));
    check_database_url(eq == std::string_view::npos ? l : l.substr(eq + 1));
  }

  env.erase("CONFIG_FILE");
  const vc::EnvLookup lookup = [&env](std::string_view name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };

  auto r = vc::load_config(lookup, args);
  if (!r) {
    FUZZ_CHECK(r.error().code == vc::ErrorCode::invalid);
    FUZZ_CHECK(!r.error().message.empty());
    return 0;
  }
  const vc::Config& c = *r;
  FUZZ_CHECK(!c.host.empty());
  FUZZ_CHECK(!c.data_dir.empty());
  FUZZ_CHECK(!c.content_dir.empty());
  FUZZ_CHECK(!c.database_url.empty());
  {
    // The stored URL parses to the stored result.
    auto again = vc::parse_database_url(c.database_url);
    FUZZ_CHECK(again.ok());
    FUZZ_CHECK(again->kind == c.database.kind);
    FUZZ_CHECK(again->sqlite_path == c.database.sqlite_path);
    FUZZ_CHECK(again->postgresql_url == c.database.postgresql_url);
  }
  if (c.redis_enabled) FUZZ_CHECK(c.redis_url.starts_with("redis://") && c.redis_url.size() > 8);
  FUZZ_CHECK(c.max_body_bytes >= 1 && c.max_body_bytes <= (std::uint64_t{1} << 40));
  FUZZ_CHECK(c.worker_threads >= 1 && c.worker_threads <= 256);
  FUZZ_CHECK(c.network_threads >= 1 && c.network_threads <= 64);
  FUZZ_CHECK(c.db_pool_size >= 1 && c.db_pool_size <= 512);
  FUZZ_CHECK(c.shutdown_timeout_ms <= 3'600'000);
  // Loading twice from the same inputs gives the same configuration.
  auto r2 = vc::load_config(lookup, args);
  FUZZ_CHECK(r2.ok() && r2->database_url == c.database_url && r2->port == c.port &&
             r2->redis_enabled == c.redis_enabled && r2->content_dir == c.content_dir);
  return 0;
}
