// Redis EventBus backend: PUBLISH on one connection, SUBSCRIBE on a second one owned by the bus's
// thread, which also runs every handler (so handlers of one bus never run concurrently).
//
// Exactly-once per subscriber, Redis up or down: each payload starts with this bus's random
// instance tag. Own messages are queued for local delivery at publish time — which is what keeps
// local subscribers served while Redis is away — and skipped when Redis echoes them back. Payloads
// without a tag (e.g. a PUBLISH typed into redis-cli) are delivered as they are.
//
// The subscriber thread reconnects with the same backoff as the other backends and subscribes to
// every channel again; messages published while it was away are lost (the bus is best effort).
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <poll.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "redis/redis_connection.hpp"
#include "videocontrol/log.hpp"
#include "videocontrol/redis.hpp"

namespace vc {
namespace {

using SteadyClock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::string_view kTagMagic = "vc1 ";      // then 16 hex digits and '\n'
constexpr std::size_t kTagSize = 4 + 16 + 1;
constexpr auto kIdlePing = 5s;      // a silent subscriber connection is probed this often...
constexpr auto kPingAnswer = 5s;    // ...and dropped when the probe goes unanswered this long

std::string random_instance_id() {
  std::random_device rd;
  const std::uint64_t v = (std::uint64_t{rd()} << 32) ^ rd();
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return std::string(buf, 16);
}

class RedisEventBus final : public EventBus {
 public:
  RedisEventBus(const RedisOptions& options, redis::Endpoint endpoint)
      : endpoint_(std::move(endpoint)),
        prefix_(options.key_prefix),
        connect_timeout_ms_(options.connect_timeout_ms),
        command_timeout_ms_(options.command_timeout_ms),
        instance_id_(random_instance_id()),
        tag_(std::string(kTagMagic) + instance_id_ + "\n"),
        pub_(std::make_unique<redis::Connection>(endpoint_, "event_bus", connect_timeout_ms_, command_timeout_ms_)) {
    if (::pipe2(wake_, O_NONBLOCK | O_CLOEXEC) != 0) wake_[0] = wake_[1] = -1;
    connect_subscriber();  // at once, so healthy() is right from the start
    thread_ = std::thread([this] { run(); });
  }

  ~RedisEventBus() override {
    stop_ = true;
    wake();
    if (thread_.joinable()) thread_.join();
    if (sub_) redisFree(sub_);
    for (int fd : wake_)
      if (fd >= 0) ::close(fd);
  }

  bool publish(std::string_view channel, std::string_view message) override {
    {
      std::lock_guard lock(queue_mu_);
      local_.emplace_back(std::string(channel), std::string(message));
    }
    wake();
    std::string payload = tag_;
    payload.append(message);
    auto r = pub_->command({"PUBLISH", prefix_ + std::string(channel), std::move(payload)});
    return r && r->is_integer();
  }

  void subscribe(std::string_view channel, Handler handler) override {
    const std::string name(channel);
    {
      std::lock_guard lock(mu_);
      auto& slot = handlers_[name];
      auto next = slot ? std::make_shared<std::vector<Handler>>(*slot) : std::make_shared<std::vector<Handler>>();
      next->push_back(std::move(handler));
      slot = std::move(next);
    }
    wake();
    if (std::this_thread::get_id() == thread_.get_id()) return;  // from a handler: cannot wait for ourselves
    // Wait for Redis to confirm, so a message published elsewhere right after this returns is seen.
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(std::max(command_timeout_ms_, 1000)),
                 [&] { return confirmed_.count(name) > 0 || !sub_up_ || stop_; });
  }

  bool healthy() const override {
    {
      std::lock_guard lock(mu_);
      if (!sub_up_) return false;
    }
    return pub_->check();
  }


 private:
  void wake() {
    if (wake_[1] < 0) return;
    const char b = 1;
    [[maybe_unused]] auto n = ::write(wake_[1], &b, 1);  // full pipe: a wake-up is pending anyway
  }

