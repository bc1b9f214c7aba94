#include "soci_repositories.hpp"

namespace vc::storage {
namespace {

constexpr const char* kColumns =
    "id, name, slug, plan, timezone, active, max_devices, max_users, max_storage_bytes, created_at, updated_at";

struct OrgRow {
  Organization o;
  int active = 1;
  NullableInt max_devices, max_users, max_storage;
  long long created = 0, updated = 0;

  template <class P>
  void bind(P& p) {
    p, soci::into(o.id), soci::into(o.name), soci::into(o.slug), soci::into(o.plan), soci::into(o.timezone),
        soci::into(active), soci::into(max_devices.value, max_devices.ind), soci::into(max_users.value, max_users.ind),
        soci::into(max_storage.value, max_storage.ind), soci::into(created), soci::into(updated);
  }
  Organization get() const {
    Organization out = o;
    out.active = active != 0;
    out.max_devices = max_devices.get();
    out.max_users = max_users.get();
    out.max_storage_bytes = max_storage.get();
    out.created_at_ms = created;
    out.updated_at_ms = updated;
    return out;
  }
};

}  // namespace

Result<void> SociOrganizations::insert(const Organization& o) {
  return guarded([&]() -> Result<void> {
    int active = o.active ? 1 : 0;
    long long created = o.created_at_ms, updated = o.updated_at_ms;
    NullableInt md(o.max_devices), mu(o.max_users), ms(o.max_storage_bytes);
    s_ << "INSERT INTO organizations (id, name, slug, plan, timezone, active, max_devices, max_users, "
          "max_storage_bytes, created_at, updated_at) VALUES (:id, :name, :slug, :plan, :tz, :active, :md, :mu, :ms, "
          ":created, :updated)",
        soci::use(o.id), soci::use(o.name), soci::use(o.slug), soci::use(o.plan), soci::use(o.timezone),
        soci::use(active), soci::use(md.value, md.ind), soci::use(mu.value, mu.ind), soci::use(ms.value, ms.ind),
        soci::use(created), soci::use(updated);
    return {};
  });
}

Result<std::optional<Organization>> SociOrganizations::find(std::string_view id) {
  return guarded([&]() -> Result<std::optional<Organization>> {
    OrgRow row;
    std::string key(id);
    auto p = (s_.prepare << std::string("SELECT ") + kColumns + " FROM organizations WHERE id = :id");
    row.bind(p);
    p, soci::use(key);
    soci::statement st(p);
    if (!st.execute(true)) return std::optional<Organization>{};
    return std::optional<Organization>{row.get()};
  });
}

Result<std::vector<Organization>> SociOrganizations::list(std::string_view after_id, int limit) {
  return guarded([&]() -> Result<std::vector<Organization>> {
    OrgRow row;
    std::string after(after_id);
    int lim = clamp_limit(limit);
    auto p = (s_.prepare << std::string("SELECT ") + kColumns + " FROM organizations WHERE id > :after ORDER BY id LIMIT :lim");
    row.bind(p);
    p, soci::use(after), soci::use(lim);
    soci::statement st(p);
    st.execute();
    std::vector<Organization> out;
    while (st.fetch()) out.push_back(row.get());
    return out;
  });
}

Result<void> SociOrganizations::update(const Organization& o) {
  return guarded([&]() -> Result<void> {
    int active = o.active ? 1 : 0;
    long long updated = o.updated_at_ms;
    NullableInt md(o.max_devices), mu(o.max_users), ms(o.max_storage_bytes);
    s_ << "UPDATE organizations SET name = :name, slug = :slug, plan = :plan, timezone = :tz, active = :active, "
          "max_devices = :md, max_users = :mu, max_storage_bytes = :ms, updated_at = :updated WHERE id = :id",
        soci::use(o.name), soci::use(o.slug), soci::use(o.plan), soci::use(o.timezone), soci::use(active),
        soci::use(md.value, md.ind), soci::use(mu.value, mu.ind), soci::use(ms.value, ms.ind), soci::use(updated),
        soci::use(o.id);
    return {};
  });
}

Result<bool> SociOrganizations::remove(std::string_view id) {
  return guarded([&]() -> Result<bool> {
    std::string key(id);
    soci::statement st = (s_.prepare << "DELETE FROM organizations WHERE id = :id", soci::use(key));
    st.execute(true);
    return st.get_affected_rows() > 0;
  });
}

Result<std::int64_t> SociOrganizations::count() {
  return guarded([&]() -> Result<std::int64_t> {
    long long n = 0;
    s_ << "SELECT count(*) FROM organizations", soci::into(n);
    return static_cast<std::int64_t>(n);
  });
}

Result<void> SociOrganizations::lock(std::string_view id) {
  if (d_ == Dialect::sqlite) return {};  // BEGIN IMMEDIATE already holds the write lock
  return guarded([&]() -> Result<void> {
    std::string key(id), got;
    s_ << "SELECT id FROM organizations WHERE id = :id FOR UPDATE", soci::into(got), soci::use(key);
    return {};
  });
}

Result<std::int64_t> SociOrganizations::count_devices(std::string_view id) {
  return guarded([&]() -> Result<std::int64_t> {
    long long n = 0;
    std::string key(id);
    s_ << "SELECT count(*) FROM devices WHERE organization_id = :id", soci::into(n), soci::use(key);
    return static_cast<std::int64_t>(n);
  });
}

Result<std::int64_t> SociOrganizations::storage_bytes(std::string_view id) {
  return guarded([&]() -> Result<std::int64_t> {
    long long n = 0;
    soci::indicator ind = soci::i_null;
    std::string key(id);
    s_ << "SELECT sum(size) FROM media WHERE organization_id = :id", soci::into(n, ind), soci::use(key);
    return static_cast<std::int64_t>(ind == soci::i_ok ? n : 0);
  });
}

}  // namespace vc::storage
