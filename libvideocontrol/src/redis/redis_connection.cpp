#include "redis/redis_connection.hpp"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <cctype>
#include <cerrno>
#include <charconv>

#include "videocontrol/log.hpp"

namespace vc::redis {
namespace {

Error invalid(std::string message) { return make_error(ErrorCode::invalid, "REDIS_URL: " + std::move(message)); }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    const int hi = hex_value(s[i + 1]);
    const int lo = hex_value(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

std::optional<int> parse_int(std::string_view s, int min, int max) {
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || v < min || v > max) return std::nullopt;
  return v;
}

timeval to_timeval(int ms) {
  if (ms < 1) ms = 1;
  return timeval{ms / 1000, (ms % 1000) * 1000};
}

// Runs one command on a raw context; false on an I/O error (errstr in the context, errno in
// `error_number`, read before anything else can overwrite it).
bool run(redisContext* c, const Command& argv, Reply& out, int* error_number = nullptr) {
  std::vector<const char*> args;
  std::vector<std::size_t> lens;
  args.reserve(argv.size());
  lens.reserve(argv.size());
  for (const auto& a : argv) {
    args.push_back(a.data());
    lens.push_back(a.size());
  }
  SigpipeGuard guard;
  auto* r = static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(args.size()), args.data(), lens.data()));
  if (!r) {
    if (error_number) *error_number = errno;
    return false;
  }
  out = copy_reply(*r);
  freeReplyObject(r);
  return true;
}

// The server closed the connection before reading the command (e.g. it restarted while the
// connection sat idle): the command was certainly not executed, so sending it again is safe.
bool closed_by_peer(const redisContext* c, int error_number) {
  return c->err == REDIS_ERR_EOF ||
         (c->err == REDIS_ERR_IO && (error_number == ECONNRESET || error_number == EPIPE));
}

}  // namespace

std::string Endpoint::display() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port) + "/" + std::to_string(db);
}

Result<Endpoint> parse_url(std::string_view url) {
  constexpr std::string_view scheme = "redis://";
  if (url.starts_with("rediss://")) return invalid("TLS (rediss://) is not supported; use redis://host:port");
  if (!url.starts_with(scheme)) return invalid("must start with redis:// (redis://[[user]:password@]host[:port][/db])");
  std::string_view rest = url.substr(scheme.size());
  if (rest.find('?') != std::string_view::npos || rest.find('#') != std::string_view::npos)
    return invalid("query parameters are not supported (redis://[[user]:password@]host[:port][/db])");

  Endpoint ep;
  // The last '@' ends the credentials, so an unencoded '@' or '/' in a password still works.
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    std::string_view user, pass = userinfo;
    if (auto colon = userinfo.find(':'); colon != std::string_view::npos) {
      user = userinfo.substr(0, colon);
      pass = userinfo.substr(colon + 1);
    }
    auto u = percent_decode(user);
    auto p = percent_decode(pass);
    if (!u || !p) return invalid("bad percent-encoding in the credentials");
    ep.username = std::move(*u);
    ep.password = std::move(*p);
  }

  std::string_view hostport = rest, db;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    hostport = rest.substr(0, slash);
    db = rest.substr(slash + 1);
  }
  std::string_view port;
  if (hostport.starts_with('[')) {  // [IPv6]:port
    const auto close = hostport.find(']');
    if (close == std::string_view::npos) return invalid("unterminated [IPv6] host");
    ep.host = std::string(hostport.substr(1, close - 1));
    std::string_view after = hostport.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return invalid("expected :port after the [IPv6] host");
      port = after.substr(1);
      if (port.empty()) return invalid("empty port");
    }
  } else if (auto colon = hostport.rfind(':'); colon != std::string_view::npos) {
    ep.host = std::string(hostport.substr(0, colon));
    port = hostport.substr(colon + 1);
    if (port.empty()) return invalid("empty port");
  } else {
    ep.host = std::string(hostport);
  }
  if (ep.host.empty()) return invalid("missing host (redis://host:port)");
  if (!port.empty()) {
    auto p = parse_int(port, 1, 65535);
    if (!p) return invalid("port must be a number from 1 to 65535");
    ep.port = *p;
  }
  if (!db.empty()) {
    auto d = parse_int(db, 0, 1 << 20);
    if (!d) return invalid("database must be a non-negative number (redis://host:port/0)");
    ep.db = *d;
  }
  return ep;
}

