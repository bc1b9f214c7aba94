#include "soci_repositories.hpp"

namespace vc::storage {

Result<void> SociAudit::append(const AuditEntry& e) {
  return guarded([&]() -> Result<void> {
    long long at = e.at_ms;
    NullableText org(e.organization_id), actor(e.actor_id), otype(e.object_type), oid(e.object_id), addr(e.address);
    s_ << "INSERT INTO audit_log (at_ms, organization_id, actor_kind, actor_id, action, object_type, object_id, "
          "address, details) VALUES (:at, :org, :kind, :actor, :action, :otype, :oid, :addr, :details)",
        soci::use(at), soci::use(org.value, org.ind), soci::use(e.actor_kind), soci::use(actor.value, actor.ind),
        soci::use(e.action), soci::use(otype.value, otype.ind), soci::use(oid.value, oid.ind),
        soci::use(addr.value, addr.ind), soci::use(e.details_json);
    return {};
  });
}

Result<std::vector<AuditEntry>> SociAudit::list(const AuditQuery& q) {
  return guarded([&]() -> Result<std::vector<AuditEntry>> {
    // Every filter is bound (an empty value or 0 disables it), so the statement text is fixed.
    std::string org = q.organization_id, actor = q.actor_id, otype = q.object_type, oid = q.object_id;
    std::string action = q.action, action_prefix = q.action.ends_with('.') ? q.action + "%" : std::string();
    long long since = q.since_ms, until = q.until_ms, before = q.before_id;
    int lim = clamp_limit(q.limit);
    AuditEntry e;
    long long id = 0, at = 0;
    NullableText r_org, r_actor, r_otype, r_oid, r_addr;
    soci::statement st =
        (s_.prepare << "SELECT id, at_ms, organization_id, actor_kind, actor_id, action, object_type, object_id, "
                       "address, details FROM audit_log WHERE "
                       "(:org = '' OR organization_id = :org2) AND (:actor = '' OR actor_id = :actor2) "
                       "AND (:otype = '' OR object_type = :otype2) AND (:oid = '' OR object_id = :oid2) "
                       "AND (:action = '' OR action = :action2 OR action LIKE :prefix) "
                       "AND (CAST(:since AS BIGINT) = 0 OR at_ms >= :since2) AND (CAST(:until AS BIGINT) = 0 OR at_ms < :until2) "
                       "AND (CAST(:before AS BIGINT) = 0 OR id < :before2) ORDER BY id DESC LIMIT :lim",
         soci::into(id), soci::into(at), soci::into(r_org.value, r_org.ind), soci::into(e.actor_kind),
         soci::into(r_actor.value, r_actor.ind), soci::into(e.action), soci::into(r_otype.value, r_otype.ind),
         soci::into(r_oid.value, r_oid.ind), soci::into(r_addr.value, r_addr.ind), soci::into(e.details_json),
         soci::use(org), soci::use(org), soci::use(actor), soci::use(actor), soci::use(otype), soci::use(otype),
         soci::use(oid), soci::use(oid), soci::use(action), soci::use(action), soci::use(action_prefix),
         soci::use(since), soci::use(since), soci::use(until), soci::use(until), soci::use(before), soci::use(before),
         soci::use(lim));
    st.execute();
    std::vector<AuditEntry> out;
    while (st.fetch()) {
      AuditEntry row = e;
      row.id = id;
      row.at_ms = at;
      row.organization_id = r_org.get();
      row.actor_id = r_actor.get();
      row.object_type = r_otype.get();
      row.object_id = r_oid.get();
      row.address = r_addr.get();
      out.push_back(std::move(row));
    }
    return out;
  });
}

Result<std::int64_t> SociAudit::count() {
  return guarded([&]() -> Result<std::int64_t> {
    long long n = 0;
    s_ << "SELECT count(*) FROM audit_log", soci::into(n);
    return static_cast<std::int64_t>(n);
  });
}

Result<std::int64_t> SociAudit::prune(std::int64_t before_ms, int max_rows) {
  return guarded([&]() -> Result<std::int64_t> {
    // Ids grow with time (append-only), so the oldest rows come first in id order and the scan
    // stops after max_rows of them.
    long long before = before_ms;
    int limit = max_rows;
    soci::statement st = (s_.prepare << "DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at_ms < :t "
                                        "ORDER BY id LIMIT :n)",
                          soci::use(before), soci::use(limit));
    st.execute(true);
    return static_cast<std::int64_t>(st.get_affected_rows());
  });
}

Result<std::optional<std::string>> SociSettings::get(std::string_view key) {
  return guarded([&]() -> Result<std::optional<std::string>> {
    std::string k(key), value;
    soci::statement st = (s_.prepare << "SELECT value FROM settings WHERE key = :k", soci::into(value), soci::use(k));
    if (!st.execute(true)) return std::optional<std::string>{};
    return std::optional<std::string>{value};
  });
}

Result<std::string> SociSettings::put_if_absent(std::string_view key, std::string_view value, std::int64_t at_ms) {
  return guarded([&]() -> Result<std::string> {
    std::string k(key), v(value);
    long long at = at_ms;
    s_ << "INSERT INTO settings (key, value, updated_at) VALUES (:k, :v, :at) ON CONFLICT (key) DO NOTHING",
        soci::use(k), soci::use(v), soci::use(at);
    std::string stored;
    s_ << "SELECT value FROM settings WHERE key = :k", soci::into(stored), soci::use(k);
    return stored;
  });
}

}  // namespace vc::storage
