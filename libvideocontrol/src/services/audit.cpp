#include <charconv>

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "context.hpp"
#include "validation.hpp"
#include "videocontrol/permissions.hpp"

namespace vc {
namespace {

// What one audit entry may hold, whatever a request carried (a sign-in with a 1 MB user name).
constexpr std::size_t kAuditText = 256;      // each string field and each string in the details
constexpr std::size_t kAuditDetails = 4096;  // the details document as a whole

// At most `max` bytes, cut at a UTF-8 character boundary, "…" marking the cut.
std::string clip(std::string_view s, std::size_t max = kAuditText) {
  if (s.size() <= max) return std::string(s);
  std::size_t n = max - 3;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return std::string(s.substr(0, n)) + "\xE2\x80\xA6";
}

void clip_strings(rapidjson::Value& v, rapidjson::Document::AllocatorType& a) {
  if (v.IsString()) {
    if (v.GetStringLength() > kAuditText) {
      const std::string c = clip(std::string_view(v.GetString(), v.GetStringLength()));
      v.SetString(c.c_str(), static_cast<rapidjson::SizeType>(c.size()), a);
    }
  } else if (v.IsObject()) {
    for (auto& m : v.GetObject()) clip_strings(m.value, a);
  } else if (v.IsArray()) {
    for (auto& x : v.GetArray()) clip_strings(x, a);
  }
}

// Strings clipped; a document still too large (or not JSON) is replaced by a note saying so.
std::string bounded_details(std::string json) {
  if (json.size() <= kAuditText) return json;
  rapidjson::Document d;
  d.Parse(json.c_str(), json.size());
  if (d.HasParseError()) return R"({"details_dropped":"not JSON"})";
  clip_strings(d, d.GetAllocator());
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  d.Accept(w);
  if (sb.GetSize() > kAuditDetails) return fmt::format(R"({{"details_dropped":"{} bytes"}})", sb.GetSize());
  return std::string(sb.GetString(), sb.GetSize());
}

}  // namespace

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
  e.details_json = bounded_details(std::move(details_json));
  e.object_id = clip(e.object_id);
  e.address = clip(e.address);
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

Result<std::int64_t> AuditLog::prune(const Actor& actor, std::chrono::milliseconds keep) {
  if (actor.kind != Actor::Kind::system) return make_error(ErrorCode::forbidden, "only the installation prunes the audit log");
  if (keep.count() <= 0) return std::int64_t{0};
  const std::int64_t before = ctx_.now_ms() - keep.count();
  std::int64_t total = 0;
  for (;;) {  // short transactions: writers are not held up by a large first prune
    VC_ASSIGN(auto n, write_value<std::int64_t>(ctx_.storage, [&](StorageSession& s) { return s.audit().prune(before, 5000); }));
    total += n;
    if (n < 5000) return total;
  }
}

}  // namespace vc
