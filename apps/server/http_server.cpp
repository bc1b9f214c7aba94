// All Beast code of the server lives in this file (one Beast translation unit costs ~18 s to build).
#include "http_server.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <atomic>
#include <cctype>
#include <chrono>
#include <csignal>
#include <limits>
#include <mutex>
#include <thread>
#include <deque>
#include <unordered_map>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <fmt/format.h>

#include "videocontrol/log.hpp"
#include "videocontrol/version.hpp"

namespace vc::server {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kHeaderLimit = 16 * 1024;
constexpr std::size_t kDrainLimit = 4 * 1024 * 1024;  // bytes discarded after refusing a body
constexpr auto kDrainTime = std::chrono::seconds(2);
constexpr auto kBodyTimeout = std::chrono::seconds(120);
const std::string kServerHeader = std::string("videocontrol/") + VIDEOCONTROL_VERSION;

}  // namespace

class Session;

struct HttpServer::Impl {
  Impl(HttpServerOptions o, const Router& r)
      : options(std::move(o)), router(r), ioc(static_cast<int>(std::max(1u, options.network_threads))),
        acceptor(ioc), signals(ioc), deadline(ioc), pool(std::max(1u, options.worker_threads)) {}

  void accept();
  void begin_shutdown();
  void session_started(Session* s, std::weak_ptr<Session> w);
  void session_ended(Session* s);
  // While draining: cancels the shutdown deadline once no session and no WebSocket is left.
  void check_drained();

  HttpServerOptions options;
  const Router& router;
  net::io_context ioc;
  tcp::acceptor acceptor;
  net::signal_set signals;
  net::steady_timer deadline;
  net::thread_pool pool;
  std::atomic<bool> draining{false};
  std::mutex sessions_mu;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions;
  std::unordered_map<std::string, WebSocketHandler> ws_handlers;
  std::vector<std::function<void()>> shutdown_hooks;
  std::mutex websockets_mu;
  std::unordered_map<void*, std::weak_ptr<WebSocketConnection>> websockets;
};

