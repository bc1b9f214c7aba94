// Embeds VideoControl: opens (or creates) an SQLite database, migrates it, runs the first-run
// bootstrap and prints what it found. Usage: embed <database-file>
#include <cstdio>

#include <videocontrol/videocontrol.hpp>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: embed <database-file>\n");
    return 2;
  }
  auto url = vc::parse_database_url(std::string("sqlite://") + argv[1]);
  if (!url) return std::fprintf(stderr, "%s\n", url.error().message.c_str()), 1;
  auto storage = vc::open_storage({.url = *url});
  if (!storage) return std::fprintf(stderr, "%s\n", storage.error().message.c_str()), 1;
  auto migrated = (*storage)->migrate();
  if (!migrated) return std::fprintf(stderr, "%s\n", migrated.error().message.c_str()), 1;
  auto first = vc::bootstrap_first_run(**storage, *vc::system_clock(), "Example-Password-1");
  if (!first) return std::fprintf(stderr, "%s\n", first.error().message.c_str()), 1;
  std::int64_t users = 0;
  auto counted = (*storage)->read([&](vc::StorageSession& s) -> vc::Result<void> {
    auto n = s.users().count();
    if (!n) return std::move(n).error();
    users = *n;
    return {};
  });
  if (!counted) return std::fprintf(stderr, "%s\n", counted.error().message.c_str()), 1;
  std::printf("videocontrol %s: schema %d, %lld user(s), first run: %s\n", vc::version(), migrated->to_version,
              static_cast<long long>(users), first->has_value() ? "yes" : "no");
  return 0;
}
