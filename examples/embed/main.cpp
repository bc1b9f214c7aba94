// Embeds VideoControl: opens an installation in a folder (SQLite, created and migrated on first use),
// listens for what changes, and creates a device as the superadmin. Usage: embed <data-folder>
#include <cstdio>
#include <string>

#include <videocontrol/videocontrol.hpp>

int main(int argc, char** argv) {
  if (argc != 2) return std::fprintf(stderr, "usage: embed <data-folder>\n"), 2;
  auto inst = vc::Installation::open({.data_dir = argv[1], .admin_password = "Example-Password-1"});
  if (!inst) return std::fprintf(stderr, "%s\n", inst.error().message.c_str()), 1;
  (*inst)->events().subscribe([](const vc::DomainEvent& e) {
    std::printf("event %s %s\n", std::string(vc::to_string(e.kind)).c_str(), e.device_id.c_str());
  });
  vc::Services& services = (*inst)->services();
  auto tokens = services.auth().login("admin", "Example-Password-1", "embed");
  if (!tokens) return std::fprintf(stderr, "%s\n", tokens.error().message.c_str()), 1;
  auto admin = services.auth().authenticate(tokens->access_token, "embed");  // the Actor acting
  if (!admin) return std::fprintf(stderr, "%s\n", admin.error().message.c_str()), 1;
  const std::string id = "lobby-" + std::to_string(services.clock().now_ms());
  auto device = services.devices().create(*admin, {.device_id = id, .name = "Lobby"});
  if (!device) return std::fprintf(stderr, "%s\n", device.error().message.c_str()), 1;
  std::printf("videocontrol %s: first run: %s, created %s\n", vc::version(), (*inst)->first_run() ? "yes" : "no",
              device->device.device_id.c_str());
  return 0;
}
