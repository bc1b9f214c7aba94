#include "engineio.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <fmt/format.h>

#include "videocontrol/clock.hpp"
#include "videocontrol/id.hpp"
#include "videocontrol/log.hpp"
#include "videocontrol/protocol/socketio.hpp"

namespace vc::server {
namespace {

namespace net = boost::asio;
using Strand = net::strand<net::thread_pool::executor_type>;

std::int64_t now_ms() { return system_clock()->now_ms(); }

Response eio_error(int code, std::string_view message) {
  // engine.io's own error shape, which client libraries understand.
  return Response::json(400, fmt::format(R"({{"code":{},"message":{}}})", code, sio::json_string(message)));
}

Response payload_response(std::string body) {
  Response r;
  r.status = 200;
  r.content_type = "text/plain; charset=UTF-8";
  r.body = std::move(body);
  return r;
}

}  // namespace

struct EioSession {
  EioSession(std::string s, ConnectionId c, Strand st) : sid(std::move(s)), cid(c), strand(std::move(st)) {}
  const std::string sid;
  const ConnectionId cid;
  Strand strand;  // orders this connection's hub calls

  std::mutex mu;
  bool closed = false;
  bool ws_active = false;
  std::vector<std::string> queue;             // packets waiting for a poll
  Responder pending_get;                      // a held long-poll, if any
  std::shared_ptr<WebSocketConnection> ws;    // once upgraded (or opened directly)
  std::shared_ptr<WebSocketConnection> probe; // during the upgrade
  std::int64_t next_ping_ms = 0;
  std::int64_t pong_deadline_ms = 0;          // 0 = no pong awaited
};

struct EngineIo::Impl {
  explicit Impl(EngineIoOptions o) : options(o), pool(std::max(1u, o.hub_threads)) { init_wheel(); }

  EngineIoOptions options;
  RealtimeHub* hub = nullptr;
  net::thread_pool pool;
  std::atomic<ConnectionId> next_cid{1};

  mutable std::mutex mu;
  std::unordered_map<std::string, std::shared_ptr<EioSession>> by_sid;
  std::unordered_map<ConnectionId, std::shared_ptr<EioSession>> by_cid;

  std::mutex tick_mu;
  std::condition_variable tick_cv;
  bool stopping = false;
  std::thread ticker;

  std::string open_packet(const EioSession& s, bool can_upgrade) const {
    return fmt::format(R"(0{{"sid":"{}","upgrades":[{}],"pingInterval":{},"pingTimeout":{},"maxPayload":{}}})", s.sid,
                       can_upgrade ? R"("websocket")" : "", options.ping_interval.count(),
                       options.ping_timeout.count(), options.max_payload);
  }

  std::shared_ptr<EioSession> create(const std::string& address, const std::string& token) {
    auto s = std::make_shared<EioSession>(random_secret(20), next_cid++, net::make_strand(pool));
    s->next_ping_ms = now_ms() + options.ping_interval.count();
    {
      std::lock_guard lock(mu);
      by_sid[s->sid] = s;
      by_cid[s->cid] = s;
    }
    schedule(s, s->next_ping_ms);
    hub->on_open(s->cid, address, token);
    return s;
  }

  std::shared_ptr<EioSession> find_sid(const std::string& sid) {
    std::lock_guard lock(mu);
    auto it = by_sid.find(sid);
    return it == by_sid.end() ? nullptr : it->second;
  }

  std::shared_ptr<EioSession> find_cid(ConnectionId id) {
    std::lock_guard lock(mu);
    auto it = by_cid.find(id);
    return it == by_cid.end() ? nullptr : it->second;
  }

  // Answers a held poll with everything queued. REQUIRES: s.mu held.
  static void flush_poll(EioSession& s) {
    if (!s.pending_get || s.queue.empty()) return;
    // Text packets only are queued, so the payload is them joined by the record separator.
    std::string body;
    for (auto& text : s.queue) {
      if (!body.empty()) body.push_back('\x1e');
      body += text;
    }
    s.queue.clear();
    auto respond = std::move(s.pending_get);
    s.pending_get = nullptr;
    respond(payload_response(std::move(body)));
  }

