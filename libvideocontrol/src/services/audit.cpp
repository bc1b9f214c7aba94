#include <charconv>

#include <fmt/format.h>

#include "context.hpp"
#include "validation.hpp"
#include "videocontrol/permissions.hpp"

namespace vc {

AuditEntry audit_entry(const ServiceContext& ctx, const Actor& actor, std::string_view action,
                       std::string_view object_type, std::string_view object_id, std::string_view organization_id,
                       std::string details_json) {
  AuditEntry e;
  e.actor_kind = std::string(to_string(actor.kind));
  e.actor_id = actor.id;
  e.organization_id = std::string(organization_id);
  e.action = std::string(action);
  e.object_type = std::string(object_type);
  e.object_id = std::string(object_id);
  e.address = actor.address;
  // A superadmin acting in an organisation not its home — named with Auth::act_in, or reached by an
  // object's id — is recorded as such.
  const std::string& home = actor.acting_elsewhere() ? actor.home_organization_id : actor.organization_id;
  const bool superadmin = actor.kind == Actor::Kind::user && actor.role == Role::superadmin;
  if (actor.acting_elsewhere() || (superadmin && !organization_id.empty() && organization_id != home)) {
    std::string mark = fmt::format(R"("as_superadmin":true,"home_organization_id":{})",
                                   home.empty() ? std::string("null") : fmt::format("\"{}\"", home));
    const auto open = details_json.find('{');
    if (open == std::string::npos) {
      details_json = "{" + mark + "}";
    } else {
      const auto next = details_json.find_first_not_of(" \t\r\n", open + 1);
      const bool empty = next != std::string::npos && details_json[next] == '}';
      details_json.insert(open + 1, empty ? mark : mark + ",");
    }
  }
  e.details_json = std::move(details_json);
  e.at_ms = ctx.now_ms();
  return e;
}

Result<Page<AuditEntry>> AuditLog::list(const Actor& actor, const AuditFilter& f) {
  VC_TRY(require(actor, Permission::read_audit));
  VC_TRY(validate_page(PageRequest{f.cursor, f.limit}));
  AuditQuery q;
  q.organization_id = allows(actor, Permission::manage_organizations) ? f.organization_id : actor.organization_id;
  q.action = f.action;
  q.actor_id = f.actor_id;
  q.object_type = f.object_type;
  q.object_id = f.object_id;
  q.since_ms = f.since_ms;
  q.until_ms = f.until_ms;
  q.limit = f.limit + 1;
  if (!f.cursor.empty()) {
    auto [ptr, ec] = std::from_chars(f.cursor.data(), f.cursor.data() + f.cursor.size(), q.before_id);
    if (ec != std::errc{} || ptr != f.cursor.data() + f.cursor.size() || q.before_id <= 0)
      return make_error(ErrorCode::invalid, "cursor is not one this server issued");
  }
  VC_ASSIGN(auto rows, read_value<std::vector<AuditEntry>>(ctx_.storage, [&](StorageSession& s) { return s.audit().list(q); }));
  Page<AuditEntry> page;
  if (static_cast<int>(rows.size()) > f.limit) {
    rows.resize(static_cast<std::size_t>(f.limit));
    page.next_cursor = std::to_string(rows.back().id);
  }
  page.items = std::move(rows);
  return page;
}

Result<void> AuditLog::record(const Actor& actor, std::string_view action, std::string_view object_type,
                              std::string_view object_id, std::string_view organization_id,
                              std::string_view details_json) {
  return ctx_.storage.transact([&](StorageSession& s) {
    return s.audit().append(
        audit_entry(ctx_, actor, action, object_type, object_id, organization_id, std::string(details_json)));
  });
}

}  // namespace vc
