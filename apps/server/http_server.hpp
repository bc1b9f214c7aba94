// The network layer: one port, HTTP/1.1 with keep-alive, on Boost.Asio + Beast. Beast stays out of
// this header: it is in http_server.cpp (listener), http_session.cpp (HTTP), websocket_session.cpp
// and their private http_server_impl.hpp. Handlers run on a bounded worker pool unless their route
// says they never block.
//
// Body limits are enforced from the headers: a request whose Content-Length exceeds its route's cap
// (or the default) is answered 413 before its handler runs and without reading the body.
//
// Shutdown (SIGTERM/SIGINT or shutdown()): stop accepting, close idle keep-alive connections, let
// in-flight requests finish until the deadline, then return from run().
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "router.hpp"
#include "websocket.hpp"
#include "videocontrol/result.hpp"

namespace vc::server {

class Session;
class BeastWebSocket;
class AddressSlot;
class HttpMetrics;

struct HttpServerOptions {
  std::string host = "0.0.0.0";
  std::uint16_t port = 3000;
  std::uint64_t max_body_bytes = 1024 * 1024;
  unsigned network_threads = 1;
  unsigned worker_threads = 4;
  std::uint32_t shutdown_timeout_ms = 10'000;
  std::uint32_t idle_timeout_ms = 60'000;  // keep-alive connections with no request
  // Behind NGINX: files under accel_root are answered with `X-Accel-Redirect: accel_prefix + rest`
  // and no body, so NGINX sends the bytes itself (Range included). Empty = we send them.
  std::string accel_prefix;
  std::string accel_root;
  bool handle_signals = true;
  // On SIGTERM/SIGINT, keep serving this long first (answers say `Connection: close`, the drain
  // hooks run, so /readyz says "draining"), letting a load balancer move new traffic elsewhere;
  // then shut down as below. 0 = shut down at once. A second signal skips the rest of the wait.
  std::uint32_t drain_ms = 0;
  HttpMetrics* metrics = nullptr;  // request metrics; must outlive the server
  // A WebSocket whose unsent frames exceed this many bytes is closed (a peer that does not read
  // must not grow the process): REALTIME_MAX_QUEUED_BYTES.
  std::size_t websocket_max_queued_bytes = 4u << 20;
  // Connections open at once from one remote address (HTTP and WebSocket alike); one more is closed
  // as soon as it is accepted. 0 = no cap. MAX_CONNECTIONS_PER_ADDRESS.
  unsigned max_connections_per_address = 256;
  std::vector<std::string> uncapped_addresses;  // e.g. the load balancer's (TRUSTED_PROXIES)
  // `Server: videocontrol/<version>` instead of `Server: videocontrol` (SERVER_HEADER_VERSION).
  bool server_header_version = false;
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, const Router& router);
  ~HttpServer();

  // Binds and listens. Returns the bound port (useful with port 0).
  // Errors: unavailable when the address cannot be bound (message names HOST/PORT).
  Result<std::uint16_t> listen();

  // Serves until shutdown completes. REQUIRES: listen() succeeded.
  void run();

  // Starts a graceful shutdown; safe from any thread.
  void shutdown();

  // WebSocket upgrades on `path` go to handler. REQUIRES: before run().
  void add_websocket(std::string path, WebSocketHandler handler);
  // Called (on the network thread) when shutdown begins, e.g. to end long-polls. REQUIRES: before run().
  void on_shutdown(std::function<void()> hook);
  // Called (on the network thread) when a signal starts the drain (drain_ms > 0). REQUIRES: before run().
  void on_drain(std::function<void()> hook);

 private:
  friend class Session;
  friend class BeastWebSocket;
  friend class AddressSlot;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vc::server