  void drain_wake() {
    char buf[64];
    while (wake_[0] >= 0 && ::read(wake_[0], buf, sizeof buf) > 0) {
    }
  }

  void connect_subscriber() {
    std::string error;
    sub_ = redis::open_context(endpoint_, connect_timeout_ms_, command_timeout_ms_, error);
    if (!sub_) {
      backoff_.failed(SteadyClock::now());
      if (!logged_down_) {
        logged_down_ = true;
        log_warn("redis unreachable; events reach this instance's subscribers only until it returns",
                 {{"backend", "event_bus"}, {"redis", endpoint_.display()}, {"error", error}});
      }
      return;
    }
    if (logged_down_) {
      logged_down_ = false;
      log_info("redis reachable again; cross-instance events resume",
               {{"backend", "event_bus"}, {"redis", endpoint_.display()}});
    }
    sent_.clear();
    last_rx_ = SteadyClock::now();
    ping_sent_.reset();
    std::lock_guard lock(mu_);
    sub_up_ = true;
  }

  void drop_subscriber(const char* error) {
    if (!logged_down_) {
      logged_down_ = true;
      log_warn("redis subscription lost; events reach this instance's subscribers only until it returns",
               {{"backend", "event_bus"}, {"redis", endpoint_.display()}, {"error", error && *error ? error : "?"}});
    }
    redisFree(sub_);
    sub_ = nullptr;
    backoff_.reset_now(SteadyClock::now());
    std::lock_guard lock(mu_);
    sub_up_ = false;
    confirmed_.clear();
    cv_.notify_all();
  }

  // Queues a command on the subscriber connection and writes it out; false if that failed.
  bool send(const redis::Command& argv) {
    std::vector<const char*> args;
    std::vector<std::size_t> lens;
    for (const auto& a : argv) {
      args.push_back(a.data());
      lens.push_back(a.size());
    }
    redis::SigpipeGuard guard;
    if (redisAppendCommandArgv(sub_, static_cast<int>(args.size()), args.data(), lens.data()) != REDIS_OK) return false;
    int done = 0;
    while (!done)
      if (redisBufferWrite(sub_, &done) != REDIS_OK) return false;
    return true;
  }

  void subscribe_new_channels() {
    redis::Command cmd{"SUBSCRIBE"};
    std::vector<std::string> added;
    {
      std::lock_guard lock(mu_);
      for (const auto& [name, handlers] : handlers_)
        if (!sent_.count(name)) added.push_back(name);
    }
    if (added.empty()) return;
    for (const auto& name : added) cmd.push_back(prefix_ + name);
    if (!send(cmd)) return drop_subscriber(sub_->errstr);
    sent_.insert(added.begin(), added.end());
  }

  void deliver(std::string_view channel, std::string_view message) {
    std::shared_ptr<const std::vector<Handler>> handlers;
    {
      std::lock_guard lock(mu_);
      auto it = handlers_.find(channel);
      if (it == handlers_.end()) return;
      handlers = it->second;
    }
    for (const auto& h : *handlers) {
      try {
        h(channel, message);
      } catch (const std::exception& e) {  // one bad handler must not stop the bus
        log_error("event handler threw", {{"channel", channel}, {"error", e.what()}});
      } catch (...) {
        log_error("event handler threw", {{"channel", channel}});
      }
    }
  }

  void deliver_local() {
    std::deque<std::pair<std::string, std::string>> batch;
    {
      std::lock_guard lock(queue_mu_);
      batch.swap(local_);
    }
    for (const auto& [channel, message] : batch) deliver(channel, message);
  }

