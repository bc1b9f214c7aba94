// The in-process EventBus: one instance, so "every instance" is this one and publish() calls the
// channel's handlers synchronously on the publisher's thread, in subscription order.
#include <atomic>
#include <map>
#include <mutex>
#include <vector>

#include "videocontrol/event_bus.hpp"

namespace vc {
namespace {

class LocalEventBus final : public EventBus {
 public:
  bool publish(std::string_view channel, std::string_view message) override {
    std::shared_ptr<const std::vector<Handler>> handlers;
    {
      std::lock_guard lock(mu_);
      auto it = channels_.find(channel);
      if (it == channels_.end()) return true;
      handlers = it->second;
    }
    // Called without the lock, so a handler may publish in turn.
    for (const auto& h : *handlers) h(channel, message);
    return true;
  }

  void subscribe(std::string_view channel, Handler handler) override {
    std::lock_guard lock(mu_);
    auto& slot = channels_[std::string(channel)];
    // Copy-on-write: a publish() in flight keeps iterating the list it took.
    auto next = slot ? std::make_shared<std::vector<Handler>>(*slot) : std::make_shared<std::vector<Handler>>();
    next->push_back(std::move(handler));
    slot = std::move(next);
  }

  bool healthy() const override { return true; }

 private:
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<const std::vector<Handler>>, std::less<>> channels_;
};

class CountingEventBus final : public EventBus {
 public:
  explicit CountingEventBus(std::unique_ptr<EventBus> inner) : inner_(std::move(inner)) {}

  bool publish(std::string_view channel, std::string_view message) override {
    published_.fetch_add(1, std::memory_order_relaxed);
    const bool shared = inner_->publish(channel, message);
    if (!shared) failures_.fetch_add(1, std::memory_order_relaxed);
    return shared;
  }

  void subscribe(std::string_view channel, Handler handler) override {
    inner_->subscribe(channel, [this, handler = std::move(handler)](std::string_view c, std::string_view m) {
      delivered_.fetch_add(1, std::memory_order_relaxed);
      handler(c, m);
    });
  }

  bool healthy() const override { return inner_->healthy(); }

  EventBusStats stats() const override {
    return {published_.load(std::memory_order_relaxed), failures_.load(std::memory_order_relaxed),
            delivered_.load(std::memory_order_relaxed)};
  }

 private:
  std::atomic<std::uint64_t> published_{0}, failures_{0}, delivered_{0};
  std::unique_ptr<EventBus> inner_;  // last: destroyed first, with the handlers that point here
};

}  // namespace

std::unique_ptr<EventBus> make_local_event_bus() { return std::make_unique<LocalEventBus>(); }
std::unique_ptr<EventBus> make_counting_event_bus(std::unique_ptr<EventBus> inner) {
  return std::make_unique<CountingEventBus>(std::move(inner));
}

}  // namespace vc
