// One HTTP/1.1 connection (Session, declared in http_server_impl.hpp): reading and parsing
// requests, body limits, routing to handlers (inline, async or on the worker pool), streamed upload
// bodies, responses and file bodies, keep-alive and closing. An upgrade hands the socket to a
// BeastWebSocket (websocket_session.cpp).
#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <limits>
#include <optional>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "http_headers.hpp"
#include "http_metrics.hpp"
#include "http_server_impl.hpp"
#include "videocontrol/log.hpp"

namespace vc::server {

namespace {

constexpr std::size_t kHeaderLimit = 16 * 1024;
constexpr std::size_t kDrainLimit = 4 * 1024 * 1024;  // bytes discarded after refusing a body
constexpr auto kDrainTime = std::chrono::seconds(2);
constexpr auto kBodyTimeout = std::chrono::seconds(120);
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
constexpr std::size_t kChunkBytes = 256 * 1024;
// Files up to this size (pictures, page images, small clips' ranges) are read at once and sent with
// their header in one write, like nginx's sendfile from the event loop: a player's 10 KB image
// then costs one read and one write instead of two writes and two trips through the worker pool.
constexpr std::int64_t kInlineFileBytes = 64 * 1024;

// What makes a request's framing unsafe to act on, or nullopt. Such a request is answered 400 and
// the connection closed, never read on: where its body ends is ambiguous, so what follows could be
// taken for a second request (request smuggling, RFC 9112 §6.3 and §11.2).
std::optional<std::string> framing_error(const http::request_header<>& req) {
  std::string te;
  for (const auto& f : req) {
    if (f.name() != http::field::transfer_encoding) continue;
    if (!te.empty()) te += ", ";
    te.append(f.value().data(), f.value().size());
  }
  const bool has_te = req.find(http::field::transfer_encoding) != req.end();
  if (has_te) {
    if (req.version() < 11) return "Transfer-Encoding is not allowed in an HTTP/1.0 request";
    if (!last_coding_is_chunked(te))
      return fmt::format("Transfer-Encoding '{}' is not supported: the last coding must be chunked", te);
    if (req.find(http::field::content_length) != req.end())
      return "a request must not have both Transfer-Encoding and Content-Length";
  }
  const auto hosts = req.count(http::field::host);
  if (req.version() >= 11 && hosts == 0) return "an HTTP/1.1 request needs a Host header";
  if (hosts > 1) return "a request must have one Host header, not several";
  return std::nullopt;
}

}  // namespace

Session::Session(HttpServer::Impl& server, tcp::socket socket, std::unique_ptr<AddressSlot> slot)
    : server_(server), slot_(std::move(slot)), stream_(std::move(socket)) {
  beast::error_code ec;
  auto ep = stream_.socket().remote_endpoint(ec);
  if (!ec) remote_ = ep.address().to_string();
}

Session::~Session() {
  if (counted_ && server_.options.metrics) server_.options.metrics->request_finished(method_, route_label_, 0, 0);
  close_file();
  server_.session_ended(this);
}

void Session::start() {
  server_.session_started(this, weak_from_this());
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read_header(); });
}

void Session::close_if_idle() {
  net::post(stream_.get_executor(), [self = shared_from_this()] {
    if (self->waiting_for_request_ && self->buffer_.size() == 0) {
      beast::error_code ec;
      self->stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
      self->stream_.close();
    }
  });
}

