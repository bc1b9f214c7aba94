// Redis Presence backend: per organisation one sorted set `prefix + "presence:" + org` whose members
// are "device_id \x1f instance_id", scored by expires_at_ms (the online list), and per device one
// sorted set `prefix + "presence-device:" + org + ":" + device_id` of instance ids with the same
// scores (is_online without fetching the organisation's whole list: it runs on every registration).
// An instance that dies simply stops refreshing its members, which then fall below "now" and stop
// counting.
//
// Every heartbeat/remove also goes to an in-process Presence, which answers while Redis is
// unreachable (this instance's devices only: the documented degradation). The entries this
// instance owns are remembered as well, so that after an outage they are written back at once
// (their Redis copies may have expired meanwhile) and removals made meanwhile are applied.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <tuple>

#include "redis/redis_connection.hpp"
#include "videocontrol/redis.hpp"

namespace vc {
namespace {

constexpr char kSeparator = '\x1f';
// Expired members are trimmed from Redis on every kTrimEvery-th online() call, once they are older
// than kReapGraceMs: until then reap_expired (every instance's sweep, every few seconds) finds them
// and reports their devices offline.
constexpr unsigned kTrimEvery = 16;
constexpr std::int64_t kReapGraceMs = 300'000;
// The set itself expires this long after the latest heartbeat would (in real time), so sets of
// organisations nobody asks about do not linger forever. Scores come from the callers' clock,
// which may not be Redis's, hence the generous margin.
constexpr std::int64_t kKeyGraceMs = 3'600'000;
// This instance's own entries are forgotten this long after they expired.
constexpr std::int64_t kOwnPruneGraceMs = 60'000;
// Members per ZADD when many devices are refreshed at once.
constexpr std::size_t kMembersPerCommand = 512;

std::int64_t system_now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

class RedisPresence final : public Presence {
 public:
  RedisPresence(const RedisOptions& options, redis::Endpoint endpoint)
      : prefix_(options.key_prefix),
        local_(make_local_presence()),
        conn_(std::make_unique<redis::Connection>(std::move(endpoint), "presence", options.connect_timeout_ms,
                                                  options.command_timeout_ms)) {}

  void heartbeat(std::string_view org, std::string_view device, std::string_view instance,
                 std::int64_t expires_at_ms) override {
    const Held one{std::string(org), std::string(device)};
    heartbeat_many({&one, 1}, instance, expires_at_ms);
  }

  void heartbeat_many(std::span<const Held> devices, std::string_view instance, std::int64_t expires_at_ms) override {
    if (devices.empty()) return;
    local_->heartbeat_many(devices, instance, expires_at_ms);
    const std::string score = std::to_string(expires_at_ms);
    std::map<std::string_view, redis::Command> by_org;  // one ZADD per organisation...
    std::vector<redis::Command> commands;
    {
      std::lock_guard lock(own_mu_);
      for (const auto& d : devices) {
        std::string m = member(d.device_id, instance);
        own_[d.organization_id][m] = expires_at_ms;
        removed_.erase({d.organization_id, m});
        auto& zadd = by_org[d.organization_id];
        if (zadd.empty()) zadd = {"ZADD", key(d.organization_id)};
        zadd.push_back(score);
        zadd.push_back(std::move(m));
        if (zadd.size() >= 2 + 2 * kMembersPerCommand) {  // ...in commands of bounded size
          commands.push_back(std::move(zadd));
          zadd.clear();
        }
        const std::string dk = device_key(d.organization_id, d.device_id);
        commands.push_back({"ZADD", dk, score, std::string(instance)});
        commands.push_back(expire_command(dk, expires_at_ms));
      }
    }
    redis::Command sadd{"SADD", orgs_key()};  // the organisations reap_expired looks at
    for (auto& [org, zadd] : by_org) {
      if (!zadd.empty()) commands.push_back(std::move(zadd));
      commands.push_back(expire_command(key(org), expires_at_ms));
      sadd.push_back(std::string(org));
    }
    commands.push_back(std::move(sadd));
    sync_after_reconnect();
    (void)conn_->pipeline(commands);  // one round trip; while Redis is away the local copy answers
  }

