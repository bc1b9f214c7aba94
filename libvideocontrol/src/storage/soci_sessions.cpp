#include "soci_repositories.hpp"

namespace vc::storage {

Result<void> SociSessions::insert(const AuthSession& a) {
  return guarded([&]() -> Result<void> {
    long long expires = a.expires_at_ms, created = a.created_at_ms;
    NullableText addr(a.address);
    s_ << "INSERT INTO sessions (id, user_id, family_id, refresh_hash, address, expires_at, created_at) "
          "VALUES (:id, :user, :family, :hash, :addr, :expires, :created)",
        soci::use(a.id), soci::use(a.user_id), soci::use(a.family_id), soci::use(a.refresh_hash),
        soci::use(addr.value, addr.ind), soci::use(expires), soci::use(created);
    return {};
  });
}

Result<std::optional<AuthSession>> SociSessions::find_by_hash(std::string_view refresh_hash) {
  return guarded([&]() -> Result<std::optional<AuthSession>> {
    AuthSession a;
    std::string key(refresh_hash);
    NullableText addr;
    NullableInt used, revoked;
    long long expires = 0, created = 0;
    soci::statement st = (s_.prepare << "SELECT id, user_id, family_id, refresh_hash, address, used_at, revoked_at, "
                                        "expires_at, created_at FROM sessions WHERE refresh_hash = :h",
                          soci::into(a.id), soci::into(a.user_id), soci::into(a.family_id), soci::into(a.refresh_hash),
                          soci::into(addr.value, addr.ind), soci::into(used.value, used.ind),
                          soci::into(revoked.value, revoked.ind), soci::into(expires), soci::into(created),
                          soci::use(key));
    if (!st.execute(true)) return std::optional<AuthSession>{};
    a.address = addr.get();
    a.used_at_ms = used.get();
    a.revoked_at_ms = revoked.get();
    a.expires_at_ms = expires;
    a.created_at_ms = created;
    return std::optional<AuthSession>{std::move(a)};
  });
}

Result<bool> SociSessions::mark_used(std::string_view id, std::int64_t at_ms) {
  return guarded([&]() -> Result<bool> {
    std::string key(id);
    long long at = at_ms;
    soci::statement st = (s_.prepare << "UPDATE sessions SET used_at = :at WHERE id = :id AND used_at IS NULL",
                          soci::use(at), soci::use(key));
    st.execute(true);
    return st.get_affected_rows() > 0;
  });
}

Result<void> SociSessions::revoke_family(std::string_view family_id, std::int64_t at_ms) {
  return guarded([&]() -> Result<void> {
    std::string key(family_id);
    long long at = at_ms;
    s_ << "UPDATE sessions SET revoked_at = :at WHERE family_id = :f AND revoked_at IS NULL", soci::use(at),
        soci::use(key);
    return {};
  });
}

Result<void> SociSessions::revoke_user(std::string_view user_id, std::int64_t at_ms) {
  return guarded([&]() -> Result<void> {
    std::string key(user_id);
    long long at = at_ms;
    s_ << "UPDATE sessions SET revoked_at = :at WHERE user_id = :u AND revoked_at IS NULL", soci::use(at),
        soci::use(key);
    return {};
  });
}

Result<bool> SociSessions::family_active(std::string_view family_id, std::int64_t now_ms) {
  return guarded([&]() -> Result<bool> {
    std::string key(family_id);
    long long now = now_ms, n = 0;
    s_ << "SELECT count(*) FROM sessions WHERE family_id = :f AND revoked_at IS NULL AND expires_at > :now",
        soci::into(n), soci::use(key), soci::use(now);
    return n > 0;
  });
}

}  // namespace vc::storage