// A WebSocket on the server's strand-per-connection model: reads continuously, writes a queue.
class BeastWebSocket : public WebSocketConnection, public std::enable_shared_from_this<BeastWebSocket> {
 public:
  BeastWebSocket(HttpServer::Impl& server, beast::tcp_stream stream) : server_(server), ws_(std::move(stream)) {
    ws_.read_message_max(1'000'000);  // Engine.IO maxPayload
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, kServerHeader); }));
  }
  ~BeastWebSocket() override {
    {
      std::lock_guard lock(server_.websockets_mu);
      server_.websockets.erase(this);
    }
    server_.check_drained();
  }

  template <class Request, class Done>
  void accept(const Request& req, Done done) {
    {
      std::lock_guard lock(server_.websockets_mu);
      server_.websockets.emplace(this, weak_from_this());
    }
    ws_.async_accept(req, [self = shared_from_this(), done = std::move(done)](beast::error_code ec) mutable { done(ec); });
  }

  void start(Handlers h) override {
    net::dispatch(ws_.get_executor(), [self = shared_from_this(), h = std::move(h)]() mutable {
      self->handlers_ = std::move(h);
      self->read();
    });
  }

  void send(std::string text) override {
    net::post(ws_.get_executor(), [self = shared_from_this(), text = std::move(text)]() mutable {
      if (self->closed_) return;
      self->out_.push_back(std::move(text));
      if (!self->writing_) self->write();
    });
  }

  void close() override {
    net::post(ws_.get_executor(), [self = shared_from_this()] {
      if (self->closed_ || self->closing_) return;
      self->closing_ = true;
      if (self->writing_) return;  // closes after the queue drains
      self->do_close();
    });
  }

 private:
  void read() {
    ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->finished();
      std::string msg = beast::buffers_to_string(self->buffer_.data());
      self->buffer_.consume(self->buffer_.size());
      self->buffer_.shrink_to_fit();  // idle connections keep no read buffer
      if (self->handlers_.on_message) self->handlers_.on_message(std::move(msg), !self->ws_.got_text());
      self->read();
    });
  }

  void write() {
    writing_ = true;
    ws_.text(true);
    ws_.async_write(net::buffer(out_.front()), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->out_.pop_front();
      self->writing_ = false;
      if (ec || self->closed_) {  // finished() meanwhile (a read error) left the queue to us
        self->out_.clear();
        return self->finished();
      }
      if (!self->out_.empty()) return self->write();
      if (self->closing_) self->do_close();
    });
  }

  void do_close() {
    ws_.async_close(websocket::close_code::normal, [self = shared_from_this()](beast::error_code) { self->finished(); });
  }

  void finished() {
    if (closed_) return;
    closed_ = true;
    if (!writing_) out_.clear();  // a write in flight still uses out_.front(); its handler clears
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().close(ec);
    if (handlers_.on_close) handlers_.on_close();
    handlers_ = {};  // break reference cycles held by the callbacks
  }

  HttpServer::Impl& server_;
  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buffer_;
  std::deque<std::string> out_;
  Handlers handlers_;
  bool writing_ = false, closing_ = false, closed_ = false;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(HttpServer::Impl& server, tcp::socket socket)
      : server_(server), stream_(std::move(socket)) {
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = ep.address().to_string();
  }
  ~Session() {
    close_file();
    server_.session_ended(this);
  }

  void start() {
    server_.session_started(this, weak_from_this());
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read_header(); });
  }

  // Called on shutdown: a connection waiting for a new request is closed now; one in the middle of
  // a request finishes it (keep-alive is off while draining).
  void close_if_idle() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->waiting_for_request_ && self->buffer_.size() == 0) {
        beast::error_code ec;
        self->stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
        self->stream_.close();
      }
    });
  }

 private:
  void read_header() {
    if (server_.draining) return close();
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    // Beast's own default cap would fail the header read; our per-route cap is checked in on_header.
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    waiting_for_request_ = true;
    stream_.expires_after(std::chrono::milliseconds(server_.options.idle_timeout_ms));
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    waiting_for_request_ = false;
    started_ = Clock::now();
    if (ec) {
      if (ec == http::error::end_of_stream || ec == net::error::operation_aborted || ec == beast::error::timeout ||
          ec == net::error::connection_reset || ec == net::error::eof)
        return close();
      // Malformed request line or headers: answer 400 once and close.
      method_ = "-";
      path_ = "-";
      return send(Response::error(400, "invalid", fmt::format("malformed HTTP request: {}", ec.message())), false);
    }
    auto& req = parser_->get();
    method_ = std::string(req.method_string());
    target_ = std::string(req.target());
    path_ = target_.substr(0, target_.find('?'));
    if (websocket::is_upgrade(req)) {
      if (auto h = server_.ws_handlers.find(path_); h != server_.ws_handlers.end()) return upgrade(h->second);
    }
    match_ = server_.router.match(method_, path_);

    std::uint64_t limit = server_.options.max_body_bytes;
    if (match_.kind == RouteMatch::Kind::found && match_.route->options.max_body_bytes > 0)
      limit = match_.route->options.max_body_bytes;
    limit_ = limit;
    if (auto len = parser_->content_length(); len && *len > limit)
      return refuse_too_large();
    parser_->body_limit(limit);
    if (match_.kind == RouteMatch::Kind::found && match_.route->options.stream) return start_stream();

    if (beast::iequals(req[http::field::expect], "100-continue")) {
      net::async_write(stream_, net::buffer(kContinue),
                       [self = shared_from_this()](beast::error_code ec, std::size_t) {
                         if (ec) return self->close();
                         self->read_body();
                       });
      return;
    }
    read_body();
  }

  void read_body() {
    stream_.expires_after(kBodyTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_body(ec); });
  }

  void on_body(beast::error_code ec) {
    if (ec == http::error::body_limit) return refuse_too_large();
    if (ec) {
      if (ec == net::error::operation_aborted || ec == beast::error::timeout || ec == http::error::end_of_stream ||
          ec == net::error::eof || ec == net::error::connection_reset || ec == http::error::partial_message)
        return close();
      return send(Response::error(400, "invalid", fmt::format("malformed HTTP request: {}", ec.message())), false);
    }
    stream_.expires_never();
    auto msg = parser_->release();
    keep_alive_ = msg.keep_alive();

    if (match_.kind == RouteMatch::Kind::not_found)
      return send(Response::error(404, "not_found", fmt::format("no route for {} {}", method_, path_)), keep_alive_);
    if (match_.kind == RouteMatch::Kind::method_not_allowed) {
      std::string allow;
      for (const auto& m : match_.allowed) allow += (allow.empty() ? "" : ", ") + m;
      auto r = Response::error(405, "method_not_allowed", fmt::format("{} is not allowed on {}; use {}", method_, path_, allow));
      r.headers.emplace_back("Allow", allow);
      return send(std::move(r), keep_alive_);
    }

    auto req = make_request(msg.base());
    req->body = std::move(msg.body());

    const Route* route = match_.route;
    if (route->options.inline_handler) return send(invoke(*route, *req), keep_alive_);
    if (route->options.async) {
      // Answered later from any thread (long-polling); the guard keeps run() alive until then.
      auto once = std::make_shared<std::atomic<bool>>(false);
      Responder respond = [self = shared_from_this(), once,
                           guard = std::make_shared<net::executor_work_guard<net::io_context::executor_type>>(
                               server_.ioc.get_executor())](Response res) mutable {
        if (once->exchange(true)) return;
        net::post(self->stream_.get_executor(), [self, res = std::move(res), guard]() mutable {
          self->send(std::move(res), self->keep_alive_);
        });
      };
      try {
        route->options.async(req, std::move(respond));
      } catch (const std::exception& e) {
        log_error("async handler threw", {{"path", req->path}, {"error", e.what()}});
      }
      return;
    }

    // Blocking work goes to the pool; the work guard keeps run() alive until the answer is posted back.
    net::post(server_.pool, [self = shared_from_this(), route, req,
                             guard = net::make_work_guard(server_.ioc)]() mutable {
      Response res = invoke(*route, *req);
      net::post(self->stream_.get_executor(), [self, res = std::move(res), guard = std::move(guard)]() mutable {
        self->send(std::move(res), self->keep_alive_);
      });
    });
  }

  std::shared_ptr<Request> make_request(const http::request_header<>& h) {
    auto req = std::make_shared<Request>();
    req->method = method_;
    req->target = target_;
    req->path = path_;
    if (auto q = target_.find('?'); q != std::string::npos) req->query = target_.substr(q + 1);
    for (const auto& f : h) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req->headers.emplace_back(std::move(name), std::string(f.value()));
    }
    req->params = std::move(match_.params);
    req->remote_address = remote_;
    return req;
  }

  // ---- WebSocket upgrade --------------------------------------------------------------------
  void upgrade(const WebSocketHandler& handler) {
    auto req = make_request(parser_->get().base());
    auto msg = parser_->release();
    stream_.expires_never();
    status_ = 101;
    log_access();
    auto ws = std::make_shared<BeastWebSocket>(server_, std::move(stream_));
    ws->accept(msg, [ws, req, handler](beast::error_code ec) {
      if (ec) return;  // the handshake failed; the socket closes with ws
      handler(req, ws);
    });
    // This HTTP session ends here; the socket now belongs to the WebSocket.
  }

  // ---- streamed request bodies (uploads) ----------------------------------------------------
  // The route decides from the headers (on a worker: it may hit the database); then the body is
  // read one chunk at a time, each chunk handed to the sink on a worker before the next is read,
  // so memory stays bounded by one chunk whatever the upload's size.

  void start_stream() {
    keep_alive_ = parser_->get().keep_alive();
    expect_continue_ = beast::iequals(parser_->get()[http::field::expect], "100-continue");
    auto req = make_request(parser_->get().base());
    const Route* route = match_.route;
    net::post(server_.pool, [self = shared_from_this(), route, req, guard = net::make_work_guard(server_.ioc)]() mutable {
      StreamStart start;
      try {
        start = route->options.stream(*req);
      } catch (const std::exception& e) {
        log_error("stream handler threw", {{"path", req->path}, {"error", e.what()}});
        start.refusal = Response::error(500, "internal", "internal error; see the server log");
      }
      net::post(self->stream_.get_executor(),
                [self, start = std::make_shared<StreamStart>(std::move(start)), guard = std::move(guard)]() mutable {
                  self->on_stream_start(std::move(*start));
                });
    });
  }

  void on_stream_start(StreamStart start) {
    if (!start.sink) return send(std::move(start.refusal), false);  // body unread: close after answering
    sink_ = std::shared_ptr<BodySink>(std::move(start.sink));
    stream_parser_.emplace(std::move(*parser_));
    stream_parser_->body_limit(limit_);
    // Beast reads only into the buffer's free space; the header-sized buffer would mean ~500-byte
    // reads (and a timer reset each). 64 KiB reads are ~5x faster for uploads.
    buffer_.reserve(64 * 1024);
    if (!chunk_) chunk_ = std::make_shared<std::vector<char>>(kChunkBytes);
    if (expect_continue_) {
      net::async_write(stream_, net::buffer(kContinue), [self = shared_from_this()](beast::error_code ec, std::size_t) {
        if (ec) {
          self->drop_stream();
          return self->close();
        }
        self->read_chunk();
      });
      return;
    }
    read_chunk();
  }

  void read_chunk() {
    if (stream_parser_->is_done()) return finish_stream();
    auto& body = stream_parser_->get().body();
    body.data = chunk_->data();
    body.size = chunk_->size();
    stream_.expires_after(kBodyTimeout);
    http::async_read(stream_, buffer_, *stream_parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_chunk(ec); });
  }

  void on_chunk(beast::error_code ec) {
    if (ec == http::error::need_buffer) ec = {};
    if (ec == http::error::body_limit) {
      drop_stream();
      return refuse_too_large();
    }
    if (ec) {  // client went away or sent garbage: drop what was stored
      drop_stream();
      return close();
    }
    const std::size_t got = chunk_->size() - stream_parser_->get().body().size;
    net::post(server_.pool, [self = shared_from_this(), got, guard = net::make_work_guard(server_.ioc)]() mutable {
      Result<void> r;
      try {
        r = self->sink_->write(std::string_view(self->chunk_->data(), got));
      } catch (const std::exception& e) {
        r = make_error(ErrorCode::internal, e.what());
      }
      net::post(self->stream_.get_executor(), [self, r = std::move(r), guard = std::move(guard)]() mutable {
        if (!r.ok()) {
          self->drop_stream();
          return self->send(Response::error(r.error()), false);
        }
        self->read_chunk();
      });
    });
  }

  void finish_stream() {
    stream_.expires_never();
    net::post(server_.pool, [self = shared_from_this(), guard = net::make_work_guard(server_.ioc)]() mutable {
      Response res;
      try {
        res = self->sink_->finish();
      } catch (const std::exception& e) {
        log_error("stream sink threw", {{"path", self->path_}, {"error", e.what()}});
        res = Response::error(500, "internal", "internal error; see the server log");
      }
      std::shared_ptr<BodySink> done = std::move(self->sink_);
      done.reset();  // on the worker: a sink's destructor may touch the disk
      net::post(self->stream_.get_executor(), [self, res = std::move(res), guard = std::move(guard)]() mutable {
        self->stream_parser_.reset();
        self->buffer_.shrink_to_fit();  // keep-alive connections go back to a small buffer
        self->send(std::move(res), self->keep_alive_);
      });
    });
  }

  // Destroys the sink on a worker (it deletes partial files there) and forgets the parser.
  void drop_stream() {
    if (sink_) net::post(server_.pool, [s = std::move(sink_)]() mutable { s.reset(); });
    stream_parser_.reset();
  }

  static Response invoke(const Route& route, Request& req) {
    try {
      return route.handler(req);
    } catch (const std::exception& e) {
      log_error("handler threw", {{"path", req.path}, {"error", e.what()}});
      return Response::error(500, "internal", "internal error; see the server log");
    }
  }

  void refuse_too_large() {
    send(Response::error(413, "too_large",
                         fmt::format("request body is larger than the {} bytes this route accepts", limit_)),
         false);
  }

  void send(Response r, bool keep_alive) {
    const bool head = method_ == "HEAD";
    keep_alive = keep_alive && !server_.draining;
    status_ = r.status;
    if (r.file) return send_file(std::move(r), keep_alive, head);
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(11);
    res->result(static_cast<unsigned>(r.status));
    res->set(http::field::server, kServerHeader);
    if (!r.content_type.empty()) res->set(http::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers) res->set(k, v);
    res->keep_alive(keep_alive);
    bytes_ = r.body.size();
    if (r.status != 204 && r.status != 304) res->content_length(r.body.size());  // RFC 9110 §8.6
    if (!head) res->body() = std::move(r.body);
    stream_.expires_after(kBodyTimeout);
    http::async_write(stream_, *res, [self = shared_from_this(), res, keep_alive](beast::error_code ec, std::size_t) {
      self->log_access();
      if (ec) return self->close();
      if (!keep_alive) return self->linger_close();
      self->read_header();
    });
  }

  // ---- file bodies (media downloads) --------------------------------------------------------
  // The header goes out with the file's Content-Length; then chunks are read on a worker (disk
  // reads may block) and written from the network thread, one chunk in flight at a time.

  void send_file(Response r, bool keep_alive, bool head) {
    const FileBody f = *r.file;
    const auto& accel_root = server_.options.accel_root;
    if (!server_.options.accel_prefix.empty() && !accel_root.empty() && f.path.starts_with(accel_root)) {
      // NGINX re-runs the request against its internal location (applying the client's Range), so
      // the bytes never pass through this process.
      r.file.reset();
      r.status = 200;
      std::erase_if(r.headers, [](const auto& h) { return beast::iequals(h.first, "Content-Range"); });
      r.headers.emplace_back("X-Accel-Redirect", server_.options.accel_prefix + f.path.substr(accel_root.size()));
      return send(std::move(r), keep_alive);
    }
    file_fd_ = ::open(f.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (file_fd_ < 0) {
      log_error("cannot open media file", {{"path", f.path}, {"error", std::strerror(errno)}});
      r = Response::error(500, "internal", "the media bytes cannot be read; see the server log");
      return send(std::move(r), keep_alive);
    }
    auto res = std::make_shared<http::response<http::empty_body>>();
    res->version(11);
    res->result(static_cast<unsigned>(r.status));
    res->set(http::field::server, kServerHeader);
    if (!r.content_type.empty()) res->set(http::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers) res->set(k, v);
    res->keep_alive(keep_alive);
    res->content_length(static_cast<std::uint64_t>(f.length));
    bytes_ = head ? 0 : static_cast<std::size_t>(f.length);
    file_offset_ = f.offset;
    file_remain_ = head ? 0 : f.length;
    stream_.expires_after(kBodyTimeout);
    http::async_write(stream_, *res, [self = shared_from_this(), res, keep_alive](beast::error_code ec, std::size_t) {
      if (ec) {
        self->close_file();
        self->log_access();
        return self->close();
      }
      self->pump_file(keep_alive);
    });
  }

  void pump_file(bool keep_alive) {
    if (file_remain_ <= 0) {
      close_file();
      log_access();
      if (!keep_alive) return linger_close();
      return read_header();
    }
    if (!chunk_) chunk_ = std::make_shared<std::vector<char>>(kChunkBytes);
    const auto want = static_cast<std::size_t>(std::min<std::int64_t>(file_remain_, static_cast<std::int64_t>(chunk_->size())));
    net::post(server_.pool, [self = shared_from_this(), want, keep_alive, guard = net::make_work_guard(server_.ioc)]() mutable {
      ssize_t n;
      do n = ::pread(self->file_fd_, self->chunk_->data(), want, self->file_offset_);
      while (n < 0 && errno == EINTR);
      net::post(self->stream_.get_executor(), [self, n, keep_alive, guard = std::move(guard)]() mutable {
        if (n <= 0) {  // the file shrank or failed mid-response: the length promised cannot be kept
          log_error("media file read failed mid-response", {{"path", self->path_}});
          self->close_file();
          return self->close();
        }
        self->stream_.expires_after(kBodyTimeout);
        net::async_write(self->stream_, net::buffer(self->chunk_->data(), static_cast<std::size_t>(n)),
                         [self, n, keep_alive](beast::error_code ec, std::size_t) {
                           if (ec) {
                             self->close_file();
                             self->log_access();
                             return self->close();
                           }
                           self->file_offset_ += n;
                           self->file_remain_ -= n;
                           self->pump_file(keep_alive);
                         });
      });
    });
  }

  void close_file() {
    if (file_fd_ >= 0) ::close(file_fd_);
    file_fd_ = -1;
  }

  void log_access() {
    if (!log_enabled(LogLevel::info)) return;
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - started_).count();
    LogField latency("latency_ms", fmt::format("{:.3f}", ms));
    latency.quoted = false;
    log_info("http request", {{"method", method_}, {"path", path_}, {"status", status_},
                              {"bytes", static_cast<std::uint64_t>(bytes_)}, latency, {"remote", remote_}});
  }

  // Half-close, then discard what the client is still sending for a moment, so that it reads our
  // answer instead of a reset (the kernel resets a socket closed with unread data).
  void linger_close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return close();
    stream_.expires_after(kDrainTime);
    drain_ = std::make_shared<std::array<char, 16384>>();
    drain();
  }

  void drain() {
    stream_.async_read_some(net::buffer(*drain_), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      self->drained_ += n;
      if (ec || self->drained_ > kDrainLimit) return self->close();
      self->drain();
    });
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

  static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
  static constexpr std::size_t kChunkBytes = 256 * 1024;

  HttpServer::Impl& server_;
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
  std::shared_ptr<std::array<char, 16384>> drain_;
  std::size_t drained_ = 0;
};

void HttpServer::Impl::accept() {
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
      log_warn("accept failed", {{"error", ec.message()}});
    } else {
      // Realtime frames are small and often go out back to back (an event, then its ack): with
      // Nagle's algorithm the second waited for the client's delayed ACK, ~10 ms on the control path.
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      std::make_shared<Session>(*this, std::move(socket))->start();
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

void HttpServer::Impl::begin_shutdown() {
  if (draining.exchange(true)) return;
  log_info("shutting down: no new connections, finishing in-flight requests",
           {{"deadline_ms", options.shutdown_timeout_ms}});
  beast::error_code ec;
  acceptor.close(ec);
  signals.cancel(ec);
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

void HttpServer::shutdown() {
  net::post(impl_->ioc, [this] { impl_->begin_shutdown(); });
}

}  // namespace vc::server
