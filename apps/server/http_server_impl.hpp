// Private to the server's three Beast translation units:
//   http_server.cpp       the listener (HttpServer::Impl): accept loop, signals, graceful shutdown,
//                         the registry of live sessions and WebSockets
//   http_session.cpp      one HTTP/1.1 connection (Session)
//   websocket_session.cpp one WebSocket connection (BeastWebSocket)
// Include it from nowhere else: it pulls in Beast (~18 s and ~700 MB per translation unit), and the
// public http_server.hpp / websocket.hpp stay free of it.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "http_server.hpp"
#include "videocontrol/version.hpp"

namespace vc::server {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

class Session;

// One connection's place in the per-address count (HttpServerOptions::max_connections_per_address):
// held by the Session, handed to the BeastWebSocket at an upgrade, released with the last of them.
class AddressSlot {
 public:
  AddressSlot(HttpServer::Impl& server, std::string address) : server_(server), address_(std::move(address)) {}
  ~AddressSlot();
  AddressSlot(const AddressSlot&) = delete;
  AddressSlot& operator=(const AddressSlot&) = delete;

 private:
  HttpServer::Impl& server_;
  std::string address_;
};

struct HttpServer::Impl {
  Impl(HttpServerOptions o, const Router& r)
      : options(std::move(o)), router(r), ioc(static_cast<int>(std::max(1u, options.network_threads))),
        acceptor(ioc), signals(ioc), deadline(ioc), pool(std::max(1u, options.worker_threads)),
        server_header(options.server_header_version ? std::string("videocontrol/") + VIDEOCONTROL_VERSION
                                                    : std::string("videocontrol")) {}
  ~Impl();

  void accept();
  void on_accept_error(const beast::error_code& ec);
  // Out of descriptors: the spare one is closed so that one pending connection can be accepted and
  // closed (the client sees a close instead of waiting in the backlog), then reopened.
  void shed_one_pending();
  void open_spare_descriptor();
  // A slot for a new connection from `address`, or null when the address is at its cap.
  std::unique_ptr<AddressSlot> claim_address(const std::string& address);
  void release_address(const std::string& address);
  void begin_shutdown();
  void session_started(Session* s, std::weak_ptr<Session> w);
  void session_ended(Session* s);
  // While draining: cancels the shutdown deadline once no session and no WebSocket is left.
  void check_drained();

  HttpServerOptions options;
  const Router& router;
  // Before ioc: handlers it still holds when destroyed may own AddressSlots.
  std::mutex addresses_mu;
  std::unordered_map<std::string, unsigned> connections_by_address;
  std::uint64_t address_refusals_unlogged = 0;
  std::optional<Clock::time_point> address_refusal_logged;
  net::io_context ioc;
  tcp::acceptor acceptor;
  net::signal_set signals;
  net::steady_timer deadline;
  net::thread_pool pool;
  std::atomic<bool> draining{false};
  std::atomic<bool> soft_draining{false};  // drain_ms phase: still serving, no keep-alive
  net::steady_timer drain_timer{ioc};
  std::vector<std::function<void()>> drain_hooks;
  void begin_drain();
  std::mutex sessions_mu;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions;
  std::unordered_map<std::string, WebSocketHandler> ws_handlers;
  std::vector<std::function<void()>> shutdown_hooks;
  std::mutex websockets_mu;
  std::unordered_map<void*, std::weak_ptr<WebSocketConnection>> websockets;
  const std::string server_header;  // the Server field of every answer

  // accept() failing (EMFILE, ENFILE, ENOBUFS…): retried after a growing pause, logged once per
  // interval with a count, instead of a busy loop writing a log line per attempt.
  net::steady_timer accept_timer{ioc};
  std::chrono::milliseconds accept_backoff{0};
  std::uint64_t accept_failures_unlogged = 0;
  std::optional<Clock::time_point> accept_failure_logged;
  int spare_fd = -1;

};

// A WebSocket on the server's strand-per-connection model: reads continuously, writes a queue.
class BeastWebSocket : public WebSocketConnection, public std::enable_shared_from_this<BeastWebSocket> {
 public:
  BeastWebSocket(HttpServer::Impl& server, beast::tcp_stream stream, std::unique_ptr<AddressSlot> slot);
  ~BeastWebSocket() override;

