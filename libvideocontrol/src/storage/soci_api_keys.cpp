#include "soci_repositories.hpp"

namespace vc::storage {
namespace {

constexpr const char* kColumns =
    "id, organization_id, name, prefix, key_hash, scopes, created_by, expires_at, last_used_at, revoked_at, created_at";

struct KeyRow {
  ApiKey k;
  NullableText created_by;
  NullableInt expires, last_used, revoked;
  long long created = 0;

  template <class P>
  void bind(P& p) {
    p, soci::into(k.id), soci::into(k.organization_id), soci::into(k.name), soci::into(k.prefix),
        soci::into(k.key_hash), soci::into(k.scopes), soci::into(created_by.value, created_by.ind),
        soci::into(expires.value, expires.ind), soci::into(last_used.value, last_used.ind),
        soci::into(revoked.value, revoked.ind), soci::into(created);
  }
  ApiKey get() const {
    ApiKey out = k;
    out.created_by = created_by.get();
    out.expires_at_ms = expires.get();
    out.last_used_at_ms = last_used.get();
    out.revoked_at_ms = revoked.get();
    out.created_at_ms = created;
    return out;
  }
};

}  // namespace

Result<void> SociApiKeys::insert(const ApiKey& k) {
  return guarded([&]() -> Result<void> {
    NullableText created_by(k.created_by);
    NullableInt expires(k.expires_at_ms);
    long long created = k.created_at_ms;
    s_ << "INSERT INTO api_keys (id, organization_id, name, prefix, key_hash, scopes, created_by, expires_at, "
          "created_at) VALUES (:id, :org, :name, :prefix, :hash, :scopes, :by, :expires, :created)",
        soci::use(k.id), soci::use(k.organization_id), soci::use(k.name), soci::use(k.prefix), soci::use(k.key_hash),
        soci::use(k.scopes), soci::use(created_by.value, created_by.ind), soci::use(expires.value, expires.ind),
        soci::use(created);
    return {};
  });
}

Result<std::optional<ApiKey>> SociApiKeys::find_where(const char* column, std::string_view value) {
  return guarded([&]() -> Result<std::optional<ApiKey>> {
    KeyRow row;
    std::string key(value);
    auto p = (s_.prepare << std::string("SELECT ") + kColumns + " FROM api_keys WHERE " + column + " = :v");
    row.bind(p);
    p, soci::use(key);
    soci::statement st(p);
    if (!st.execute(true)) return std::optional<ApiKey>{};
    return std::optional<ApiKey>{row.get()};
  });
}

Result<std::optional<ApiKey>> SociApiKeys::find(std::string_view id) { return find_where("id", id); }
Result<std::optional<ApiKey>> SociApiKeys::find_by_hash(std::string_view key_hash) {
  return find_where("key_hash", key_hash);
}

Result<std::vector<ApiKey>> SociApiKeys::list(std::string_view organization_id, std::string_view after_id, int limit) {
  return guarded([&]() -> Result<std::vector<ApiKey>> {
    KeyRow row;
    std::string org(organization_id), after(after_id);
    int lim = clamp_limit(limit);
    auto p = (s_.prepare << std::string("SELECT ") + kColumns +
                                " FROM api_keys WHERE organization_id = :org AND id > :after ORDER BY id LIMIT :lim");
    row.bind(p);
    p, soci::use(org), soci::use(after), soci::use(lim);
    soci::statement st(p);
    st.execute();
    std::vector<ApiKey> out;
    while (st.fetch()) out.push_back(row.get());
    return out;
  });
}

Result<void> SociApiKeys::revoke(std::string_view id, std::int64_t at_ms) {
  return guarded([&]() -> Result<void> {
    std::string key(id);
    long long at = at_ms;
    s_ << "UPDATE api_keys SET revoked_at = :at WHERE id = :id AND revoked_at IS NULL", soci::use(at), soci::use(key);
    return {};
  });
}

Result<void> SociApiKeys::touch(std::string_view id, std::int64_t at_ms) {
  return guarded([&]() -> Result<void> {
    std::string key(id);
    long long at = at_ms;
    s_ << "UPDATE api_keys SET last_used_at = :at WHERE id = :id", soci::use(at), soci::use(key);
    return {};
  });
}

}  // namespace vc::storage
