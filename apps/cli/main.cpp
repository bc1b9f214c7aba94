// vcctl: the library from a shell, for scripting. Uses only the public headers.
#include <cstdio>
#include <string>
#include <vector>

#include "server_config.hpp"
#include "videocontrol/videocontrol.hpp"

namespace {

void usage(std::FILE* out) {
  std::fprintf(out,
               "usage: vcctl <command> [--setting=value ...]\n\n"
               "commands:\n"
               "  version   print the version of vcctl and of the library\n"
               "  migrate   apply pending database migrations (DATABASE_URL or --database-url)\n"
               "  status    print the database backend and schema version\n"
               "  help      this text\n\n"
               "settings (flag, environment variable):\n%s",
               vc::config_help().c_str());
}

int fail(const vc::Error& e) {
  std::fprintf(stderr, "vcctl: %s\n", e.message.c_str());
  return e.code == vc::ErrorCode::invalid ? 2 : 1;
}

vc::Result<std::unique_ptr<vc::Storage>> open(const vc::Config& c) {
  return vc::open_storage({.url = c.database, .pool_size = 1});
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  const std::string cmd = argv[1];
  if (cmd == "help" || cmd == "--help" || cmd == "-h") {
    usage(stdout);
    return 0;
  }
  if (cmd == "version" || cmd == "--version") {
    std::printf("vcctl %s (library %s, schema %d)\n", VIDEOCONTROL_VERSION, vc::version(), vc::latest_schema_version());
    return 0;
  }
  auto config = vc::load_config(vc::process_env(), std::vector<std::string>(argv + 2, argv + argc));
  if (!config) return fail(config.error());
  vc::set_log_level(config->log_level);

  if (cmd == "migrate") {
    auto storage = open(*config);
    if (!storage) return fail(storage.error());
    auto report = (*storage)->migrate();
    if (!report) return fail(report.error());
    for (const auto& m : report->applied) std::printf("applied %s\n", m.c_str());
    std::printf("schema version %d (was %d)\n", report->to_version, report->from_version);
    return 0;
  }
  if (cmd == "status") {
    auto storage = open(*config);
    if (!storage) return fail(storage.error());
    auto v = (*storage)->schema_version();
    if (!v) return fail(v.error());
    std::printf("backend %s\nschema version %d of %d%s\n", std::string((*storage)->backend_name()).c_str(), *v,
                vc::latest_schema_version(), *v < vc::latest_schema_version() ? " (run vcctl migrate)" : "");
    return 0;
  }
  std::fprintf(stderr, "vcctl: unknown command '%s'\n\n", cmd.c_str());
  usage(stderr);
  return 2;
}
