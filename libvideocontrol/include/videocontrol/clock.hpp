// Clock: the only source of "now" in the library, injectable so tests control time.
// Implementations are safe for concurrent use from several threads.
#pragma once

#include "videocontrol/export.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace vc {

class VC_API Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time in milliseconds since the Unix epoch (what the database stores).
  virtual std::int64_t now_ms() const = 0;
};

// The real clock (std::chrono::system_clock).
VC_API std::shared_ptr<Clock> system_clock();

// A clock that only moves when told to; for tests.
class VC_API ManualClock final : public Clock {
 public:
  explicit ManualClock(std::int64_t start_ms = 1'700'000'000'000) : now_(start_ms) {}
  std::int64_t now_ms() const override { return now_.load(); }
  void set_ms(std::int64_t ms) { now_.store(ms); }
  void advance(std::chrono::milliseconds d) { now_.fetch_add(d.count()); }

 private:
  std::atomic<std::int64_t> now_;
};

// RFC 3339 UTC timestamp with milliseconds, e.g. "2026-11-28T22:55:00.123Z".
VC_API std::string format_rfc3339(std::int64_t epoch_ms);

}  // namespace vc
