// The in-process EventBus: one instance, so "every instance" is this one and publish() calls the
// channel's handlers synchronously on the publisher's thread, in subscription order.
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

}  // namespace

std::unique_ptr<EventBus> make_local_event_bus() { return std::make_unique<LocalEventBus>(); }

}  // namespace vc