  void remove(std::string_view org, std::string_view device, std::string_view instance) override {
    local_->remove(org, device, instance);
    const std::string m = member(device, instance);
    {
      std::lock_guard lock(own_mu_);
      if (auto o = own_.find(org); o != own_.end()) {
        o->second.erase(m);
        if (o->second.empty()) own_.erase(o);
      }
    }
    sync_after_reconnect();
    auto r = conn_->pipeline({{"ZREM", key(org), m}, {"ZREM", device_key(org, device), std::string(instance)}});
    if (!r || std::any_of(r->begin(), r->end(), [](const auto& reply) { return reply.is_error(); })) {
      std::lock_guard lock(own_mu_);
      removed_.insert({std::string(org), m});
    }
  }

  std::vector<std::string> online(std::string_view org, std::int64_t now_ms) override {
    const bool trim = calls_.fetch_add(1, std::memory_order_relaxed) % kTrimEvery == 0;
    if (trim) prune_own(now_ms);
    sync_after_reconnect();
    std::vector<redis::Command> commands;
    if (trim)
      commands.push_back({"ZREMRANGEBYSCORE", key(org), "-inf", std::to_string(now_ms - kReapGraceMs)});
    // Exclusive lower bound: an entry expiring exactly now is gone (as in the in-process one).
    commands.push_back({"ZRANGEBYSCORE", key(org), "(" + std::to_string(now_ms), "+inf"});
    auto replies = conn_->pipeline(commands);
    if (!replies || !replies->back().is_array()) return local_->online(org, now_ms);

    std::vector<std::string> devices;
    devices.reserve(replies->back().elements.size());
    for (const auto& e : replies->back().elements) {
      // Split at the last separator: instance ids are ours and never contain it.
      const auto sep = e.str.rfind(kSeparator);
      devices.push_back(sep == std::string::npos ? e.str : e.str.substr(0, sep));
    }
    std::sort(devices.begin(), devices.end());
    devices.erase(std::unique(devices.begin(), devices.end()), devices.end());
    return devices;
  }

  bool is_online(std::string_view org, std::string_view device, std::int64_t now_ms) override {
    sync_after_reconnect();
    // Exclusive lower bound, as in online(): an entry expiring exactly now is gone.
    auto r = conn_->command({"ZRANGEBYSCORE", device_key(org, device), "(" + std::to_string(now_ms), "+inf", "LIMIT", "0", "1"});
    if (!r || !r->is_array()) return local_->is_online(org, device, now_ms);
    return !r->elements.empty();
  }

  // Also the moment to write this instance's entries back after an outage: /readyz polls this, so
  // other instances see them again even before the next heartbeat.
  bool healthy() const override {
    sync_after_reconnect();
    return conn_->healthy();
  }

  // Expired members of every organisation with presence; each is claimed by the one ZREM that
  // removes it (so one instance reports it), then reported when no live entry of the device is left.
  std::vector<Held> reap_expired(std::int64_t now_ms) override {
    std::vector<Held> out;
    auto orgs = conn_->command({"SMEMBERS", orgs_key()});
    if (!orgs || !orgs->is_array() || orgs->elements.empty()) return out;
    std::vector<redis::Command> ranges;
    for (const auto& o : orgs->elements) ranges.push_back({"ZRANGEBYSCORE", key(o.str), "-inf", std::to_string(now_ms)});
    auto expired = conn_->pipeline(ranges);
    if (!expired) return out;
    struct Candidate {
      std::string org, member;
    };
    std::vector<Candidate> candidates;
    for (std::size_t i = 0; i < expired->size() && i < orgs->elements.size(); ++i)
      for (const auto& m : (*expired)[i].elements) candidates.push_back({orgs->elements[i].str, m.str});
    if (candidates.empty()) return out;
    std::vector<redis::Command> claims;
    for (const auto& c : candidates) claims.push_back({"ZREM", key(c.org), c.member});
    auto claimed = conn_->pipeline(claims);
    if (!claimed) return out;
    std::vector<Candidate> mine;
    std::vector<redis::Command> checks;
    for (std::size_t i = 0; i < candidates.size() && i < claimed->size(); ++i) {
      if (!(*claimed)[i].is_integer() || (*claimed)[i].integer != 1) continue;  // another instance's
      const auto [device, instance] = split(candidates[i].member);
      checks.push_back({"ZREM", device_key(candidates[i].org, device), std::string(instance)});
      checks.push_back({"ZRANGEBYSCORE", device_key(candidates[i].org, device), "(" + std::to_string(now_ms), "+inf",
                        "LIMIT", "0", "1"});
      mine.push_back(candidates[i]);
    }
    if (mine.empty()) return out;
    auto live = conn_->pipeline(checks);
    if (!live) return out;
    for (std::size_t i = 0; i < mine.size() && 2 * i + 1 < live->size(); ++i) {
      const auto& r = (*live)[2 * i + 1];
      if (r.is_array() && !r.elements.empty()) continue;  // the player is on another instance now
      out.push_back({mine[i].org, std::string(split(mine[i].member).first)});
    }
    std::sort(out.begin(), out.end(), [](const Held& a, const Held& b) {
      return std::tie(a.organization_id, a.device_id) < std::tie(b.organization_id, b.device_id);
    });
    out.erase(std::unique(out.begin(), out.end(), [](const Held& a, const Held& b) {
                return a.organization_id == b.organization_id && a.device_id == b.device_id;
              }), out.end());
    return out;
  }