  // Registers with the server (shutdown closes what is registered), then answers the upgrade.
  void accept(const http::request<http::string_body>& req, std::function<void(beast::error_code)> done);

  void start(Handlers h) override;
  void send(std::string text) override;
  void close() override;

 private:
  void read();
  void write();
  void do_close();
  void finished();

  HttpServer::Impl& server_;
  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buffer_;
  std::unique_ptr<AddressSlot> slot_;
  std::deque<std::string> out_;
  std::size_t out_bytes_ = 0;  // the bytes of out_ (the frame being written included)
  Handlers handlers_;
  // All on the stream's strand. A close() before the handshake is accepted waits for it (Beast may
  // not close a stream whose accept is in flight); a send() after close() is dropped.
  bool accepted_ = false, writing_ = false, closing_ = false, closed_ = false;
};

// One HTTP/1.1 connection, request after request while keep-alive lasts. Everything runs on the
// connection's strand; blocking work (handlers, body sinks, disk reads) goes to the worker pool and
// its result is posted back to the strand.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(HttpServer::Impl& server, tcp::socket socket, std::unique_ptr<AddressSlot> slot);
  ~Session();

  void start();
  // Called on shutdown: a connection waiting for a new request is closed now; one in the middle of
  // a request finishes it (keep-alive is off while draining).
  void close_if_idle();

 private:
  // A request: its head (limits checked, upgrades and streamed routes branch off), then a buffered
  // body handed to the route's handler: inline, async (answered later) or on the worker pool.
  void read_header();
  void on_header(beast::error_code ec);
  void read_body();
  void on_body(beast::error_code ec);
  std::shared_ptr<Request> make_request(const http::request_header<>& h);
  static Response invoke(const Route& route, Request& req);

  // Hands the socket to a BeastWebSocket; this HTTP session ends.
  void upgrade(const WebSocketHandler& handler);

  // Streamed request bodies (uploads).
  void start_stream();
  void on_stream_start(StreamStart start);
  void read_chunk();
  void on_chunk(beast::error_code ec);
  void finish_stream();
  void drop_stream();

  // Answers.
  void refuse_too_large();
  template <class Fields>
  void add_security_headers(Fields& res, std::string_view content_type) const;
  void send(Response r, bool keep_alive);
  void send_file(Response r, bool keep_alive, bool head);
  void pump_file(bool keep_alive);
  void close_file();
  void log_access();  // also ends the request's metrics
  void begin_request();

  // Ending the connection.
  void linger_close();
  void drain();
  void close();

  HttpServer::Impl& server_;
  std::unique_ptr<AddressSlot> slot_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::request_parser<http::buffer_body>> stream_parser_;
  std::shared_ptr<BodySink> sink_;
  std::shared_ptr<std::vector<char>> chunk_;  // body chunk in flight (uploads) or file chunk (downloads)
  bool expect_continue_ = false;
  int file_fd_ = -1;
  std::int64_t file_offset_ = 0, file_remain_ = 0;
  RouteMatch match_;
  std::string remote_, method_, target_, path_;
  int status_ = 0;
  std::size_t bytes_ = 0;
  std::uint64_t limit_ = 0;
  bool keep_alive_ = false;
  bool waiting_for_request_ = false;
  Clock::time_point started_ = Clock::now();
  bool counted_ = false;                     // in HttpMetrics' in-flight gauge
  std::string_view route_label_ = "unmatched";  // a route's pattern or a WebSocket path: outlives the session
  std::shared_ptr<std::array<char, 16384>> drain_;
  std::size_t drained_ = 0;
};

}  // namespace vc::server
