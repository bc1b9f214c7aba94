#include "soci_repositories.hpp"

namespace vc::storage {
namespace {

constexpr const char* kColumns =
    "id, organization_id, username, password_hash, role, active, created_at, updated_at";

struct UserRow {
  User u;
  NullableText org;
  int active = 1;
  long long created = 0, updated = 0;

  template <class P>
  void bind(P& p) {
    p, soci::into(u.id), soci::into(org.value, org.ind), soci::into(u.username), soci::into(u.password_hash),
        soci::into(u.role), soci::into(active), soci::into(created), soci::into(updated);
  }
  User get() const {
    User out = u;
    out.organization_id = org.get();
    out.active = active != 0;
    out.created_at_ms = created;
    out.updated_at_ms = updated;
    return out;
  }
};

}  // namespace

Result<void> SociUsers::insert(const User& u) {
  return guarded([&]() -> Result<void> {
    int active = u.active ? 1 : 0;
    long long created = u.created_at_ms, updated = u.updated_at_ms;
    NullableText org(u.organization_id);
    s_ << "INSERT INTO users (id, organization_id, username, password_hash, role, active, created_at, updated_at) "
          "VALUES (:id, :org, :username, :hash, :role, :active, :created, :updated)",
        soci::use(u.id), soci::use(org.value, org.ind), soci::use(u.username), soci::use(u.password_hash),
        soci::use(u.role), soci::use(active), soci::use(created), soci::use(updated);
    return {};
  });
}

Result<std::optional<User>> SociUsers::find_where(const char* column, std::string_view value) {
  return guarded([&]() -> Result<std::optional<User>> {
    UserRow row;
    std::string key(value);
    auto p = (s_.prepare << std::string("SELECT ") + kColumns + " FROM users WHERE " + column + " = :v");
    row.bind(p);
    p, soci::use(key);
    soci::statement st(p);
    if (!st.execute(true)) return std::optional<User>{};
    return std::optional<User>{row.get()};
  });
}

Result<std::optional<User>> SociUsers::find(std::string_view id) { return find_where("id", id); }
Result<std::optional<User>> SociUsers::find_by_username(std::string_view username) {
  return find_where("username", username);
}

Result<std::vector<User>> SociUsers::list(std::string_view organization_id, std::string_view after_id, int limit) {
  return guarded([&]() -> Result<std::vector<User>> {
    UserRow row;
    std::string org(organization_id), after(after_id);
    int lim = clamp_limit(limit);
    auto p = (s_.prepare << std::string("SELECT ") + kColumns +
                                " FROM users WHERE (:org = '' OR organization_id = :org2) AND id > :after "
                                "ORDER BY id LIMIT :lim");
    row.bind(p);
    p, soci::use(org), soci::use(org), soci::use(after), soci::use(lim);
    soci::statement st(p);
    st.execute();
    std::vector<User> out;
    while (st.fetch()) out.push_back(row.get());
    return out;
  });
}

Result<void> SociUsers::update(const User& u) {
  return guarded([&]() -> Result<void> {
    int active = u.active ? 1 : 0;
    long long updated = u.updated_at_ms;
    NullableText org(u.organization_id);
    s_ << "UPDATE users SET organization_id = :org, username = :username, password_hash = :hash, role = :role, "
          "active = :active, updated_at = :updated WHERE id = :id",
        soci::use(org.value, org.ind), soci::use(u.username), soci::use(u.password_hash), soci::use(u.role),
        soci::use(active), soci::use(updated), soci::use(u.id);
    return {};
  });
}

Result<bool> SociUsers::remove(std::string_view id) {
  return guarded([&]() -> Result<bool> {
    std::string key(id);
    soci::statement st = (s_.prepare << "DELETE FROM users WHERE id = :id", soci::use(key));
    st.execute(true);
    return st.get_affected_rows() > 0;
  });
}

Result<std::int64_t> SociUsers::count() {
  return guarded([&]() -> Result<std::int64_t> {
    long long n = 0;
    s_ << "SELECT count(*) FROM users", soci::into(n);
    return static_cast<std::int64_t>(n);
  });
}

Result<std::int64_t> SociUsers::count_in(std::string_view organization_id) {
  return guarded([&]() -> Result<std::int64_t> {
    long long n = 0;
    std::string key(organization_id);
    s_ << "SELECT count(*) FROM users WHERE organization_id = :org", soci::into(n), soci::use(key);
    return static_cast<std::int64_t>(n);
  });
}

}  // namespace vc::storage