  void deliver(EioSession& s, std::string packet_text) {
    std::lock_guard lock(s.mu);
    if (s.closed) return;
    if (s.ws_active) return s.ws->send(std::move(packet_text));
    s.queue.push_back(std::move(packet_text));
    flush_poll(s);
  }

  void close_session(const std::shared_ptr<EioSession>& s) {
    std::shared_ptr<WebSocketConnection> ws, probe;
    {
      std::lock_guard lock(s->mu);
      if (s->closed) return;
      s->closed = true;
      if (s->pending_get) {
        auto respond = std::move(s->pending_get);
        s->pending_get = nullptr;
        respond(payload_response("1"));
      }
      ws = std::move(s->ws);
      probe = std::move(s->probe);
      s->queue.clear();
    }
    {
      std::lock_guard lock(mu);
      by_sid.erase(s->sid);
      by_cid.erase(s->cid);
    }
    if (ws) ws->close();
    if (probe) probe->close();
    net::post(s->strand, [hub = hub, cid = s->cid] { hub->on_close(cid); });
  }

  void on_client_packet(const std::shared_ptr<EioSession>& s, eio::Packet p) {
    switch (p.type) {
      case eio::PacketType::pong: {
        std::lock_guard lock(s->mu);
        s->pong_deadline_ms = 0;
        return;
      }
      case eio::PacketType::ping:
        return deliver(*s, "3" + p.data);
      case eio::PacketType::message:
        if (p.binary) return close_session(s);  // Socket.IO binary attachments are not supported
        // Stamped here, so a command's latency (RealtimeStats) includes its wait for the hub.
        net::post(s->strand, [hub = hub, cid = s->cid, data = std::move(p.data), received = std::chrono::steady_clock::now()] {
          hub->on_packet(cid, data, received);
        });
        return;
      case eio::PacketType::close:
        return close_session(s);
      default:
        return;  // upgrade/noop outside an upgrade: nothing to do
    }
  }

  // Ping schedule: a timing wheel of kTickMs slots, each holding the sessions whose next ping or
  // pong deadline falls in it, so a tick touches only the sessions due then (not every session, 4
  // times a second). A session is in exactly one slot; an entry is re-checked when its slot comes up.
  static constexpr std::int64_t kTickMs = 250;
  std::mutex wheel_mu;
  std::vector<std::vector<std::weak_ptr<EioSession>>> wheel;
  std::int64_t next_tick = 0;  // the first tick (time / kTickMs) not yet processed

  void init_wheel() {
    const auto horizon = std::max(options.ping_interval.count(), options.ping_timeout.count());
    wheel.resize(static_cast<std::size_t>(std::clamp<std::int64_t>(horizon / kTickMs + 2, 4, 4096)));
    next_tick = now_ms() / kTickMs;
  }

  // REQUIRES: s.mu not held.
  void schedule(const std::shared_ptr<EioSession>& s, std::int64_t due_ms) {
    std::lock_guard lock(wheel_mu);
    const auto slots = static_cast<std::int64_t>(wheel.size());
    // Never into a slot already processed; beyond the horizon, the last slot re-checks it.
    const auto tick = std::clamp(due_ms / kTickMs, next_tick, next_tick + slots - 1);
    wheel[static_cast<std::size_t>(tick % slots)].push_back(s);
  }

