#include "auth_cache.hpp"

namespace vc {

std::uint64_t AuthCache::generation() const {
  std::lock_guard lock(mu_);
  return generation_;
}

std::optional<AuthCache::Entry> AuthCache::find(const std::string& credential_hash, std::int64_t now_ms) {
  if (!enabled()) return std::nullopt;
  std::lock_guard lock(mu_);
  auto it = entries_.find(credential_hash);
  if (it == entries_.end()) {
    ++stats_.misses;
    return std::nullopt;
  }
  if (now_ms >= it->second.expires_at_ms) {
    entries_.erase(it);
    ++stats_.misses;
    return std::nullopt;
  }
  ++stats_.hits;
  return it->second;
}

void AuthCache::insert(const std::string& credential_hash, Entry entry, std::uint64_t generation, std::int64_t now_ms) {
  if (!enabled()) return;
  std::lock_guard lock(mu_);
  if (generation != generation_) return;  // something changed while the caller read the database
  if (entries_.size() >= capacity_ && !entries_.count(credential_hash)) {
    std::erase_if(entries_, [&](const auto& kv) { return kv.second.expires_at_ms <= now_ms; });
    // Still full: make room with arbitrary entries (they are a read away from coming back).
    while (entries_.size() >= capacity_) entries_.erase(entries_.begin());
  }
  entries_.insert_or_assign(credential_hash, std::move(entry));
}

void AuthCache::touched(const std::string& credential_hash, std::int64_t now_ms) {
  std::lock_guard lock(mu_);
  if (auto it = entries_.find(credential_hash); it != entries_.end()) it->second.touched_at_ms = now_ms;
}

template <class Pred>
void AuthCache::forget_if(Pred pred) {
  std::lock_guard lock(mu_);
  ++generation_;
  ++stats_.invalidations;
  std::erase_if(entries_, [&](const auto& kv) { return pred(kv.second); });
}

void AuthCache::forget_user(const std::string& user_id) {
  forget_if([&](const Entry& e) { return !user_id.empty() && e.user_id == user_id; });
}

void AuthCache::forget_api_key(const std::string& api_key_id) {
  forget_if([&](const Entry& e) { return !api_key_id.empty() && e.api_key_id == api_key_id; });
}

void AuthCache::forget_organization(const std::string& organization_id) {
  forget_if([&](const Entry& e) { return !organization_id.empty() && e.actor.organization_id == organization_id; });
}

void AuthCache::clear() {
  forget_if([](const Entry&) { return true; });
}

void AuthCache::on_event(const DomainEvent& e) {
  switch (e.kind) {
    case EventKind::user_changed:    // disabled, deleted, another role or organisation, password reset
    case EventKind::sessions_ended:  // sign-out (everywhere), password change, a reused refresh token
      // An event without the id (from an older instance) cannot be narrowed: everything goes.
      if (e.media_id.empty()) clear(); else forget_user(e.media_id);
      break;
    case EventKind::api_key_changed:
      if (e.media_id.empty()) clear(); else forget_api_key(e.media_id);
      break;
    case EventKind::organization_changed:
      if (e.organization_id.empty()) clear(); else forget_organization(e.organization_id);
      break;
    default:
      break;
  }
}

AuthCache::Stats AuthCache::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

std::size_t AuthCache::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace vc
