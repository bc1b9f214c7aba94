// The listener (HttpServer::Impl, declared in http_server_impl.hpp): binding, the accept loop,
// signals, graceful shutdown and the registry of live connections. One connection's HTTP is
// Session (http_session.cpp); an upgraded one is BeastWebSocket (websocket_session.cpp).
#include "http_server.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "http_metrics.hpp"
#include "http_server_impl.hpp"
#include "videocontrol/log.hpp"

namespace vc::server {

namespace {

constexpr auto kAcceptBackoffFirst = std::chrono::milliseconds(50);
constexpr auto kAcceptBackoffMax = std::chrono::milliseconds(1000);
constexpr auto kLogInterval = std::chrono::seconds(5);  // accept failures and refusals: one line per …

bool out_of_descriptors(const beast::error_code& ec) {
  return ec == net::error::no_descriptors || ec == boost::system::errc::too_many_files_open_in_system ||
         ec == net::error::no_buffer_space || ec == net::error::no_memory;
}

}  // namespace

AddressSlot::~AddressSlot() { server_.release_address(address_); }

HttpServer::Impl::~Impl() {
  if (spare_fd >= 0) ::close(spare_fd);
}

void HttpServer::Impl::open_spare_descriptor() {
  if (spare_fd < 0) spare_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

void HttpServer::Impl::shed_one_pending() {
  if (spare_fd < 0) return;
  ::close(spare_fd);
  spare_fd = -1;
  // The listening socket is non-blocking (listen()): with nothing pending this returns EAGAIN.
  const int fd = ::accept4(acceptor.native_handle(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd >= 0) {
    ::close(fd);
    if (options.metrics) options.metrics->connection_dropped(HttpMetrics::Drop::no_descriptors);
  }
  open_spare_descriptor();
}

void HttpServer::Impl::on_accept_error(const beast::error_code& ec) {
  const bool exhausted = out_of_descriptors(ec);
  if (exhausted) shed_one_pending();
  // Retrying at once would fail again at once (the descriptors are still in use): a growing pause.
  accept_backoff = std::clamp(accept_backoff * 2, std::chrono::milliseconds(kAcceptBackoffFirst),
                              std::chrono::milliseconds(kAcceptBackoffMax));
  ++accept_failures_unlogged;
  const auto now = Clock::now();
  if (!accept_failure_logged || now - *accept_failure_logged >= kLogInterval) {
    log_warn(exhausted ? "accept failed: out of file descriptors or memory; accepting again after a pause (raise LimitNOFILE / ulimit -n)"
                       : "accept failed; accepting again after a pause",
             {{"error", ec.message()}, {"failures", accept_failures_unlogged},
              {"retry_ms", static_cast<std::int64_t>(accept_backoff.count())}});
    accept_failure_logged = now;
    accept_failures_unlogged = 0;
  }
  accept_timer.expires_after(accept_backoff);
  accept_timer.async_wait([this](beast::error_code e) {
    if (e || draining || !acceptor.is_open()) return;
    accept();
  });
}

std::unique_ptr<AddressSlot> HttpServer::Impl::claim_address(const std::string& address) {
  const unsigned cap = options.max_connections_per_address;
  const bool capped = cap > 0 && std::find(options.uncapped_addresses.begin(), options.uncapped_addresses.end(),
                                           address) == options.uncapped_addresses.end();
  std::lock_guard lock(addresses_mu);
  auto& n = connections_by_address[address];
  if (capped && n >= cap) {
    ++address_refusals_unlogged;
    const auto now = Clock::now();
    if (!address_refusal_logged || now - *address_refusal_logged >= kLogInterval) {
      log_warn("connection refused: too many connections from one address (MAX_CONNECTIONS_PER_ADDRESS)",
               {{"remote", address}, {"limit", cap}, {"refused", address_refusals_unlogged}});
      address_refusal_logged = now;
      address_refusals_unlogged = 0;
    }
    return nullptr;
  }
  ++n;
  return std::make_unique<AddressSlot>(*this, address);
}

void HttpServer::Impl::release_address(const std::string& address) {
  std::lock_guard lock(addresses_mu);
  auto it = connections_by_address.find(address);
  if (it == connections_by_address.end()) return;
  if (--it->second == 0) connections_by_address.erase(it);
}

void HttpServer::Impl::accept() {
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
      if (!draining) on_accept_error(ec);  // accepts again after a pause
      return;
    }
    if (accept_backoff.count() > 0) {
      accept_backoff = std::chrono::milliseconds(0);
      if (accept_failures_unlogged > 0)
        log_info("accepting again", {{"failures_since_last_log", accept_failures_unlogged}});
      accept_failures_unlogged = 0;
      accept_failure_logged.reset();
    }
    beast::error_code ignored;
    const auto remote = socket.remote_endpoint(ignored);
    auto slot = claim_address(ignored ? std::string() : remote.address().to_string());
    if (!slot) {
      if (options.metrics) options.metrics->connection_dropped(HttpMetrics::Drop::address_limit);
      socket.close(ignored);
    } else {
      // Realtime frames are small and often go out back to back (an event, then its ack): with
      // Nagle's algorithm the second waited for the client's delayed ACK, ~10 ms on the control path.
      socket.set_option(tcp::no_delay(true), ignored);
      std::make_shared<Session>(*this, std::move(socket), std::move(slot))->start();
    }
    if (!draining) accept();
  });
}

