// A RealtimeTransport for tests: records what the hub sends, per connection, and which it closes.
#pragma once

#include <algorithm>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "videocontrol/realtime_hub.hpp"

namespace vc::test {

class FakeTransport final : public RealtimeTransport {
 public:
  void send(ConnectionId id, std::string packet) override {
    std::lock_guard lock(mu_);
    sent_[id].push_back(std::move(packet));
  }
  void close(ConnectionId id) override {
    std::lock_guard lock(mu_);
    closed_.push_back(id);
  }
  std::vector<std::string> take(ConnectionId id) {
    std::lock_guard lock(mu_);
    return std::exchange(sent_[id], {});
  }
  bool closed(ConnectionId id) {
    std::lock_guard lock(mu_);
    return std::find(closed_.begin(), closed_.end(), id) != closed_.end();
  }

 private:
  std::mutex mu_;
  std::map<ConnectionId, std::vector<std::string>> sent_;
  std::vector<ConnectionId> closed_;
};

}  // namespace vc::test