  void tick() {
    const auto now = now_ms();
    for (;;) {
      std::vector<std::weak_ptr<EioSession>> due;
      {
        std::lock_guard lock(wheel_mu);
        if (next_tick > now / kTickMs) break;
        due.swap(wheel[static_cast<std::size_t>(next_tick % static_cast<std::int64_t>(wheel.size()))]);
        ++next_tick;
      }
      for (auto& weak : due) {
        auto s = weak.lock();
        if (!s) continue;  // closed and gone
        bool ping = false, dead = false;
        std::int64_t next_due = 0;
        {
          std::lock_guard lock(s->mu);
          if (s->closed) continue;
          if (s->pong_deadline_ms) {
            if (now > s->pong_deadline_ms) dead = true;
            else next_due = s->pong_deadline_ms;
          } else if (now >= s->next_ping_ms) {
            ping = true;
            s->pong_deadline_ms = now + options.ping_timeout.count();
            s->next_ping_ms = now + options.ping_interval.count();
            next_due = s->pong_deadline_ms;  // then, if the pong came, on to next_ping_ms
          } else {
            next_due = s->next_ping_ms;
          }
        }
        if (dead) {
          close_session(s);
          continue;
        }
        if (ping) deliver(*s, "2");
        schedule(s, next_due);
      }
    }
  }