 private:
  std::string orgs_key() const { return prefix_ + "presence-orgs"; }
  std::string key(std::string_view org) const { return prefix_ + "presence:" + std::string(org); }
  std::string device_key(std::string_view org, std::string_view device) const {
    return prefix_ + "presence-device:" + std::string(org) + ":" + std::string(device);
  }
  static std::pair<std::string_view, std::string_view> split(std::string_view m) {  // → (device, instance)
    const auto sep = m.rfind(kSeparator);
    return {m.substr(0, sep), sep == std::string_view::npos ? std::string_view{} : m.substr(sep + 1)};
  }
  static std::string member(std::string_view device, std::string_view instance) {
    std::string m(device);
    m.push_back(kSeparator);
    m.append(instance);
    return m;
  }
  static redis::Command expire_command(std::string key, std::int64_t expires_at_ms) {
    const std::int64_t ttl = std::max<std::int64_t>(expires_at_ms - system_now_ms(), 0) + kKeyGraceMs;
    return {"PEXPIRE", std::move(key), std::to_string(ttl)};
  }

  // After every (re)connect, Redis gets this instance's live entries and pending removals again.
  void sync_after_reconnect() const {
    if (!conn_->check() || conn_->epoch() == synced_epoch_.load()) return;
    std::lock_guard lock(own_mu_);
    const std::uint64_t epoch = conn_->epoch();
    if (epoch == synced_epoch_.load()) return;
    std::vector<redis::Command> commands;
    for (const auto& [org, removed] : removed_) {
      commands.push_back({"ZREM", key(org), removed});
      const auto [device, instance] = split(removed);
      commands.push_back({"ZREM", device_key(org, device), std::string(instance)});
    }
    for (const auto& [org, members] : own_) {
      redis::Command zadd{"ZADD", key(org)};
      std::int64_t latest = 0;
      for (const auto& [m, expires] : members) {
        zadd.push_back(std::to_string(expires));
        zadd.push_back(m);
        latest = std::max(latest, expires);
        const auto [device, instance] = split(m);
        commands.push_back({"ZADD", device_key(org, device), std::to_string(expires), std::string(instance)});
        commands.push_back(expire_command(device_key(org, device), expires));
      }
      commands.push_back(std::move(zadd));
      commands.push_back(expire_command(key(org), latest));
    }
    if (!commands.empty() && !conn_->pipeline(commands)) return;  // dropped again: retry next time
    removed_.clear();
    synced_epoch_ = epoch;
  }

  void prune_own(std::int64_t now_ms) {
    std::lock_guard lock(own_mu_);
    for (auto o = own_.begin(); o != own_.end();) {
      std::erase_if(o->second, [&](const auto& kv) { return kv.second + kOwnPruneGraceMs <= now_ms; });
      o = o->second.empty() ? own_.erase(o) : std::next(o);
    }
  }

  const std::string prefix_;
  std::unique_ptr<Presence> local_;
  std::unique_ptr<redis::Connection> conn_;
  std::atomic<unsigned> calls_{0};

  mutable std::mutex own_mu_;
  std::map<std::string, std::map<std::string, std::int64_t>, std::less<>> own_;  // org -> member -> expiry
  mutable std::set<std::pair<std::string, std::string>> removed_;  // (org, member) removed while Redis was away
  mutable std::atomic<std::uint64_t> synced_epoch_{0};
};

}  // namespace

Result<std::unique_ptr<Presence>> make_redis_presence(const RedisOptions& options) {
  auto endpoint = redis::parse_url(options.url);
  if (!endpoint) return endpoint.error();
  return std::unique_ptr<Presence>(std::make_unique<RedisPresence>(options, std::move(*endpoint)));
}

}  // namespace vc
