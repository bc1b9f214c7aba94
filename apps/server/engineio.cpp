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

#include "engineio_session.hpp"
#include "videocontrol/clock.hpp"
#include "videocontrol/id.hpp"

// The per-connection protocol is EngineIoSession (engineio_session.hpp); this file routes HTTP and
// WebSockets to sessions by sid, ticks their ping schedule, and runs their hub calls on the pool.

namespace vc::server {
namespace {

namespace net = boost::asio;
using Strand = net::strand<net::thread_pool::executor_type>;

std::int64_t now_ms() { return system_clock()->now_ms(); }

}  // namespace

struct EngineIo::Impl {
  explicit Impl(EngineIoOptions o) : options(o), pool(std::max(1u, o.hub_threads)) { init_wheel(); }

  EngineIoOptions options;
  RealtimeHub* hub = nullptr;
  net::thread_pool pool;
  std::atomic<ConnectionId> next_cid{1};

  mutable std::mutex mu;
  std::unordered_map<std::string, std::shared_ptr<EngineIoSession>> by_sid;
  std::unordered_map<ConnectionId, std::shared_ptr<EngineIoSession>> by_cid;

  std::mutex tick_mu;
  std::condition_variable tick_cv;
  bool stopping = false;
  std::thread ticker;

  std::shared_ptr<EngineIoSession> create(const std::string& address, const std::string& token) {
    const ConnectionId cid = next_cid++;
    std::string sid = random_secret(20);
    Strand strand = net::make_strand(pool);  // orders this connection's hub calls
    EngineIoSession::Callbacks callbacks;
    callbacks.on_message = [this, cid, strand](std::string sio_packet) {
      // Stamped here, so a command's latency (RealtimeStats) includes its wait for the hub.
      net::post(strand, [hub = hub, cid, data = std::move(sio_packet), received = std::chrono::steady_clock::now()] {
        hub->on_packet(cid, data, received);
      });
    };
    callbacks.on_closed = [this, cid, sid, strand] {
      {
        std::lock_guard lock(mu);
        by_sid.erase(sid);
        by_cid.erase(cid);
      }
      net::post(strand, [hub = hub, cid] { hub->on_close(cid); });
    };
    callbacks.on_slow_consumer = options.on_slow_consumer;
    auto s = std::make_shared<EngineIoSession>(sid, options, std::move(callbacks), now_ms());
    {
      std::lock_guard lock(mu);
      by_sid[sid] = s;
      by_cid[cid] = s;
    }
    schedule(s, s->next_due_ms());
    hub->on_open(cid, address, token);
    return s;
  }

  std::shared_ptr<EngineIoSession> find_sid(const std::string& sid) {
    std::lock_guard lock(mu);
    auto it = by_sid.find(sid);
    return it == by_sid.end() ? nullptr : it->second;
  }

  std::shared_ptr<EngineIoSession> find_cid(ConnectionId id) {
    std::lock_guard lock(mu);
    auto it = by_cid.find(id);
    return it == by_cid.end() ? nullptr : it->second;
  }

  // Ping schedule: a timing wheel of kTickMs slots, each holding the sessions whose next ping or
  // pong deadline falls in it, so a tick touches only the sessions due then (not every session, 4
  // times a second). A session is in exactly one slot; an entry is re-checked when its slot comes up.
  static constexpr std::int64_t kTickMs = 250;
  std::mutex wheel_mu;
  std::vector<std::vector<std::weak_ptr<EngineIoSession>>> wheel;
  std::int64_t next_tick = 0;  // the first tick (time / kTickMs) not yet processed

  void init_wheel() {
    const auto horizon = std::max(options.ping_interval.count(), options.ping_timeout.count());
    wheel.resize(static_cast<std::size_t>(std::clamp<std::int64_t>(horizon / kTickMs + 2, 4, 4096)));
    next_tick = now_ms() / kTickMs;
  }

  void schedule(const std::shared_ptr<EngineIoSession>& s, std::int64_t due_ms) {
    std::lock_guard lock(wheel_mu);
    const auto slots = static_cast<std::int64_t>(wheel.size());
    // Never into a slot already processed; beyond the horizon, the last slot re-checks it.
    const auto tick = std::clamp(due_ms / kTickMs, next_tick, next_tick + slots - 1);
    wheel[static_cast<std::size_t>(tick % slots)].push_back(s);
  }

  void tick() {
    const auto now = now_ms();
    for (;;) {
      std::vector<std::weak_ptr<EngineIoSession>> due;
      {
        std::lock_guard lock(wheel_mu);
        if (next_tick > now / kTickMs) break;
        due.swap(wheel[static_cast<std::size_t>(next_tick % static_cast<std::int64_t>(wheel.size()))]);
        ++next_tick;
      }
      for (auto& weak : due) {
        auto s = weak.lock();
        if (!s) continue;  // closed and gone
        if (auto next_due = s->on_tick(now)) schedule(s, *next_due);
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
    return respond(eio_payload_response(s->open_packet(true)));
  }
  auto s = I.find_sid(*sid);
  if (!s) return respond(eio_error(1, "Session ID unknown"));
  if (req->method == "GET") return s->on_poll(std::move(respond));
  if (req->method == "POST") return respond(s->on_post(req->body));
  respond(eio_error(2, "Bad method"));
}

void EngineIo::handle_websocket(std::shared_ptr<Request> req, std::shared_ptr<WebSocketConnection> ws) {
  auto& I = *impl_;
  if (req->query_param("EIO").value_or("") != "4") return refuse_websocket(*ws);
  const auto sid = req->query_param("sid");
  if (!sid) {
    // A WebSocket from the start: the open packet is the first frame.
    auto s = I.create(req->remote_address, req->query_param("token").value_or(""));
    return s->attach_websocket(ws);
  }
  auto s = I.find_sid(*sid);
  if (!s) return refuse_websocket(*ws);
  s->offer_probe(ws);  // the upgrade from polling
}

void EngineIo::send(ConnectionId id, std::string sio_packet) {
  if (auto s = impl_->find_cid(id)) s->send(sio_packet);
}

void EngineIo::close(ConnectionId id) {
  if (auto s = impl_->find_cid(id)) s->close();
}

void EngineIo::shutdown() {
  std::vector<std::shared_ptr<EngineIoSession>> all;
  {
    std::lock_guard lock(impl_->mu);
    for (auto& [id, s] : impl_->by_cid) all.push_back(s);
  }
  for (auto& s : all) s->close();
}

std::size_t EngineIo::sessions() const {
  std::lock_guard lock(impl_->mu);
  return impl_->by_cid.size();
}

}  // namespace vc::server
