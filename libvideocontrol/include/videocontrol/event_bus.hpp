// EventBus: fan-out of small messages between the instances of one installation (DESIGN.md
// principle 2). In-process by default; Redis pub/sub when several instances run.
//
// A message published on a channel reaches every subscriber of that channel on every instance,
// this one included, at most once each, in publish order per publisher. Delivery is best effort:
// while the bus is down messages reach local subscribers only (nothing durable rides on it).
// Implementations are safe for concurrent use.
#pragma once

#include "videocontrol/export.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace vc {

struct VC_API EventBusStats {
  std::uint64_t published = 0;         // publish() calls
  std::uint64_t publish_failures = 0;  // of which reached local subscribers only (shared bus down)
  std::uint64_t delivered = 0;         // handler calls on this instance
};

class VC_API EventBus {
 public:
  using Handler = std::function<void(std::string_view channel, std::string_view message)>;
  virtual ~EventBus() = default;
  // Returns false when the message reached local subscribers only (the shared bus is down).
  virtual bool publish(std::string_view channel, std::string_view message) = 0;
  // Handlers run on the bus's own thread (Redis; this instance's own messages too, so one bus never
  // runs two handlers at once) or the publisher's (in-process); they must not block. A handler is
  // kept, and must stay callable, until the bus is destroyed.
  // REQUIRES: every subscribe() happens before the first publish().
  virtual void subscribe(std::string_view channel, Handler handler) = 0;
  // False while the shared backend is unreachable (local fallback in use).
  virtual bool healthy() const = 0;
  // Counts for metrics; zeros unless the bus counts (make_counting_event_bus does).
  virtual EventBusStats stats() const { return {}; }
};

VC_API std::unique_ptr<EventBus> make_local_event_bus();
// Forwards to `inner` and counts what passes (Installation wraps its bus in one).
VC_API std::unique_ptr<EventBus> make_counting_event_bus(std::unique_ptr<EventBus> inner);

}  // namespace vc
