// The Beast side of WebSocketConnection (websocket.hpp): one upgraded connection.
#include <utility>

#include "http_metrics.hpp"
#include "http_server_impl.hpp"
#include "videocontrol/log.hpp"

namespace vc::server {

BeastWebSocket::BeastWebSocket(HttpServer::Impl& server, beast::tcp_stream stream, std::unique_ptr<AddressSlot> slot)
    : server_(server), ws_(std::move(stream)), slot_(std::move(slot)) {
  ws_.read_message_max(1'000'000);  // Engine.IO maxPayload
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws_.set_option(websocket::stream_base::decorator(
      [header = server.server_header](websocket::response_type& res) { res.set(http::field::server, header); }));
}

BeastWebSocket::~BeastWebSocket() {
  {
    std::lock_guard lock(server_.websockets_mu);
    server_.websockets.erase(this);
  }
  server_.check_drained();
}

void BeastWebSocket::accept(const http::request<http::string_body>& req,
                            std::function<void(beast::error_code)> done) {
  {
    std::lock_guard lock(server_.websockets_mu);
    server_.websockets.emplace(this, weak_from_this());
  }
  ws_.async_accept(req, [self = shared_from_this(), done = std::move(done)](beast::error_code ec) mutable {
    self->accepted_ = true;
    done(ec);
    // Closed (a server shutdown) while the handshake was in flight: close now that it is done.
    if (!ec && self->closing_ && !self->writing_ && !self->closed_) self->do_close();
  });
}

void BeastWebSocket::start(Handlers h) {
  net::dispatch(ws_.get_executor(), [self = shared_from_this(), h = std::move(h)]() mutable {
    self->handlers_ = std::move(h);
    self->read();
  });
}

void BeastWebSocket::send(std::string text) {
  net::post(ws_.get_executor(), [self = shared_from_this(), text = std::move(text)]() mutable {
    if (self->closed_ || self->closing_) return;  // nothing may follow the close frame
    const std::size_t limit = self->server_.options.websocket_max_queued_bytes;
    if (limit > 0 && self->out_bytes_ + text.size() > limit) {
      // The peer does not read what it is sent (or cannot keep up): every frame would wait in
      // memory. No close frame (it would queue behind the rest): the socket is closed.
      log_warn("closing a WebSocket whose client does not read (REALTIME_MAX_QUEUED_BYTES)",
               {{"queued_bytes", static_cast<std::uint64_t>(self->out_bytes_)},
                {"limit", static_cast<std::uint64_t>(limit)}});
      if (auto* m = self->server_.options.metrics) m->connection_dropped(HttpMetrics::Drop::slow_consumer);
      return self->finished();
    }
    self->out_bytes_ += text.size();
    self->out_.push_back(std::move(text));
    if (!self->writing_) self->write();
  });
}

void BeastWebSocket::close() {
  net::post(ws_.get_executor(), [self = shared_from_this()] {
    if (self->closed_ || self->closing_) return;
    self->closing_ = true;
    if (!self->accepted_) return;  // the accept's handler closes
    if (self->writing_) return;    // closes after the queue drains
    self->do_close();
  });
}

void BeastWebSocket::read() {
  ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
    if (ec) return self->finished();
    std::string msg = beast::buffers_to_string(self->buffer_.data());
    self->buffer_.consume(self->buffer_.size());
    self->buffer_.shrink_to_fit();  // idle connections keep no read buffer
    if (self->handlers_.on_message) self->handlers_.on_message(std::move(msg), !self->ws_.got_text());
    self->read();
  });
}

void BeastWebSocket::write() {
  writing_ = true;
  ws_.text(true);
  ws_.async_write(net::buffer(out_.front()), [self = shared_from_this()](beast::error_code ec, std::size_t) {
    self->out_bytes_ -= self->out_.front().size();
    self->out_.pop_front();
    self->writing_ = false;
    if (ec || self->closed_) {  // finished() meanwhile (a read error) left the queue to us
      self->out_.clear();
      self->out_bytes_ = 0;
      return self->finished();
    }
    if (!self->out_.empty()) return self->write();
    if (self->closing_) self->do_close();
  });
}

void BeastWebSocket::do_close() {
  ws_.async_close(websocket::close_code::normal, [self = shared_from_this()](beast::error_code) { self->finished(); });
}

void BeastWebSocket::finished() {
  if (closed_) return;
  closed_ = true;
  if (!writing_) {  // a write in flight still uses out_.front(); its handler clears
    out_.clear();
    out_bytes_ = 0;
  }
  beast::error_code ec;
  beast::get_lowest_layer(ws_).socket().close(ec);
  if (handlers_.on_close) handlers_.on_close();
  handlers_ = {};  // break reference cycles held by the callbacks
}

}  // namespace vc::server
