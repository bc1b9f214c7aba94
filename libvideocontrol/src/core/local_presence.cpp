// The in-process Presence: organisation -> device -> instance -> expiry. With one instance it is
// the whole truth; the Redis backend also keeps one as its fallback.
#include <map>
#include <mutex>

#include "videocontrol/presence.hpp"

namespace vc {
namespace {

// Entries are pruned only this long after they expired, so callers whose "now" differ a little
// (threads reading the clock at slightly different moments) still agree.
constexpr std::int64_t kPruneGraceMs = 60'000;

class LocalPresence final : public Presence {
 public:
  void heartbeat(std::string_view org, std::string_view device, std::string_view instance,
                 std::int64_t expires_at_ms) override {
    std::lock_guard lock(mu_);
    orgs_[std::string(org)][std::string(device)][std::string(instance)] = expires_at_ms;
  }

  void heartbeat_many(std::span<const Held> devices, std::string_view instance, std::int64_t expires_at_ms) override {
    std::lock_guard lock(mu_);
    Devices* current = nullptr;  // callers list an organisation's devices together
    std::string_view current_org;
    for (const auto& d : devices) {
      if (!current || d.organization_id != current_org) {
        current = &orgs_[d.organization_id];
        current_org = d.organization_id;
      }
      auto& instances = (*current)[d.device_id];
      if (auto i = instances.find(instance); i != instances.end()) i->second = expires_at_ms;
      else instances.emplace(std::string(instance), expires_at_ms);
    }
  }

  void remove(std::string_view org, std::string_view device, std::string_view instance) override {
    std::lock_guard lock(mu_);
    auto o = orgs_.find(org);
    if (o == orgs_.end()) return;
    auto d = o->second.find(device);
    if (d == o->second.end()) return;
    if (auto i = d->second.find(instance); i != d->second.end()) d->second.erase(i);
    if (d->second.empty()) o->second.erase(d);
    if (o->second.empty()) orgs_.erase(o);
  }

  std::vector<std::string> online(std::string_view org, std::int64_t now_ms) override {
    std::vector<std::string> out;
    std::lock_guard lock(mu_);
    auto o = orgs_.find(org);
    if (o == orgs_.end()) return out;
    for (auto d = o->second.begin(); d != o->second.end();) {
      bool live = false;
      for (auto i = d->second.begin(); i != d->second.end();) {
        if (i->second > now_ms) live = true;
        if (i->second + kPruneGraceMs <= now_ms) i = d->second.erase(i);
        else ++i;
      }
      if (live) out.push_back(d->first);  // map order: sorted, unique
      d = d->second.empty() ? o->second.erase(d) : std::next(d);
    }
    if (o->second.empty()) orgs_.erase(o);
    return out;
  }

  bool is_online(std::string_view org, std::string_view device, std::int64_t now_ms) override {
    std::lock_guard lock(mu_);
    auto o = orgs_.find(org);
    if (o == orgs_.end()) return false;
    auto d = o->second.find(device);
    if (d == o->second.end()) return false;
    for (const auto& [instance, expires] : d->second)
      if (expires > now_ms) return true;
    return false;
  }

  bool healthy() const override { return true; }

  std::vector<Held> reap_expired(std::int64_t now_ms) override {
    std::vector<Held> out;
    std::lock_guard lock(mu_);
    for (auto o = orgs_.begin(); o != orgs_.end();) {
      for (auto d = o->second.begin(); d != o->second.end();) {
        bool expired = false, live = false;
        for (auto i = d->second.begin(); i != d->second.end();) {
          if (i->second > now_ms) {
            live = true;
            ++i;
          } else {
            expired = true;
            i = d->second.erase(i);
          }
        }
        if (expired && !live) out.push_back({o->first, d->first});
        d = d->second.empty() ? o->second.erase(d) : std::next(d);
      }
      o = o->second.empty() ? orgs_.erase(o) : std::next(o);
    }
    return out;
  }

 private:
  using Instances = std::map<std::string, std::int64_t, std::less<>>;
  using Devices = std::map<std::string, Instances, std::less<>>;
  std::mutex mu_;
  std::map<std::string, Devices, std::less<>> orgs_;
};

}  // namespace

std::unique_ptr<Presence> make_local_presence() { return std::make_unique<LocalPresence>(); }

}  // namespace vc
