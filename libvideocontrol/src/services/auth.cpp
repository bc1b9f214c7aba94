#include <map>
#include <mutex>

#include <fmt/format.h>

#include "../auth/digest.hpp"
#include "../auth/jwt.hpp"
#include "context.hpp"
#include "videocontrol/json_writer.hpp"
#include "videocontrol/id.hpp"
#include "videocontrol/password.hpp"
#include "videocontrol/permissions.hpp"
#include "videocontrol/protocol/socketio.hpp"

namespace vc {
namespace {

constexpr std::string_view kApiKeyPrefix = "vck_";
constexpr std::int64_t kTouchEveryMs = 60'000;  // last_used_at is refreshed at most once a minute

Error bad_login() { return make_error(ErrorCode::unauthenticated, "invalid username or password"); }

Error rate_limited(std::string_view what, std::int64_t retry_after_ms) {
  Error e = make_error(ErrorCode::rate_limited, fmt::format("too many {}; try again later", what));
  e.retry_after_s = static_cast<int>(std::max<std::int64_t>(1, (retry_after_ms + 999) / 1000));
  return e;
}

// Verifying against a fixed hash of the configured cost when the user does not exist keeps the
// answer time the same, so response times do not reveal which usernames exist.
std::string dummy_hash(const PasswordHashCost& cost) {
  static std::mutex mutex;
  static std::map<std::pair<std::uint32_t, std::uint32_t>, std::string> hashes;  // one per cost in use
  std::lock_guard lock(mutex);
  auto& hash = hashes[{cost.ops, cost.memory_kib}];
  if (hash.empty()) hash = hash_password("dummy-password-for-timing-0", cost).value_or(std::string());
  return hash;
}

Actor user_actor(const User& u, std::string_view address) {
  Actor a;
  a.kind = Actor::Kind::user;
  a.id = u.id;
  a.organization_id = u.organization_id;
  a.role = u.role;
  a.address = std::string(address);
  return a;
}

// Creates a session row (a new family when family_id is empty) and the token pair for it.
Result<Tokens> issue(ServiceContext& ctx, StorageSession& s, const User& u, std::string family_id,
                     std::string_view address) {
  const auto now = ctx.now_ms();
  Tokens t;
  t.refresh_token = random_secret(48);
  AuthSession row;
  row.id = new_id(*ctx.clock);
  row.user_id = u.id;
  row.family_id = family_id.empty() ? row.id : std::move(family_id);
  row.refresh_hash = sha256_hex(t.refresh_token);
  row.address = std::string(address);
  row.expires_at_ms = now + std::chrono::duration_cast<std::chrono::milliseconds>(ctx.options.refresh_token_ttl).count();
  row.created_at_ms = now;
  VC_TRY(s.sessions().insert(row));
  jwt::Claims c;
  c.sub = u.id;
  c.org = u.organization_id;
  c.role = std::string(to_string(u.role));
  c.sid = row.family_id;
  c.iat = now / 1000;
  c.exp = c.iat + ctx.options.access_token_ttl.count();
  t.access_token = jwt::sign(c, ctx.signing_key);
  t.expires_in = ctx.options.access_token_ttl.count();
  t.refresh_expires_in = ctx.options.refresh_token_ttl.count();
  t.user = u;
  return t;
}

Result<bool> organization_active(StorageSession& s, const std::string& org_id) {
  if (org_id.empty()) return true;
  VC_ASSIGN(auto o, s.organizations().find(org_id));
  return o.has_value() && o->active;
}

}  // namespace

Result<Tokens> Auth::login(std::string_view username, std::string_view password, std::string_view address) {
  const auto window = ctx_.options.login_window;
  const auto limit = ctx_.options.login_attempts;
  const std::string account_key = fmt::format("login:account:{}", username.substr(0, 128));
  const std::string address_key = fmt::format("login:address:{}", address);
  // One failure is reserved on both buckets before the (deliberately slow) hash, so concurrent
  // attempts cannot all pass a look at the bucket and be evaluated; a sign-in that succeeds gives
  // its reservation back, so a user who types correctly is never locked out by its own successes.
  std::vector<std::string> reserved;
  for (const auto& key : {account_key, address_key}) {
    auto d = ctx_.limiter.check(key, limit, window, 1);
    if (d.allowed) {
      reserved.push_back(key);
      continue;
    }
    for (const auto& k : reserved) ctx_.limiter.check(k, limit, window, -1);
    // One audit entry per bucket and window, not one per refused request: a flood of refused
    // sign-ins costs no database writes.
    if (ctx_.limiter.check("audit:" + key, 1, window, 1).allowed) {
      Actor anon;
      anon.kind = Actor::Kind::user;
      anon.address = std::string(address);
      (void)ctx_.storage.transact([&](StorageSession& s) {
        return s.audit().append(audit_entry(ctx_, anon, "auth.login_rate_limited", "user", {}, {},
                                            JsonWriter().begin_object().key("username").value(username)
                                                .key("limited").value(key == account_key ? "account" : "address")
                                                .key("window_s").value(static_cast<std::int64_t>(window.count() / 1000))
                                                .end_object().str()));
      });
    }
    return rate_limited("failed sign-ins", std::max<std::int64_t>(d.retry_after_ms, 1000));
  }
  auto give_back = [&] {
    for (const auto& k : reserved) ctx_.limiter.check(k, limit, window, -1);
  };

  auto looked_up = read_value<std::optional<User>>(ctx_.storage, [&](StorageSession& s) -> Result<std::optional<User>> {
    VC_ASSIGN(auto u, s.users().find_by_username(username));
    if (u && !u->organization_id.empty()) {
      VC_ASSIGN(bool active, organization_active(s, u->organization_id));
      if (!active) u->active = false;
    }
    return u;
  });
  if (!looked_up) {
    give_back();  // the database failed, not the caller
    return std::move(looked_up).error();
  }
  const std::optional<User>& found = *looked_up;
  bool password_ok = false;
  std::string rehashed;  // the password again at the configured cost, when its hash has another
  {
    HashGateHold hold(*ctx_.hash_gate, account_key);
    if (!hold.ok) {
      give_back();  // not evaluated: it does not count as a failure
      return rate_limited("sign-ins at this moment", 1000);
    }
    password_ok = verify_password(password, found ? found->password_hash : dummy_hash(ctx_.options.password_hash));
    if (password_ok && found->active && password_needs_rehash(found->password_hash, ctx_.options.password_hash))
      rehashed = hash_password(password, ctx_.options.password_hash).value_or(std::string());
  }
  if (!found || !password_ok || !found->active) {
    const char* reason = !found ? "unknown user" : (!password_ok ? "wrong password" : "disabled");
    Actor who;
    who.kind = Actor::Kind::user;
    who.address = std::string(address);
    if (found) who.id = found->id;
    VC_TRY(ctx_.storage.transact([&](StorageSession& s) {
      return s.audit().append(audit_entry(ctx_, who, "auth.login_failed", "user", who.id,
                                          found ? found->organization_id : std::string(),
                                          JsonWriter().begin_object().key("username").value(username).key("reason").value(reason).end_object().str()));
    }));
    // Only someone who knows the password learns that the account exists but is disabled.
    if (found && password_ok)
      return make_error(ErrorCode::forbidden, "this account or its organization is disabled; ask an administrator "
                                              "to enable it");
    return bad_login();
  }
  give_back();
  const User user = *found;
  return write_value<Tokens>(ctx_.storage, [&](StorageSession& s) -> Result<Tokens> {
    if (!rehashed.empty()) {  // unless the password changed meanwhile; nothing else of the user changes
      VC_ASSIGN(auto current, s.users().find(user.id));
      if (current && current->password_hash == user.password_hash) {
        current->password_hash = rehashed;
        VC_TRY(s.users().update(*current));
      }
    }
    VC_ASSIGN(auto t, issue(ctx_, s, user, {}, address));
    VC_TRY(s.audit().append(audit_entry(ctx_, user_actor(user, address), "auth.login", "user", user.id,
                                        user.organization_id)));
    return t;
  });
}

Result<Tokens> Auth::refresh(std::string_view refresh_token, std::string_view address) {
  if (refresh_token.empty() || refresh_token.size() > 256)
    return make_error(ErrorCode::unauthenticated, "invalid refresh token");
  const auto hash = sha256_hex(refresh_token);
  bool reused = false;
  std::string reused_user, reused_org;  // whose session a reuse ended
  auto result = write_value<Tokens>(ctx_.storage, [&](StorageSession& s) -> Result<Tokens> {
    VC_ASSIGN(auto row, s.sessions().find_by_hash(hash));
    if (!row) return make_error(ErrorCode::unauthenticated, "invalid refresh token");
    const auto now = ctx_.now_ms();
    if (row->revoked_at_ms) return make_error(ErrorCode::unauthenticated, "refresh token revoked; sign in again");
    if (row->expires_at_ms <= now) return make_error(ErrorCode::unauthenticated, "refresh token expired; sign in again");
    VC_ASSIGN(auto user, s.users().find(row->user_id));
    VC_ASSIGN(bool marked, row->used_at_ms ? Result<bool>(false) : s.sessions().mark_used(row->id, now));
    if (!marked) {
      // A used token came back: someone holds a copy. End the whole session; this must commit.
      reused = true;
      reused_user = row->user_id;
      reused_org = user ? user->organization_id : std::string();
      VC_TRY(s.sessions().revoke_family(row->family_id, now));
      Actor who;
      who.kind = Actor::Kind::user;
      who.id = row->user_id;
      who.address = std::string(address);
      VC_TRY(s.audit().append(audit_entry(ctx_, who, "auth.refresh_reuse", "session", row->family_id,
                                          user ? user->organization_id : std::string())));
      return Tokens{};
    }
    if (!user || !user->active) return make_error(ErrorCode::unauthenticated, "account disabled");
    VC_ASSIGN(bool org_ok, organization_active(s, user->organization_id));
    if (!org_ok) return make_error(ErrorCode::unauthenticated, "organization disabled");
    return issue(ctx_, s, *user, row->family_id, address);
  });
  if (reused) {
    ctx_.publish(domain_event(EventKind::sessions_ended, reused_org, {}, reused_user, "refresh_reuse"), Actor{});
    return make_error(ErrorCode::unauthenticated, "refresh token was already used; the session has been revoked");
  }
  return result;
}

Result<void> Auth::logout(const Actor& actor, std::string_view refresh_token) {
  if (actor.kind != Actor::Kind::user) return make_error(ErrorCode::invalid, "only signed-in users can sign out");
  auto r = ctx_.storage.transact([&](StorageSession& s) -> Result<void> {
    std::string family = actor.session_id;
    if (!refresh_token.empty()) {
      VC_ASSIGN(auto row, s.sessions().find_by_hash(sha256_hex(refresh_token)));
      if (!row || row->user_id != actor.id) return make_error(ErrorCode::not_found, "no such session");
      family = row->family_id;
    }
    if (!family.empty()) VC_TRY(s.sessions().revoke_family(family, ctx_.now_ms()));
    return s.audit().append(audit_entry(ctx_, actor, "auth.logout", "session", family, actor.organization_id));
  });
  if (r) ctx_.publish(domain_event(EventKind::sessions_ended, actor.organization_id, {}, actor.id, "logout"), actor);
  return r;
}

Result<void> Auth::logout_everywhere(const Actor& actor) {
  if (actor.kind != Actor::Kind::user) return make_error(ErrorCode::invalid, "only signed-in users can sign out");
  auto r = ctx_.storage.transact([&](StorageSession& s) -> Result<void> {
    VC_TRY(s.sessions().revoke_user(actor.id, ctx_.now_ms()));
    return s.audit().append(audit_entry(ctx_, actor, "auth.logout_all", "user", actor.id, actor.organization_id));
  });
  if (r) ctx_.publish(domain_event(EventKind::sessions_ended, actor.organization_id, {}, actor.id, "logout_all"), actor);
  return r;
}

Result<void> Auth::change_password(const Actor& actor, std::string_view current, std::string_view next) {
  if (actor.kind != Actor::Kind::user) return make_error(ErrorCode::invalid, "API keys have no password");
  VC_ASSIGN(auto user, read_value<std::optional<User>>(ctx_.storage, [&](StorageSession& s) { return s.users().find(actor.id); }));
  if (!user) return make_error(ErrorCode::unauthenticated, "account no longer exists");
  std::string hash;
  {
    HashGateHold hold(*ctx_.hash_gate, "login:account:" + user->username.substr(0, 128));
    if (!hold.ok) return rate_limited("password changes at this moment", 1000);
    if (!verify_password(current, user->password_hash))
      return make_error(ErrorCode::unauthenticated, "current password is wrong");
    VC_TRY(check_password_strength(next, user->username));
    VC_ASSIGN(hash, hash_password(next, ctx_.options.password_hash));
  }
  auto r = ctx_.storage.transact([&](StorageSession& s) -> Result<void> {
    VC_ASSIGN(auto u, s.users().find(actor.id));
    if (!u) return make_error(ErrorCode::unauthenticated, "account no longer exists");
    u->password_hash = hash;
    u->updated_at_ms = ctx_.now_ms();
    VC_TRY(s.users().update(*u));
    // Every session ends, this one included: whoever knew the old password is signed out.
    VC_TRY(s.sessions().revoke_user(u->id, u->updated_at_ms));
    return s.audit().append(audit_entry(ctx_, actor, "user.password_change", "user", u->id, u->organization_id));
  });
  if (r) ctx_.publish(domain_event(EventKind::sessions_ended, actor.organization_id, {}, actor.id, "password_change"), actor);
  return r;
}

Result<Actor> Auth::authenticate(std::string_view credential, std::string_view address) {
  return check_credential(credential, address, true);
}

Result<Actor> Auth::recheck(std::string_view credential, std::string_view address) {
  return check_credential(credential, address, false);
}

Result<Actor> Auth::check_credential(std::string_view credential, std::string_view address, bool count_request) {
  if (credential.empty()) return make_error(ErrorCode::unauthenticated, "missing credentials: send Authorization: Bearer <token> or X-API-Key");
  const bool api_key = credential.starts_with(kApiKeyPrefix);
  if (api_key && credential.size() > 128) return make_error(ErrorCode::unauthenticated, "invalid API key");
  const auto now = ctx_.now_ms();
  const std::string hash = sha256_hex(credential);
  AuthCache& cache = *ctx_.auth_cache;
  // A re-check (a control socket's) always reads the database: it is the one that must see a change
  // whose event it is reacting to, whatever order the event's subscribers run in.
  std::optional<AuthCache::Entry> cached;
  if (count_request) cached = cache.find(hash, now);
  if (!cached) {
    AuthCache::Entry entry;
    const auto generation = cache.generation();  // before the reads: a change meanwhile voids the entry
    if (api_key) {
      VC_ASSIGN(auto key, read_value<std::optional<ApiKey>>(ctx_.storage, [&](StorageSession& s) -> Result<std::optional<ApiKey>> {
        VC_ASSIGN(auto k, s.api_keys().find_by_hash(hash));
        if (k) {
          VC_ASSIGN(bool active, organization_active(s, k->organization_id));
          if (!active) return std::optional<ApiKey>{};
        }
        return k;
      }));
      if (!key || key->revoked_at_ms) return make_error(ErrorCode::unauthenticated, "invalid or revoked API key");
      if (key->expires_at_ms && *key->expires_at_ms <= now) return make_error(ErrorCode::unauthenticated, "API key expired");
      entry.actor.kind = Actor::Kind::api_key;
      entry.actor.id = key->id;
      entry.actor.organization_id = key->organization_id;
      entry.actor.scopes = parse_scopes(key->scopes).value_or(0);
      entry.api_key_id = key->id;
      entry.touched_at_ms = key->last_used_at_ms.value_or(0);
      entry.expires_at_ms = now + cache.ttl_ms();
      if (key->expires_at_ms) entry.expires_at_ms = std::min(entry.expires_at_ms, *key->expires_at_ms);
    } else {
      VC_ASSIGN(auto claims, jwt::verify(credential, ctx_.signing_key, now / 1000));
      VC_ASSIGN(auto user, read_value<std::optional<User>>(ctx_.storage, [&](StorageSession& s) -> Result<std::optional<User>> {
        VC_ASSIGN(auto u, s.users().find(claims.sub));
        if (!u || !u->active) return std::optional<User>{};
        VC_ASSIGN(bool org_ok, organization_active(s, u->organization_id));
        VC_ASSIGN(bool live, s.sessions().family_active(claims.sid, now));
        if (!org_ok || !live) return std::optional<User>{};
        return u;
      }));
      if (!user) return make_error(ErrorCode::unauthenticated, "session ended or account disabled; sign in again");
      entry.actor = user_actor(*user, {});
      entry.actor.session_id = claims.sid;
      entry.user_id = user->id;
      entry.session_family = claims.sid;
      // The token's own expiry (jwt::verify refuses it from exp on) bounds the entry too.
      entry.expires_at_ms = std::min(now + cache.ttl_ms(), claims.exp * 1000);
    }
    cache.insert(hash, entry, generation, now);
    cached = std::move(entry);
  }
  Actor actor = cached->actor;
  actor.address = std::string(address);
  std::string rate_key;
  if (actor.kind == Actor::Kind::api_key) {
    rate_key = "api:key:" + actor.id;
    if (now - cached->touched_at_ms >= kTouchEveryMs) {
      (void)ctx_.storage.transact([&](StorageSession& s) { return s.api_keys().touch(actor.id, now); });
      cache.touched(hash, now);
    }
  } else {
    rate_key = "api:user:" + actor.id;
  }
  if (!count_request) return actor;
  auto d = ctx_.limiter.check(rate_key, ctx_.options.api_requests_per_minute, std::chrono::minutes(1));
  if (!d.allowed) return rate_limited("requests", d.retry_after_ms);
  return actor;
}

Result<Actor> Auth::act_in(const Actor& actor, std::string_view organization_id) {
  if (actor.kind != Actor::Kind::user || actor.role != Role::superadmin)
    return make_error(ErrorCode::forbidden,
                      "only the superadmin may act in another organization; others always act in their own");
  if (organization_id.empty()) return make_error(ErrorCode::invalid, "name the organization to act in");
  if (organization_id.size() > 64)
    return make_error(ErrorCode::not_found, "organization not found");
  if (organization_id == actor.organization_id && !actor.as_superadmin) return actor;
  VC_ASSIGN(auto org, read_value<std::optional<Organization>>(ctx_.storage, [&](StorageSession& s) {
    return s.organizations().find(organization_id);
  }));
  if (!org) return make_error(ErrorCode::not_found, fmt::format("organization '{}' not found", organization_id));
  Actor out = actor;
  const std::string home = actor.as_superadmin ? actor.home_organization_id : actor.organization_id;
  out.organization_id = org->id;
  out.home_organization_id = home;
  out.as_superadmin = org->id != home;
  if (!out.as_superadmin) out.home_organization_id.clear();
  return out;
}

Result<User> Auth::me(const Actor& actor) {
  if (actor.kind != Actor::Kind::user) return make_error(ErrorCode::invalid, "an API key is not a user");
  VC_ASSIGN(auto u, read_value<std::optional<User>>(ctx_.storage, [&](StorageSession& s) { return s.users().find(actor.id); }));
  if (!u) return make_error(ErrorCode::unauthenticated, "account no longer exists");
  return std::move(*u);
}

}  // namespace vc
