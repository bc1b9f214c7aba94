// The network layer in-process: options set on the sockets it accepts.
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <thread>

#include <doctest/doctest.h>

#include "http_server.hpp"

namespace {

using vc::server::HttpServer;
using vc::server::HttpServerOptions;
using vc::server::Request;
using vc::server::Response;
using vc::server::Router;

std::uint16_t port_of(int fd, bool peer) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  if ((peer ? getpeername(fd, reinterpret_cast<sockaddr*>(&a), &len) : getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len)) != 0 ||
      a.sin_family != AF_INET)
    return 0;
  return ntohs(a.sin_port);
}

// The server's end of the connection whose client end is bound to client_port: a descriptor of this
// process (the server runs in it) with that peer port. -1 when there is none.
int server_end_of(std::uint16_t server_port, std::uint16_t client_port) {
  DIR* d = opendir("/proc/self/fd");
  if (!d) return -1;
  int found = -1;
  while (auto* e = readdir(d)) {
    const int fd = std::atoi(e->d_name);
    if (fd <= 2) continue;
    if (port_of(fd, false) == server_port && port_of(fd, true) == client_port) found = fd;
  }
  closedir(d);
  return found;
}

}  // namespace

TEST_CASE("accepted connections have Nagle's algorithm off (small realtime frames go out at once)") {
  Router router;
  router.add("GET", "/ping", [](Request&) { return Response::json(200, R"({"ok":true})"); });
  HttpServerOptions options;
  options.host = "127.0.0.1";
  options.port = 0;
  options.handle_signals = false;
  HttpServer server(options, router);
  auto port = server.listen();
  REQUIRE(port.ok());
  std::thread runner([&] { server.run(); });

  const int client = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(client >= 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(*port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(connect(client, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0);
  const std::string request = "GET /ping HTTP/1.1\r\nHost: test\r\n\r\n";
  REQUIRE(write(client, request.data(), request.size()) == static_cast<ssize_t>(request.size()));
  char buf[512];
  const auto n = read(client, buf, sizeof buf);  // answered: the server has accepted and set it up
  REQUIRE(n > 0);
  CHECK(std::string(buf, static_cast<std::size_t>(n)).starts_with("HTTP/1.1 200"));

  const int server_fd = server_end_of(*port, port_of(client, false));
  REQUIRE(server_fd >= 0);
  int nodelay = 0;
  socklen_t len = sizeof nodelay;
  REQUIRE(getsockopt(server_fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, &len) == 0);
  CHECK(nodelay != 0);

  close(client);
  server.shutdown();
  runner.join();
}