  void handle(const redis::Reply& r) {
    if (!r.is_array() || r.elements.empty()) return;
    const std::string& kind = r.elements[0].str;
    if (kind == "message" && r.elements.size() == 3) {
      std::string_view channel = r.elements[1].str;
      if (!channel.starts_with(prefix_)) return;
      channel.remove_prefix(prefix_.size());
      std::string_view payload = r.elements[2].str;
      if (payload.size() >= kTagSize && payload.starts_with(kTagMagic) && payload[kTagSize - 1] == '\n') {
        if (payload.substr(kTagMagic.size(), 16) == instance_id_) return;  // delivered at publish time
        payload.remove_prefix(kTagSize);
      }
      deliver(channel, payload);
    } else if (kind == "subscribe" && r.elements.size() >= 2) {
      std::string_view channel = r.elements[1].str;
      if (!channel.starts_with(prefix_)) return;
      std::lock_guard lock(mu_);
      confirmed_.insert(std::string(channel.substr(prefix_.size())));
      cv_.notify_all();
    } else if (kind == "pong") {
      ping_sent_.reset();
    }
  }

  // Hands out replies hiredis has already buffered; false if the connection broke.
  bool process_buffered() {
    for (;;) {
      void* raw = nullptr;
      if (redisGetReplyFromReader(sub_, &raw) != REDIS_OK) return false;
      if (!raw) return true;
      auto* reply = static_cast<redisReply*>(raw);
      const redis::Reply copy = redis::copy_reply(*reply);
      freeReplyObject(reply);
      handle(copy);
    }
  }

  void run() {
    while (!stop_) {
      auto now = SteadyClock::now();
      if (!sub_ && backoff_.due(now)) connect_subscriber();
      if (sub_) subscribe_new_channels();
      deliver_local();
      if (sub_ && !process_buffered()) drop_subscriber(sub_->errstr);

      // Liveness of an otherwise silent connection (a frozen or partitioned Redis sends no EOF).
      now = SteadyClock::now();
      if (sub_ && ping_sent_ && now - *ping_sent_ > kPingAnswer) drop_subscriber("no answer to PING");
      if (sub_ && !ping_sent_ && now - last_rx_ > kIdlePing) {
        if (send({"PING"})) ping_sent_ = now;
        else drop_subscriber(sub_->errstr);
      }

      pollfd fds[2] = {{wake_[0], POLLIN, 0}, {sub_ ? sub_->fd : -1, POLLIN, 0}};
      auto wait = std::chrono::milliseconds(1000);
      if (!sub_)
        wait = std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(backoff_.next() - now), 0ms, wait);
      ::poll(fds, 2, static_cast<int>(wait.count()));
      if (fds[0].revents) drain_wake();
      if (sub_ && (fds[1].revents & (POLLIN | POLLERR | POLLHUP))) {
        if (redisBufferRead(sub_) != REDIS_OK) {
          drop_subscriber(sub_->errstr);
        } else {
          last_rx_ = SteadyClock::now();
          if (!process_buffered()) drop_subscriber(sub_->errstr);
        }
      }
    }
    deliver_local();  // what was published before destruction still reaches local handlers
  }

  const redis::Endpoint endpoint_;
  const std::string prefix_;
  const int connect_timeout_ms_;
  const int command_timeout_ms_;
  const std::string instance_id_;
  const std::string tag_;
  std::unique_ptr<redis::Connection> pub_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::shared_ptr<const std::vector<Handler>>, std::less<>> handlers_;
  std::set<std::string> confirmed_;  // channels Redis confirmed on the current subscriber connection
  bool sub_up_ = false;

  std::mutex queue_mu_;
  std::deque<std::pair<std::string, std::string>> local_;  // own messages, in publish order

  // Owned by the bus thread (and the constructor, before the thread starts).
  redisContext* sub_ = nullptr;
  std::set<std::string> sent_;  // channels SUBSCRIBE was sent for on sub_
  redis::Backoff backoff_;
  bool logged_down_ = false;
  SteadyClock::time_point last_rx_{};
  std::optional<SteadyClock::time_point> ping_sent_;

  int wake_[2] = {-1, -1};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace

Result<std::unique_ptr<EventBus>> make_redis_event_bus(const RedisOptions& options) {
  auto endpoint = redis::parse_url(options.url);
  if (!endpoint) return endpoint.error();
  return std::unique_ptr<EventBus>(std::make_unique<RedisEventBus>(options, std::move(*endpoint)));
}

}  // namespace vc
