#include "engineio_session.hpp"

#include <utility>

#include "json.hpp"

namespace vc::server {

Response eio_error(int code, std::string_view message) {
  return Response::json(400, std::move(JsonWriter().begin_object().key("code").value(code).key("message").value(message).end_object()).str());
}

Response eio_payload_response(std::string body) {
  Response r;
  r.status = 200;
  r.content_type = "text/plain; charset=UTF-8";
  r.body = std::move(body);
  return r;
}

void refuse_websocket(WebSocketConnection& ws) {
  ws.start({});
  ws.close();
}

EngineIoSession::EngineIoSession(std::string sid, const EngineIoOptions& options, Callbacks callbacks,
                                 std::int64_t now_ms)
    : sid_(std::move(sid)),
      ping_interval_ms_(options.ping_interval.count()),
      ping_timeout_ms_(options.ping_timeout.count()),
      max_payload_(options.max_payload),
      max_queued_bytes_(options.max_queued_bytes),
      callbacks_(std::move(callbacks)),
      next_ping_ms_(now_ms + ping_interval_ms_) {}

EngineIoSession::State EngineIoSession::state() const {
  std::lock_guard lock(mu_);
  return state_;
}

std::string EngineIoSession::open_packet(bool can_upgrade) const {
  JsonWriter w;
  w.begin_object().key("sid").value(sid_).key("upgrades").begin_array();
  if (can_upgrade) w.value("websocket");
  w.end_array().key("pingInterval").value(ping_interval_ms_).key("pingTimeout").value(ping_timeout_ms_);
  w.key("maxPayload").value(max_payload_).end_object();
  return "0" + w.str();
}

std::int64_t EngineIoSession::next_due_ms() const {
  std::lock_guard lock(mu_);
  return pong_deadline_ms_.value_or(next_ping_ms_);
}

void EngineIoSession::on_poll(Responder respond) {
  std::unique_lock lock(mu_);
  if (state_ == State::closed) return respond(eio_payload_response("1"));
  if (pending_poll_) {  // two polls at once break the protocol's ordering: end the session
    lock.unlock();
    close();
    return respond(eio_error(3, "Bad request: overlapping polls"));
  }
  if (state_ == State::websocket) return respond(eio_payload_response("6"));
  pending_poll_ = std::move(respond);
  flush_poll();
}

Response EngineIoSession::on_post(std::string_view body) {
  auto packets = eio::decode_payload(body);
  if (!packets) {
    close();
    return eio_error(3, "Bad request: " + packets.error().message);
  }
  After after;
  {
    std::lock_guard lock(mu_);
    for (auto& p : *packets) on_client_packet(std::move(p), after);
  }
  finish(after);
  Response ok = eio_payload_response("ok");
  ok.content_type = "text/html";
  return ok;
}

void EngineIoSession::attach_websocket(const std::shared_ptr<WebSocketConnection>& ws) {
  bool accepted = false;
  {
    std::lock_guard lock(mu_);
    if (state_ == State::polling) {  // only a fresh session takes a WebSocket this way
      ws_ = ws;
      state_ = State::websocket;
      accepted = true;
      // Under the lock, so the open packet is the first frame whatever the hub sends meanwhile; what
      // it sent before the WebSocket was attached follows.
      ws->send(open_packet(false));
      for (auto& text : queue_) ws->send(std::move(text));
      queue_.clear();
      queued_bytes_ = 0;
    }
  }
  if (!accepted) return refuse_websocket(*ws);
  ws->start(handlers_for(ws));
}

void EngineIoSession::offer_probe(const std::shared_ptr<WebSocketConnection>& ws) {
  bool accepted = false;
  {
    std::lock_guard lock(mu_);
    if (state_ == State::polling) {
      probe_ = ws;
      state_ = State::probing;
      accepted = true;
    }
  }
  if (!accepted) return refuse_websocket(*ws);
  ws->start(handlers_for(ws));
}

WebSocketConnection::Handlers EngineIoSession::handlers_for(const std::shared_ptr<WebSocketConnection>& ws) {
  // Weak both ways: the session holds its WebSockets, and a WebSocket's handlers must not keep the
  // session (or themselves) alive.
  std::weak_ptr<EngineIoSession> weak_session = weak_from_this();
  std::weak_ptr<WebSocketConnection> weak_ws = ws;
  return {[weak_session, weak_ws](std::string message, bool binary) {
            auto s = weak_session.lock();
            auto w = weak_ws.lock();
            if (s && w) s->on_websocket_message(*w, message, binary);
          },
          [weak_session, weak_ws] {
            auto s = weak_session.lock();
            auto w = weak_ws.lock();
            if (s && w) s->on_websocket_closed(*w);
          }};
}

void EngineIoSession::on_websocket_message(const WebSocketConnection& ws, std::string_view text, bool binary) {
  After after;
  {
    std::lock_guard lock(mu_);
    const bool transport = state_ == State::websocket && ws_.get() == &ws;
    const bool probe = state_ == State::probing && probe_.get() == &ws;
    if (!transport && !probe) return;  // closed, or a WebSocket the session no longer uses
    if (binary) {  // Socket.IO binary attachments are not supported
      close_locked(after);
    } else if (auto p = eio::decode_packet(text); !p) {
      close_locked(after);
    } else if (transport) {
      on_client_packet(std::move(*p), after);
    } else if (p->type == eio::PacketType::ping && p->data == "probe") {
      // Upgrade: 2probe → 3probe, then a noop ends the client's pending poll, then "5" switches.
      probe_->send("3probe");
      deliver("6", after);
    } else if (p->type == eio::PacketType::upgrade) {
      upgrade();
    } else {
      close_locked(after);  // anything else before the upgrade completes is a protocol error
    }
  }
  finish(after);
}

void EngineIoSession::upgrade() {
  ws_ = std::move(probe_);
  probe_ = nullptr;
  state_ = State::websocket;
  // Whatever waited for a poll now goes over the WebSocket, in order.
  std::vector<std::string> queued;
  queued.swap(queue_);
  queued_bytes_ = 0;
  for (auto& text : queued)
    if (text != "6") ws_->send(std::move(text));
  if (pending_poll_) {
    auto respond = std::move(pending_poll_);
    pending_poll_ = nullptr;
    respond(eio_payload_response("6"));
  }
}

void EngineIoSession::on_websocket_closed(const WebSocketConnection& ws) {
  After after;
  {
    std::lock_guard lock(mu_);
    if (state_ == State::websocket && ws_.get() == &ws) {
      close_locked(after);
    } else if (state_ == State::probing && probe_.get() == &ws) {
      probe_ = nullptr;  // a failed probe leaves polling working
      state_ = State::polling;
    }
  }
  finish(after);
}

std::optional<std::int64_t> EngineIoSession::on_tick(std::int64_t now_ms) {
  After after;
  std::optional<std::int64_t> next;
  {
    std::lock_guard lock(mu_);
    if (state_ == State::closed) return std::nullopt;
    if (pong_deadline_ms_) {
      if (now_ms > *pong_deadline_ms_) close_locked(after);
      else next = *pong_deadline_ms_;
    } else if (now_ms >= next_ping_ms_) {
      pong_deadline_ms_ = now_ms + ping_timeout_ms_;
      next_ping_ms_ = now_ms + ping_interval_ms_;
      deliver("2", after);
      next = *pong_deadline_ms_;  // then, if the pong came, on to next_ping_ms_
    } else {
      next = next_ping_ms_;
    }
  }
  finish(after);
  return next;
}

void EngineIoSession::send(std::string_view sio_packet) {
  std::string text;
  text.reserve(sio_packet.size() + 1);
  text.push_back('4');
  text += sio_packet;
  After after;
  {
    std::lock_guard lock(mu_);
    deliver(std::move(text), after);
  }
  finish(after);
}

void EngineIoSession::close() {
  After after;
  {
    std::lock_guard lock(mu_);
    close_locked(after);
  }
  finish(after);
}

void EngineIoSession::deliver(std::string packet_text, After& after) {
  if (state_ == State::closed) return;
  if (state_ == State::websocket) return ws_->send(std::move(packet_text));
  if (queued_bytes_ + packet_text.size() > max_queued_bytes_) {
    after.slow_consumer = true;
    return close_locked(after);
  }
  queued_bytes_ += packet_text.size();
  queue_.push_back(std::move(packet_text));
  flush_poll();
}

void EngineIoSession::flush_poll() {
  if (!pending_poll_ || queue_.empty()) return;
  // Text packets only are queued, so the payload is them joined by the record separator.
  std::string body;
  for (auto& text : queue_) {
    if (!body.empty()) body.push_back('\x1e');
    body += text;
  }
  queue_.clear();
  queued_bytes_ = 0;
  auto respond = std::move(pending_poll_);
  pending_poll_ = nullptr;
  respond(eio_payload_response(std::move(body)));
}

void EngineIoSession::close_locked(After& after) {
  if (state_ == State::closed) return;
  state_ = State::closed;
  if (pending_poll_) {
    auto respond = std::move(pending_poll_);
    pending_poll_ = nullptr;
    respond(eio_payload_response("1"));
  }
  if (ws_) after.to_close.push_back(std::move(ws_));
  if (probe_) after.to_close.push_back(std::move(probe_));
  ws_ = nullptr;
  probe_ = nullptr;
  queue_.clear();
  queued_bytes_ = 0;
  after.closed = true;
}

void EngineIoSession::on_client_packet(eio::Packet p, After& after) {
  if (state_ == State::closed) return;  // e.g. packets after a close packet in one payload
  switch (p.type) {
    case eio::PacketType::pong:
      pong_deadline_ms_.reset();
      return;
    case eio::PacketType::ping:
      if (p.data.size() > kMaxPingPayload) return close_locked(after);  // see kMaxPingPayload
      return deliver("3" + p.data, after);
    case eio::PacketType::message:
      if (p.binary) return close_locked(after);  // Socket.IO binary attachments are not supported
      after.to_hub.push_back(std::move(p.data));
      return;
    case eio::PacketType::close:
      return close_locked(after);
    default:
      return;  // upgrade/noop outside an upgrade: nothing to do
  }
}

void EngineIoSession::finish(After& after) {
  for (auto& text : after.to_hub)
    if (callbacks_.on_message) callbacks_.on_message(std::move(text));
  for (auto& ws : after.to_close) ws->close();
  if (after.slow_consumer && callbacks_.on_slow_consumer) callbacks_.on_slow_consumer();
  if (after.closed && callbacks_.on_closed) callbacks_.on_closed();
}

}  // namespace vc::server