Reply copy_reply(const redisReply& r) {
  Reply out;
  switch (r.type) {
    case REDIS_REPLY_STRING: out.type = Reply::Type::string; break;
    case REDIS_REPLY_STATUS: out.type = Reply::Type::status; break;
    case REDIS_REPLY_ERROR: out.type = Reply::Type::error; break;
    case REDIS_REPLY_INTEGER: out.type = Reply::Type::integer; break;
    case REDIS_REPLY_ARRAY: out.type = Reply::Type::array; break;
    default: out.type = Reply::Type::nil; break;
  }
  if (r.type == REDIS_REPLY_STRING || r.type == REDIS_REPLY_STATUS || r.type == REDIS_REPLY_ERROR)
    out.str.assign(r.str, r.len);
  out.integer = r.integer;
  if (r.type == REDIS_REPLY_ARRAY) {
    out.elements.reserve(r.elements);
    for (std::size_t i = 0; i < r.elements; ++i) out.elements.push_back(copy_reply(*r.element[i]));
  }
  return out;
}

redisContext* open_context(const Endpoint& ep, int connect_timeout_ms, int command_timeout_ms, std::string& error) {
  redisContext* c = redisConnectWithTimeout(ep.host.c_str(), ep.port, to_timeval(connect_timeout_ms));
  if (!c) {
    error = "cannot allocate a redis context";
    return nullptr;
  }
  auto fail = [&](std::string why) -> redisContext* {
    error = std::move(why);
    redisFree(c);
    return nullptr;
  };
  if (c->err) return fail(c->errstr);
  // A timeout turns a hung server into an error instead of a stuck thread.
  if (redisSetTimeout(c, to_timeval(command_timeout_ms)) != REDIS_OK) return fail("cannot set the socket timeout");
  redisEnableKeepAlive(c);

  Reply reply;
  if (!ep.password.empty()) {
    Command auth = ep.username.empty() ? Command{"AUTH", ep.password} : Command{"AUTH", ep.username, ep.password};
    if (!run(c, auth, reply)) return fail(c->errstr);
    if (reply.is_error()) return fail("AUTH failed: " + reply.str);
  }
  if (ep.db != 0) {
    if (!run(c, {"SELECT", std::to_string(ep.db)}, reply)) return fail(c->errstr);
    if (reply.is_error()) return fail("SELECT failed: " + reply.str);
  }
  // A frozen server still completes TCP handshakes from its backlog; only an answer proves it's up.
  if (!run(c, {"PING"}, reply)) return fail(c->errstr);
  if (reply.is_error()) return fail("PING failed: " + reply.str);
  return c;
}

SigpipeGuard::SigpipeGuard() {
  sigset_t pipe_only, pending;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  sigemptyset(&pending);
  sigpending(&pending);
  was_pending_ = sigismember(&pending, SIGPIPE) == 1;
  pthread_sigmask(SIG_BLOCK, &pipe_only, &old_mask_);
}

SigpipeGuard::~SigpipeGuard() {
  if (!was_pending_) {
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    if (sigismember(&pending, SIGPIPE) == 1) {
      sigset_t pipe_only;
      sigemptyset(&pipe_only);
      sigaddset(&pipe_only, SIGPIPE);
      const timespec zero{0, 0};
      sigtimedwait(&pipe_only, nullptr, &zero);
    }
  }
  pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
}

Connection::Connection(Endpoint endpoint, std::string backend, int connect_timeout_ms, int command_timeout_ms)
    : endpoint_(std::move(endpoint)),
      backend_(std::move(backend)),
      connect_timeout_ms_(connect_timeout_ms),
      command_timeout_ms_(command_timeout_ms) {
  check();
}

Connection::~Connection() {
  if (ctx_) redisFree(ctx_);
}

