// Embeds VideoControl: opens an installation in a folder (SQLite, created on first use), creates a
// device as the signed-in admin, and prints what changed: the typed domain events, and the Socket.IO
// packets the library's realtime hub sends a control panel. Usage: embed <data-folder>
#include <cstdio>
#include <string>
#include <videocontrol/videocontrol.hpp>

struct PrintingPanel : vc::RealtimeTransport {  // the hub's side of a panel's socket; here stdout
  void send(vc::ConnectionId, std::string packet) override { std::printf("socket.io %s\n", packet.c_str()); }
  void close(vc::ConnectionId) override {}
};

int main(int argc, char** argv) {
  if (argc != 2) return std::fprintf(stderr, "usage: embed <data-folder>\n"), 2;
  PrintingPanel panel;  // declared first: outlives the installation's hub
  auto inst = vc::Installation::open({.data_dir = argv[1], .admin_password = "Example-Password-1"});
  if (!inst) return std::fprintf(stderr, "%s\n", inst.error().message.c_str()), 1;
  (*inst)->events().subscribe([](const vc::DomainEvent& e) {
    std::printf("event %s %s\n", std::string(vc::to_string(e.kind)).c_str(), e.device_id.c_str());
  });
  vc::Services& services = (*inst)->services();
  auto tokens = services.auth().login("admin", "Example-Password-1", "embed");
  auto admin = services.auth().authenticate(tokens ? tokens->access_token : "", "embed");  // the Actor acting
  if (!admin) return std::fprintf(stderr, "%s\n", admin.error().message.c_str()), 1;
  (*inst)->realtime().attach(panel);
  (*inst)->realtime().on_open(1, "127.0.0.1", tokens->access_token);
  (*inst)->realtime().on_packet(1, "0");  // Socket.IO CONNECT, signed in by the token
  const std::string id = "lobby-" + std::to_string(services.clock().now_ms());
  auto device = services.devices().create(*admin, {.device_id = id, .name = "Lobby"});
  if (!device) return std::fprintf(stderr, "%s\n", device.error().message.c_str()), 1;
  std::printf("first run: %s, created %s\n", (*inst)->first_run() ? "yes" : "no", id.c_str());
}