void HttpServer::Impl::session_started(Session* s, std::weak_ptr<Session> w) {
  std::lock_guard lock(sessions_mu);
  sessions.emplace(s, std::move(w));
}

void HttpServer::Impl::session_ended(Session* s) {
  {
    std::lock_guard lock(sessions_mu);
    sessions.erase(s);
  }
  check_drained();
}

void HttpServer::Impl::check_drained() {
  if (!draining) return;
  std::size_t left;
  {
    std::lock_guard lock(sessions_mu);
    left = sessions.size();
  }
  {
    std::lock_guard lock(websockets_mu);
    left += websockets.size();
  }
  if (left == 0) net::post(ioc, [this] { deadline.cancel(); });
}

// Not ready, but still serving: a load balancer notices (readiness checks, connections that stop
// being kept alive) and sends new traffic elsewhere; after drain_ms the real shutdown begins (or at
// a second signal).
void HttpServer::Impl::begin_drain() {
  if (soft_draining.exchange(true) || draining) return;
  log_info("draining: reporting not ready, serving for a while before shutting down",
           {{"drain_ms", options.drain_ms}});
  for (auto& hook : drain_hooks) hook();
  signals.async_wait([this](beast::error_code ec, int) {
    if (!ec) begin_shutdown();
  });
  drain_timer.expires_after(std::chrono::milliseconds(options.drain_ms));
  drain_timer.async_wait([this](beast::error_code ec) {
    if (!ec) begin_shutdown();
  });
}

void HttpServer::Impl::begin_shutdown() {
  if (draining.exchange(true)) return;
  log_info("shutting down: no new connections, finishing in-flight requests",
           {{"deadline_ms", options.shutdown_timeout_ms}});
  beast::error_code ec;
  acceptor.close(ec);
  accept_timer.cancel();
  signals.cancel(ec);
  drain_timer.cancel();
  for (auto& hook : shutdown_hooks) hook();
  bool websockets_left;
  {
    std::lock_guard lock(websockets_mu);
    websockets_left = !websockets.empty();
    for (auto& [p, w] : websockets)
      if (auto ws = w.lock()) ws->close();
  }
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(sessions_mu);
    for (auto& [p, w] : sessions)
      if (auto s = w.lock()) live.push_back(std::move(s));
  }
  // WebSockets count too: a peer that never completes the close handshake must not hold the
  // process past the deadline.
  if (live.empty() && !websockets_left) return;
  for (auto& s : live) s->close_if_idle();
  deadline.expires_after(std::chrono::milliseconds(options.shutdown_timeout_ms));
  deadline.async_wait([this](beast::error_code ec) {
    if (ec) return;  // cancelled: every connection finished in time
    std::size_t n;
    {
      std::lock_guard lock(sessions_mu);
      n = sessions.size();
    }
    {
      std::lock_guard lock(websockets_mu);
      n += websockets.size();
    }
    log_warn("shutdown deadline passed; dropping connections", {{"connections", static_cast<std::uint64_t>(n)}});
    ioc.stop();
  });
}

HttpServer::HttpServer(HttpServerOptions options, const Router& router)
    : impl_(std::make_unique<Impl>(std::move(options), router)) {}

HttpServer::~HttpServer() {
  impl_->pool.join();
}

Result<std::uint16_t> HttpServer::listen() {
  auto& o = impl_->options;
  beast::error_code ec;
  auto address = net::ip::make_address(o.host, ec);
  if (ec) return make_error(ErrorCode::invalid, fmt::format("HOST: '{}' is not an IP address", o.host));
  tcp::endpoint ep(address, o.port);
  auto& a = impl_->acceptor;
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(net::socket_base::max_listen_connections, ec);
  if (!ec) a.native_non_blocking(true, ec);  // shed_one_pending() accepts on it directly
  impl_->open_spare_descriptor();
  if (ec)
    return make_error(ErrorCode::unavailable,
                      fmt::format("HOST/PORT: cannot listen on {}:{}: {}", o.host, o.port, ec.message()));
  return a.local_endpoint().port();
}

void HttpServer::run() {
  auto& s = *impl_;
  if (s.options.handle_signals) {
    s.signals.add(SIGINT);
    s.signals.add(SIGTERM);
    s.signals.async_wait([&s](beast::error_code ec, int signo) {
      if (ec) return;
      log_info("signal received", {{"signal", signo == SIGTERM ? "SIGTERM" : "SIGINT"}});
      if (s.options.drain_ms > 0) return s.begin_drain();
      s.begin_shutdown();
    });
  }
  s.accept();
  std::vector<std::thread> extra;
  for (unsigned i = 1; i < s.options.network_threads; ++i) extra.emplace_back([&s] { s.ioc.run(); });
  s.ioc.run();
  for (auto& t : extra) t.join();
  s.pool.join();
}

void HttpServer::add_websocket(std::string path, WebSocketHandler handler) {
  impl_->ws_handlers[std::move(path)] = std::move(handler);
}

void HttpServer::on_shutdown(std::function<void()> hook) { impl_->shutdown_hooks.push_back(std::move(hook)); }
void HttpServer::on_drain(std::function<void()> hook) { impl_->drain_hooks.push_back(std::move(hook)); }

void HttpServer::shutdown() {
  net::post(impl_->ioc, [this] { impl_->begin_shutdown(); });
}

}  // namespace vc::server