bool Connection::ensure_connected(std::unique_lock<std::mutex>& lock) {
  if (ctx_) return true;
  // Another thread is already trying: fall back now rather than queue behind its timeout.
  if (connecting_ || !backoff_.due(Backoff::Clock::now())) return false;
  connecting_ = true;
  lock.unlock();
  std::string error;
  redisContext* c = open_context(endpoint_, connect_timeout_ms_, command_timeout_ms_, error);
  lock.lock();
  connecting_ = false;
  if (!c) {
    backoff_.failed(Backoff::Clock::now());
    healthy_ = false;
    log_down(error);
    return false;
  }
  ctx_ = c;
  last_ok_ = Backoff::Clock::now();
  ++epoch_;
  healthy_ = true;
  if (logged_down_) {
    log_info("redis reachable again; shared backend back in use", {{"backend", backend_}, {"redis", endpoint_.display()}});
    logged_down_ = false;
  } else {
    log_debug("redis connected", {{"backend", backend_}, {"redis", endpoint_.display()}});
  }
  return true;
}

void Connection::log_down(const std::string& error) {
  if (logged_down_) return;
  logged_down_ = true;
  log_warn("redis unreachable; using the in-process fallback until it returns",
           {{"backend", backend_}, {"redis", endpoint_.display()}, {"error", error}});
}

void Connection::drop(std::unique_lock<std::mutex>&, const char* what) {
  log_down(what && *what ? what : "connection lost");
  redisFree(ctx_);
  ctx_ = nullptr;
  healthy_ = false;
  backoff_.reset_now(Backoff::Clock::now());
}

bool Connection::idle() const { return Backoff::Clock::now() - last_ok_ > kIdleCheck; }

std::optional<Reply> Connection::command(const Command& argv) {
  std::unique_lock lock(mu_);
  for (int attempt = 0;; ++attempt) {
    if (!ensure_connected(lock)) return std::nullopt;
    const bool was_idle = idle();
    Reply out;
    int error_number = 0;
    if (run(ctx_, argv, out, &error_number)) {
      last_ok_ = Backoff::Clock::now();
      return out;
    }
    const bool retry = attempt == 0 && was_idle && closed_by_peer(ctx_, error_number);
    drop(lock, ctx_->errstr);
    if (!retry) return std::nullopt;
  }
}

std::optional<std::vector<Reply>> Connection::pipeline(const std::vector<Command>& commands) {
  std::unique_lock lock(mu_);
  for (int attempt = 0;; ++attempt) {
    if (!ensure_connected(lock)) return std::nullopt;
    const bool was_idle = idle();
    std::vector<Reply> replies;
    int error_number = 0;
    if (run_pipeline(commands, replies, error_number)) {
      last_ok_ = Backoff::Clock::now();
      return replies;
    }
    // Only a failure on the very first reply proves nothing ran (later ones may have).
    const bool retry = attempt == 0 && was_idle && replies.empty() && closed_by_peer(ctx_, error_number);
    drop(lock, ctx_->errstr[0] ? ctx_->errstr : "cannot queue a command");
    if (!retry) return std::nullopt;
  }
}

bool Connection::run_pipeline(const std::vector<Command>& commands, std::vector<Reply>& replies, int& error_number) {
  SigpipeGuard guard;
  std::vector<const char*> args;
  std::vector<std::size_t> lens;
  for (const auto& argv : commands) {
    args.clear();
    lens.clear();
    for (const auto& a : argv) {
      args.push_back(a.data());
      lens.push_back(a.size());
    }
    if (redisAppendCommandArgv(ctx_, static_cast<int>(args.size()), args.data(), lens.data()) != REDIS_OK)
      return false;
  }
  replies.reserve(commands.size());
  for (std::size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(ctx_, &raw) != REDIS_OK || !raw) {
      error_number = errno;
      return false;
    }
    auto* r = static_cast<redisReply*>(raw);
    replies.push_back(copy_reply(*r));
    freeReplyObject(r);
  }
  return true;
}

bool Connection::check() {
  std::unique_lock lock(mu_);
  // A connection nobody used for a while may be dead without knowing it (Redis stopped, a
  // partition): health reports must not trust it unseen.
  if (ctx_ && idle()) {
    Reply pong;
    if (run(ctx_, {"PING"}, pong)) last_ok_ = Backoff::Clock::now();
    else drop(lock, ctx_->errstr);
  }
  return ensure_connected(lock);
}

}  // namespace vc::redis
