// Private plumbing shared by the Redis backends (cache, rate limiter, event bus, presence): URL
// parsing, one self-healing hiredis connection, and a plain-value copy of hiredis replies.
//
// The backends never see a broken connection: a command either returns a reply or nullopt, and
// nullopt means "use your in-process fallback for this call". The connection drops itself on any
// I/O error (including a timeout: hiredis cannot resume a half-read reply), logs the outage once,
// and reconnects on a later call — at most every 1 s, backing off to 5 s while Redis stays away —
// without making other callers wait for the attempt. A command that finds an idle connection closed
// by the server (Redis restarted) is sent once more on a fresh one: it cannot have run.
#pragma once

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "videocontrol/result.hpp"

struct redisContext;
struct redisReply;

namespace vc::redis {

// Where to connect, from redis://[[user]:password@]host[:port][/db].
struct Endpoint {
  std::string host;
  int port = 6379;
  std::string username;  // empty: AUTH with the password only (Redis < 6 style)
  std::string password;  // empty: no AUTH
  int db = 0;

  std::string display() const;  // host:port/db for logs; never the password
};

// Errors: invalid, naming what is wrong (scheme, port, db) without echoing the password.
Result<Endpoint> parse_url(std::string_view url);

// A reply copied out of hiredis, so callers need neither hiredis nor manual freeing.
struct Reply {
  enum class Type { nil, integer, string, status, error, array };
  Type type = Type::nil;
  std::int64_t integer = 0;
  std::string str;  // string, status and error replies
  std::vector<Reply> elements;

  bool is_error() const { return type == Type::error; }
  bool is_nil() const { return type == Type::nil; }
  bool is_string() const { return type == Type::string; }
  bool is_integer() const { return type == Type::integer; }
  bool is_array() const { return type == Type::array; }
};

Reply copy_reply(const redisReply& r);

using Command = std::vector<std::string>;  // argv: never a format string, so user data stays data

// Opens and prepares (AUTH, SELECT, PING) a blocking connection. Returns nullptr and fills
// `error` on failure. The caller owns the context (redisFree).
redisContext* open_context(const Endpoint& endpoint, int connect_timeout_ms, int command_timeout_ms,
                           std::string& error);

// Blocks SIGPIPE on the calling thread for the guard's lifetime and swallows one raised meanwhile:
// hiredis writes with write(2), and a peer that went away must not kill the process.
class SigpipeGuard {
 public:
  SigpipeGuard();
  ~SigpipeGuard();
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  sigset_t old_mask_;
  bool was_pending_ = false;
};

// Reconnect pacing shared by the connection and the event bus's subscriber.
class Backoff {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::milliseconds kFirst{1000};
  static constexpr std::chrono::milliseconds kMax{5000};

  bool due(Clock::time_point now) const { return now >= next_; }
  Clock::time_point next() const { return next_; }
  void failed(Clock::time_point now) {
    next_ = now + delay_;
    delay_ = std::min(delay_ * 2, std::chrono::milliseconds(kMax));
  }
  // After a working connection broke: one immediate retry (a restarted Redis is back at once).
  void reset_now(Clock::time_point now) {
    next_ = now;
    delay_ = kFirst;
  }

 private:
  Clock::time_point next_{};
  std::chrono::milliseconds delay_{kFirst};
};

// One hiredis context shared by the threads of one backend; commands are serialised on it.
// Thread-safe.
class Connection {
 public:
  // `backend` names the user in log lines ("cache", "rate_limiter", ...). Tries to connect at once,
  // so healthy() is meaningful right after construction.
  Connection(Endpoint endpoint, std::string backend, int connect_timeout_ms, int command_timeout_ms);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one command. nullopt: not connected (or an I/O error just dropped the connection). Error
  // replies (WRONGTYPE, NOSCRIPT, ...) come back as Reply::Type::error; the connection stays up.
  std::optional<Reply> command(const Command& argv);
  // Sends all commands in one round trip; one reply per command, or nullopt as above.
  std::optional<std::vector<Reply>> pipeline(const std::vector<Command>& commands);

  // For health reports: PINGs a connection idle for over a second (it may have died unnoticed),
  // reconnects if disconnected and the backoff allows, then says whether Redis answers.
  bool check();
  // Last known state, without trying anything.
  bool healthy() const { return healthy_.load(); }
  // Increases on every successful (re)connect; backends compare it to replay state after outages.
  std::uint64_t epoch() const { return epoch_.load(); }
  const Endpoint& endpoint() const { return endpoint_; }

 private:
  // Returns with mu_ held and ctx_ set, or false (lock released inside when connecting).
  bool ensure_connected(std::unique_lock<std::mutex>& lock);
  void drop(std::unique_lock<std::mutex>& lock, const char* what);
  void log_down(const std::string& error);
  bool idle() const;
  bool run_pipeline(const std::vector<Command>& commands, std::vector<Reply>& replies, int& error_number);

  static constexpr std::chrono::milliseconds kIdleCheck{1000};

  const Endpoint endpoint_;
  const std::string backend_;
  const int connect_timeout_ms_;
  const int command_timeout_ms_;

  std::mutex mu_;
  redisContext* ctx_ = nullptr;
  bool connecting_ = false;
  bool logged_down_ = false;  // an outage is logged once, and its end once
  Backoff backoff_;
  Backoff::Clock::time_point last_ok_{};  // last successful exchange on ctx_
  std::atomic<bool> healthy_{false};
  std::atomic<std::uint64_t> epoch_{0};
};


}  // namespace vc::redis
