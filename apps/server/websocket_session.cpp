// The Beast side of WebSocketConnection (websocket.hpp): one upgraded connection.
#include <utility>

#include "http_server_impl.hpp"

namespace vc::server {

BeastWebSocket::BeastWebSocket(HttpServer::Impl& server, beast::tcp_stream stream)
    : server_(server), ws_(std::move(stream)) {
  ws_.read_message_max(1'000'000);  // Engine.IO maxPayload
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(http::field::server, kServerHeader); }));
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

void BeastWebSocket::do_close() {
  ws_.async_close(websocket::close_code::normal, [self = shared_from_this()](beast::error_code) { self->finished(); });
}

void BeastWebSocket::finished() {
  if (closed_) return;
  closed_ = true;
  if (!writing_) out_.clear();  // a write in flight still uses out_.front(); its handler clears
  beast::error_code ec;
  beast::get_lowest_layer(ws_).socket().close(ec);
  if (handlers_.on_close) handlers_.on_close();
  handlers_ = {};  // break reference cycles held by the callbacks
}

}  // namespace vc::server
