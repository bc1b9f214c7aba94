#include <fmt/format.h>

#include "../auth/digest.hpp"
#include "context.hpp"
#include "videocontrol/json_writer.hpp"
#include "validation.hpp"
#include "videocontrol/id.hpp"
#include "videocontrol/permissions.hpp"

namespace vc {
namespace {

// The organisation an admin acts on: its own; the superadmin names one, or acts in its own.
Result<std::string> target_org(const Actor& actor, std::string_view requested) {
  if (allows(actor, Permission::manage_organizations)) {
    if (!requested.empty()) return std::string(requested);
    if (actor.organization_id.empty())
      return make_error(ErrorCode::invalid, "organization_id is required for a superadmin without a home organization");
    return actor.organization_id;
  }
  if (!requested.empty() && requested != actor.organization_id)
    return make_error(ErrorCode::forbidden, "only the superadmin can manage API keys of another organization");
  return actor.organization_id;
}

}  // namespace

Result<CreatedApiKey> ApiKeys::create(const Actor& actor, const ApiKeyInput& in) {
  VC_TRY(require(actor, Permission::manage_api_keys));
  VC_TRY(validate_name("name", in.name, 100));
  VC_ASSIGN(auto org, target_org(actor, in.organization_id));
  if (in.scopes.empty()) return make_error(ErrorCode::invalid, "scopes must name at least one of read, write, control");
  std::uint8_t scopes = 0;
  for (const auto& sc : in.scopes) {
    auto bit = parse_scopes(sc);
    if (!bit || *bit == 0 || sc.find(',') != std::string::npos)
      return make_error(ErrorCode::invalid, fmt::format("unknown scope '{}': use read, write or control", sc));
    scopes |= *bit;
  }
  const auto now = ctx_.now_ms();
  if (in.expires_at_ms && *in.expires_at_ms <= now) return make_error(ErrorCode::invalid, "expires_at must be in the future");

  CreatedApiKey out;
  out.secret = "vck_" + random_secret(40);
  ApiKey& k = out.key;
  k.id = new_id(*ctx_.clock);
  k.organization_id = org;
  k.name = in.name;
  k.prefix = out.secret.substr(0, 12);
  k.key_hash = sha256_hex(out.secret);
  k.scopes = scopes_to_string(scopes);
  k.created_by = actor.id;
  k.expires_at_ms = in.expires_at_ms;
  k.created_at_ms = now;
  VC_TRY(ctx_.storage.transact([&](StorageSession& s) -> Result<void> {
    VC_ASSIGN(auto o, s.organizations().find(org));
    if (!o || !can_see(actor, org)) return make_error(ErrorCode::not_found, fmt::format("organization '{}' not found", org));
    VC_TRY(s.api_keys().insert(k));
    return s.audit().append(audit_entry(ctx_, actor, "api_key.create", "api_key", k.id, org,
                                        JsonWriter().begin_object().key("scopes").value(k.scopes).end_object().str()));
  }));
  ctx_.publish(domain_event(EventKind::api_key_changed, org, {}, k.id, "created"), actor);
  return out;
}

Result<Page<ApiKey>> ApiKeys::list(const Actor& actor, const PageRequest& page, std::string_view organization_id) {
  VC_TRY(require(actor, Permission::manage_api_keys));
  VC_TRY(validate_page(page));
  VC_ASSIGN(auto org, target_org(actor, organization_id));
  return read_value<Page<ApiKey>>(ctx_.storage, [&](StorageSession& s) -> Result<Page<ApiKey>> {
    VC_ASSIGN(auto rows, s.api_keys().list(org, page.cursor, page.limit + 1));
    return make_page(std::move(rows), page.limit);
  });
}

Result<void> ApiKeys::revoke(const Actor& actor, std::string_view id) {
  std::string org;
  auto revoked = ctx_.storage.transact([&](StorageSession& s) -> Result<void> {
    VC_ASSIGN(auto k, s.api_keys().find(id));
    if (!k || !can_see(actor, k->organization_id))
      return make_error(ErrorCode::not_found, fmt::format("API key '{}' not found", id));
    VC_TRY(require(actor, Permission::manage_api_keys));  // after the tenancy check: others get 404
    VC_TRY(s.api_keys().revoke(k->id, ctx_.now_ms()));
    org = k->organization_id;
    return s.audit().append(audit_entry(ctx_, actor, "api_key.revoke", "api_key", k->id, k->organization_id));
  });
  if (revoked) ctx_.publish(domain_event(EventKind::api_key_changed, org, {}, std::string(id), "revoked"), actor);
  return revoked;
}

}  // namespace vc