  void run_ticker() {
    std::int64_t last_sweep = now_ms();
    std::unique_lock lock(tick_mu);
    while (!stopping) {
      tick_cv.wait_for(lock, std::chrono::milliseconds(250));
      if (stopping) break;
      lock.unlock();
      tick();
      if (now_ms() - last_sweep >= 5000) {
        last_sweep = now_ms();
        net::post(pool, [hub = hub] { hub->sweep(); });
      }
      lock.lock();
    }
  }
};

EngineIo::EngineIo(EngineIoOptions options) : impl_(std::make_unique<Impl>(options)) {}

EngineIo::~EngineIo() {
  shutdown();
  {
    std::lock_guard lock(impl_->tick_mu);
    impl_->stopping = true;
  }
  impl_->tick_cv.notify_all();
  if (impl_->ticker.joinable()) impl_->ticker.join();
  impl_->pool.join();
}

void EngineIo::attach(RealtimeHub& hub) {
  impl_->hub = &hub;
  impl_->ticker = std::thread([this] { impl_->run_ticker(); });
}

void EngineIo::handle_polling(std::shared_ptr<Request> req, Responder respond) {
  auto& I = *impl_;
  if (req->query_param("EIO").value_or("") != "4")
    return respond(eio_error(5, "Unsupported protocol version: this server speaks Engine.IO 4 (EIO=4)"));
  if (req->query_param("transport").value_or("") != "polling")
    return respond(eio_error(0, "Transport unknown: use transport=polling or a WebSocket upgrade"));
  const auto sid = req->query_param("sid");
  if (!sid) {
    if (req->method != "GET") return respond(eio_error(2, "Bad handshake method"));
    auto s = I.create(req->remote_address, req->query_param("token").value_or(""));
    return respond(payload_response(I.open_packet(*s, true)));
  }
  auto s = I.find_sid(*sid);
  if (!s) return respond(eio_error(1, "Session ID unknown"));
  if (req->method == "GET") {
    std::unique_lock lock(s->mu);
    if (s->closed) return respond(payload_response("1"));
    if (s->pending_get) {  // two polls at once break the protocol's ordering: end the session
      lock.unlock();
      I.close_session(s);
      return respond(eio_error(3, "Bad request: overlapping polls"));
    }
    if (s->ws_active) return respond(payload_response("6"));
    s->pending_get = std::move(respond);
    Impl::flush_poll(*s);
    return;
  }
  if (req->method == "POST") {
    auto packets = eio::decode_payload(req->body);
    if (!packets) {
      I.close_session(s);
      return respond(eio_error(3, "Bad request: " + packets.error().message));
    }
    for (auto& p : *packets) I.on_client_packet(s, std::move(p));
    Response ok = payload_response("ok");
    ok.content_type = "text/html";
    return respond(std::move(ok));
  }
  respond(eio_error(2, "Bad method"));
}

void EngineIo::handle_websocket(std::shared_ptr<Request> req, std::shared_ptr<WebSocketConnection> ws) {
  auto& I = *impl_;
  if (req->query_param("EIO").value_or("") != "4") {
    ws->start({});
    return ws->close();
  }
  const auto sid = req->query_param("sid");
  if (!sid) {
    // A WebSocket from the start: the open packet is the first frame.
    auto s = I.create(req->remote_address, req->query_param("token").value_or(""));
    {
      std::lock_guard lock(s->mu);
      s->ws = ws;
      s->ws_active = true;
    }
    std::weak_ptr<EioSession> weak = s;
    ws->start({[&I, weak](std::string msg, bool binary) {
                 auto s = weak.lock();
                 if (!s) return;
                 if (binary) return I.close_session(s);
                 auto p = eio::decode_packet(msg);
                 if (!p) return I.close_session(s);
                 I.on_client_packet(s, std::move(*p));
               },
               [&I, weak] {
                 if (auto s = weak.lock()) I.close_session(s);
               }});
    ws->send(I.open_packet(*s, false));
    return;
  }
  auto s = I.find_sid(*sid);
  if (!s) {
    ws->start({});
    return ws->close();
  }
  {
    std::lock_guard lock(s->mu);
    if (s->closed || s->ws_active || s->probe) {
      ws->start({});
      return ws->close();
    }
    s->probe = ws;
  }
  // Upgrade: 2probe → 3probe, then a noop ends the client's pending poll, then "5" switches.
  std::weak_ptr<EioSession> weak = s;
  std::weak_ptr<WebSocketConnection> weak_ws = ws;
  ws->start({[&I, weak, weak_ws](std::string msg, bool binary) {
               auto s = weak.lock();
               auto ws = weak_ws.lock();
               if (!s || !ws) return;
               if (binary) return I.close_session(s);
               auto p = eio::decode_packet(msg);
               if (!p) return I.close_session(s);
               bool active;
               {
                 std::lock_guard lock(s->mu);
                 active = s->ws_active && s->ws == ws;
               }
               if (active) return I.on_client_packet(s, std::move(*p));
               if (p->type == eio::PacketType::ping && p->data == "probe") {
                 ws->send("3probe");
                 std::lock_guard lock(s->mu);
                 s->queue.push_back("6");
                 Impl::flush_poll(*s);
                 return;
               }
               if (p->type == eio::PacketType::upgrade) {
                 std::lock_guard lock(s->mu);
                 s->ws = std::move(s->probe);
                 s->probe = nullptr;
                 s->ws_active = true;
                 // Whatever waited for a poll now goes over the WebSocket, in order.
                 std::vector<std::string> queued;
                 queued.swap(s->queue);
                 for (auto& text : queued)
                   if (text != "6") s->ws->send(std::move(text));
                 if (s->pending_get) {
                   auto respond = std::move(s->pending_get);
                   s->pending_get = nullptr;
                   respond(payload_response("6"));
                 }
                 return;
               }
               // Anything else before the upgrade completes is a protocol error.
               I.close_session(s);
             },
             [&I, weak, weak_ws] {
               auto s = weak.lock();
               auto ws = weak_ws.lock();
               if (!s) return;
               bool mine;
               {
                 std::lock_guard lock(s->mu);
                 mine = s->ws == ws || !ws;
                 if (s->probe == ws) s->probe = nullptr;  // a failed probe leaves polling working
               }
               if (mine && ws) I.close_session(s);
             }});
}

void EngineIo::send(ConnectionId id, std::string sio_packet) {
  if (auto s = impl_->find_cid(id)) impl_->deliver(*s, "4" + sio_packet);
}

void EngineIo::close(ConnectionId id) {
  if (auto s = impl_->find_cid(id)) impl_->close_session(s);
}

void EngineIo::shutdown() {
  std::vector<std::shared_ptr<EioSession>> all;
  {
    std::lock_guard lock(impl_->mu);
    for (auto& [id, s] : impl_->by_cid) all.push_back(s);
  }
  for (auto& s : all) impl_->close_session(s);
}

std::size_t EngineIo::sessions() const {
  std::lock_guard lock(impl_->mu);
  return impl_->by_cid.size();
}

}  // namespace vc::server
