// AuthCache: the credentials Auth::authenticate accepted lately, so that a request with a known
// credential costs no database read (issue 16: the reads of the API key, user, organisation and
// session were most of an authenticated request's cost). Private to the library.
//
// Keyed by the SHA-256 of the credential (the access token or API key itself is never kept). An
// entry holds the Actor and what it depends on (user, API key, session family, organisation), and
// lasts until the earliest of: its TTL (a few seconds: the safety net for an event lost while the
// shared bus was down), the credential's own expiry, or an event saying something it depends on
// changed — on this instance or another, through the domain events (Services subscribes on_event).
//
// Generations close the race between a read and a change: a caller takes generation() before it
// reads the database, and insert() drops the entry when any invalidation happened since, so a
// result read before a revocation committed is never cached after the revocation's event.
//
// Bounded: at `capacity` entries the expired ones go, then arbitrary ones. Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "videocontrol/actor.hpp"
#include "videocontrol/events.hpp"

namespace vc {

class AuthCache {
 public:
  struct Entry {
    Actor actor;                  // as authenticated, without the request's address
    std::string user_id;          // a user's credential: the user
    std::string api_key_id;       // an API key: the key
    std::string session_family;   // a user's credential: its session family
    std::int64_t expires_at_ms = 0;   // not served from this instant on
    std::int64_t touched_at_ms = 0;   // an API key: when its last_used_at was last written
  };
  struct Stats {
    std::uint64_t hits = 0, misses = 0, invalidations = 0;
  };

  // capacity 0 or ttl ≤ 0: off (find finds nothing, insert keeps nothing).
  AuthCache(std::size_t capacity, std::chrono::milliseconds ttl) : capacity_(capacity), ttl_ms_(ttl.count()) {}

  bool enabled() const { return capacity_ > 0 && ttl_ms_ > 0; }
  std::int64_t ttl_ms() const { return ttl_ms_; }
  // REQUIRES: taken before the database read whose result is inserted.
  std::uint64_t generation() const;
  std::optional<Entry> find(const std::string& credential_hash, std::int64_t now_ms);
  // Keeps `entry` unless something was invalidated since `generation` was taken.
  void insert(const std::string& credential_hash, Entry entry, std::uint64_t generation, std::int64_t now_ms);
  // An API key's last_used_at was written at now_ms (the entry remembers, to write it once a minute).
  void touched(const std::string& credential_hash, std::int64_t now_ms);

  void forget_user(const std::string& user_id);
  void forget_api_key(const std::string& api_key_id);
  void forget_organization(const std::string& organization_id);
  void clear();
  // A domain event → the invalidation it implies (user, API key, session or organisation changes).
  void on_event(const DomainEvent& event);

  Stats stats() const;
  std::size_t size() const;

 private:
  template <class Pred>
  void forget_if(Pred pred);

  const std::size_t capacity_;
  const std::int64_t ttl_ms_;
  mutable std::mutex mu_;
  std::uint64_t generation_ = 0;  // guarded by mu_; bumped by every invalidation
  std::unordered_map<std::string, Entry> entries_;
  Stats stats_;
};

}  // namespace vc