void Session::read_header() {
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

void Session::on_header(beast::error_code ec) {
  waiting_for_request_ = false;
  started_ = Clock::now();
  route_label_ = "unmatched";
  if (ec) {
    if (ec == http::error::end_of_stream || ec == net::error::operation_aborted || ec == beast::error::timeout ||
        ec == net::error::connection_reset || ec == net::error::eof)
      return close();
    // Malformed request line or headers: answer 400 once and close.
    method_ = "-";
    path_ = "-";
    begin_request();
    return send(Response::error(400, "invalid", fmt::format("malformed HTTP request: {}", ec.message())), false);
  }
  auto& req = parser_->get();
  method_ = std::string(req.method_string());
  target_ = std::string(req.target());
  path_ = target_.substr(0, target_.find('?'));
  begin_request();
  if (auto bad = framing_error(req)) return send(Response::error(400, "invalid", *bad), false);
  if (websocket::is_upgrade(req)) {
    if (auto h = server_.ws_handlers.find(path_); h != server_.ws_handlers.end()) {
      route_label_ = h->first;
      return upgrade(h->second);
    }
  }
  match_ = server_.router.match(method_, path_);
  if (match_.kind == RouteMatch::Kind::found) route_label_ = match_.route->pattern;

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

void Session::read_body() {
  stream_.expires_after(kBodyTimeout);
  http::async_read(stream_, buffer_, *parser_,
                   [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_body(ec); });
}

void Session::on_body(beast::error_code ec) {
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

std::shared_ptr<Request> Session::make_request(const http::request_header<>& h) {
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
void Session::upgrade(const WebSocketHandler& handler) {
  auto req = make_request(parser_->get().base());
  auto msg = parser_->release();
  stream_.expires_never();
  status_ = 101;
  log_access();
  auto ws = std::make_shared<BeastWebSocket>(server_, std::move(stream_), std::move(slot_));
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

void Session::start_stream() {
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

void Session::on_stream_start(StreamStart start) {
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

void Session::read_chunk() {
  if (stream_parser_->is_done()) return finish_stream();
  auto& body = stream_parser_->get().body();
  body.data = chunk_->data();
  body.size = chunk_->size();
  stream_.expires_after(kBodyTimeout);
  http::async_read(stream_, buffer_, *stream_parser_,
                   [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_chunk(ec); });
}

void Session::on_chunk(beast::error_code ec) {
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

void Session::finish_stream() {
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
void Session::drop_stream() {
  if (sink_) net::post(server_.pool, [s = std::move(sink_)]() mutable { s.reset(); });
  stream_parser_.reset();
}

Response Session::invoke(const Route& route, Request& req) {
  try {
    return route.handler(req);
  } catch (const std::exception& e) {
    log_error("handler threw", {{"path", req.path}, {"error", e.what()}});
    return Response::error(500, "internal", "internal error; see the server log");
  }
}

void Session::refuse_too_large() {
  send(Response::error(413, "too_large",
                       fmt::format("request body is larger than the {} bytes this route accepts", limit_)),
       false);
}

// On every answer, unless its route set them: no MIME sniffing; no framing (no page of ours is meant
// to be embedded); an HTML answer that carries no policy of its own (the pages of routes_web.cpp do)
// gets one that allows nothing; and the API's JSON (tokens, and whatever an authenticated caller
// reads) is never stored by a cache.
template <class Fields>
void Session::add_security_headers(Fields& res, std::string_view content_type) const {
  if (res.find("X-Content-Type-Options") == res.end()) res.set("X-Content-Type-Options", "nosniff");
  if (res.find(http::field::x_frame_options) == res.end()) res.set(http::field::x_frame_options, "DENY");
  if (content_type.starts_with("text/html") && res.find("Content-Security-Policy") == res.end())
    res.set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
  if (path_.starts_with("/api/") && content_type.starts_with("application/json") &&
      res.find(http::field::cache_control) == res.end())
    res.set(http::field::cache_control, "no-store");
}

void Session::send(Response r, bool keep_alive) {
  const bool head = method_ == "HEAD";
  keep_alive = keep_alive && !server_.draining && !server_.soft_draining;
  status_ = r.status;
  if (r.file) return send_file(std::move(r), keep_alive, head);
  auto res = std::make_shared<http::response<http::string_body>>();
  res->version(11);
  res->result(static_cast<unsigned>(r.status));
  res->set(http::field::server, server_.server_header);
  if (!r.content_type.empty()) res->set(http::field::content_type, r.content_type);
  for (auto& [k, v] : r.headers) res->insert(k, v);  // insert: Set-Cookie may repeat
  add_security_headers(*res, r.content_type);
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
// A small file (kInlineFileBytes) is read on the network thread and goes out with its header in one
// write. Otherwise the header goes out with the file's Content-Length; then chunks are read on a
// worker (disk reads may block) and written from the network thread, one chunk in flight at a time.

void Session::send_file(Response r, bool keep_alive, bool head) {
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
  if (!head && f.length <= kInlineFileBytes) {
    std::string body(static_cast<std::size_t>(f.length), '\0');
    std::size_t got = 0;
    const int fd = ::open(f.path.c_str(), O_RDONLY | O_CLOEXEC);
    while (fd >= 0 && got < body.size()) {
      const ssize_t n = ::pread(fd, body.data() + got, body.size() - got, f.offset + static_cast<off_t>(got));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    const int read_errno = errno;
    if (fd >= 0) ::close(fd);
    if (got != body.size()) {
      log_error("cannot read media file", {{"path", f.path}, {"error", fd < 0 || got == 0 ? std::strerror(read_errno) : "shorter than recorded"}});
      return send(Response::error(500, "internal", "the media bytes cannot be read; see the server log"), keep_alive);
    }
    r.file.reset();
    r.body = std::move(body);
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
  res->set(http::field::server, server_.server_header);
  if (!r.content_type.empty()) res->set(http::field::content_type, r.content_type);
  for (auto& [k, v] : r.headers) res->insert(k, v);  // insert: Set-Cookie may repeat
  add_security_headers(*res, r.content_type);
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

void Session::pump_file(bool keep_alive) {
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

void Session::close_file() {
  if (file_fd_ >= 0) ::close(file_fd_);
  file_fd_ = -1;
}

void Session::begin_request() {
  if (!server_.options.metrics) return;
  if (counted_) server_.options.metrics->request_finished(method_, route_label_, 0, 0);  // never answered
  server_.options.metrics->request_started();
  counted_ = true;
}

void Session::log_access() {
  const auto took = Clock::now() - started_;
  if (counted_ && server_.options.metrics) {
    counted_ = false;
    server_.options.metrics->request_finished(method_, route_label_, status_, std::chrono::duration<double>(took).count());
  }
  if (!log_enabled(LogLevel::info)) return;
  const double ms = std::chrono::duration<double, std::milli>(took).count();
  LogField latency("latency_ms", fmt::format("{:.3f}", ms));
  latency.quoted = false;
  log_info("http request", {{"method", method_}, {"path", path_}, {"status", status_},
                            {"bytes", static_cast<std::uint64_t>(bytes_)}, latency, {"remote", remote_}});
}

// Half-close, then discard what the client is still sending for a moment, so that it reads our
// answer instead of a reset (the kernel resets a socket closed with unread data).
void Session::linger_close() {
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec) return close();
  stream_.expires_after(kDrainTime);
  drain_ = std::make_shared<std::array<char, 16384>>();
  drain();
}

void Session::drain() {
  stream_.async_read_some(net::buffer(*drain_), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
    self->drained_ += n;
    if (ec || self->drained_ > kDrainLimit) return self->close();
    self->drain();
  });
}

void Session::close() {
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream_.close();
}

}  // namespace vc::server
