#include <fmt/format.h>

#include "context.hpp"
#include "videocontrol/json_writer.hpp"
#include "validation.hpp"
#include "videocontrol/id.hpp"
#include "videocontrol/password.hpp"
#include "videocontrol/permissions.hpp"

namespace vc {
namespace {

Error user_not_found(std::string_view id) { return make_error(ErrorCode::not_found, fmt::format("user '{}' not found", id)); }

Result<User> load_visible(StorageSession& s, const Actor& actor, std::string_view id) {
  VC_ASSIGN(auto found, s.users().find(id));
  if (!found) return user_not_found(id);
  // A superadmin without a home organisation: only another superadmin (or the system) sees it.
  if (found->organization_id.empty() ? !allows(actor, Permission::manage_organizations)
                                     : !can_see(actor, found->organization_id))
    return user_not_found(id);
  return std::move(*found);
}

// An admin may hand out roles up to its own; superadmin only by the superadmin.
Result<Role> grantable_role(const Actor& actor, std::string_view text) {
  auto role = parse_role(text);
  if (!role) return make_error(ErrorCode::invalid, "role must be one of viewer, speaker, operator, admin, superadmin");
  if (*role == Role::superadmin && !allows(actor, Permission::manage_organizations))
    return make_error(ErrorCode::forbidden, "only the superadmin can grant the superadmin role");
  return *role;
}

Result<void> may_manage(const Actor& actor, const User& target) {
  if (target.role == Role::superadmin && !allows(actor, Permission::manage_organizations))
    return make_error(ErrorCode::forbidden, "only the superadmin can change a superadmin");
  return {};
}

}  // namespace

Result<User> Users::create(const Actor& actor, const UserInput& in) {
  VC_TRY(require(actor, Permission::manage_users));
  VC_TRY(validate_username(in.username));
  VC_ASSIGN(Role role, grantable_role(actor, in.role));
  const bool super = allows(actor, Permission::manage_organizations);
  std::string org = in.organization_id.empty() ? actor.organization_id : in.organization_id;
  if (!in.organization_id.empty() && in.organization_id != actor.organization_id && !super)
    return make_error(ErrorCode::forbidden, "only the superadmin can create users in another organization");
  // A superadmin's organisation is its home (where it acts unless it names another); it may have none.
  if (role != Role::superadmin && org.empty()) {
    return make_error(ErrorCode::invalid, "organization_id is required");
  }
  if (auto strong = check_password_strength(in.password, in.username); !strong) return std::move(strong).error();
  VC_ASSIGN(auto hash, hash_password(in.password, ctx_.options.password_hash));  // slow: outside the transaction

  User u;
  u.id = new_id(*ctx_.clock);
  u.organization_id = org;
  u.username = in.username;
  u.password_hash = std::move(hash);
  u.role = role;
  u.created_at_ms = u.updated_at_ms = ctx_.now_ms();
  auto created = write_value<User>(ctx_.storage, [&](StorageSession& s) -> Result<User> {
    if (!org.empty()) {
      if (!can_see(actor, org)) return make_error(ErrorCode::not_found, fmt::format("organization '{}' not found", org));
      VC_TRY(s.organizations().lock(org));
      VC_ASSIGN(auto o, s.organizations().find(org));
      if (!o) return make_error(ErrorCode::not_found, fmt::format("organization '{}' not found", org));
      VC_ASSIGN(auto n, s.users().count_in(org));
      if (auto limit = effective_limits(*o).users; limit && n >= *limit)
        return make_error(ErrorCode::quota,
                          fmt::format("organization '{}' has reached its limit of {} users (plan {}); "
                                      "upgrade the plan or remove a user first",
                                      o->slug, *limit, o->plan));
    }
    if (auto r = s.users().insert(u); !r)
      return r.error().code == ErrorCode::conflict
                 ? make_error(ErrorCode::conflict, fmt::format("username '{}' is taken", u.username))
                 : std::move(r).error();
    VC_TRY(s.audit().append(audit_entry(ctx_, actor, "user.create", "user", u.id, u.organization_id,
                                        JsonWriter().begin_object().key("username").value(u.username).key("role").value(to_string(u.role)).end_object().str())));
    return u;
  });
  if (created && !created->organization_id.empty())
    ctx_.publish(domain_event(EventKind::user_changed, created->organization_id, {}, created->id, "created"), actor);
  return created;
}

Result<User> Users::get(const Actor& actor, std::string_view id) {
  return read_value<User>(ctx_.storage, [&](StorageSession& s) -> Result<User> {
    VC_ASSIGN(auto u, load_visible(s, actor, id));
    if (!(actor.kind == Actor::Kind::user && actor.id == id)) VC_TRY(require(actor, Permission::manage_users));
    return u;
  });
}

Result<Page<User>> Users::list(const Actor& actor, const PageRequest& page, std::string_view organization_id) {
  VC_TRY(require(actor, Permission::manage_users));
  VC_TRY(validate_page(page));
  const std::string org = allows(actor, Permission::manage_organizations) ? std::string(organization_id)
                                                                          : actor.organization_id;
  return read_value<Page<User>>(ctx_.storage, [&](StorageSession& s) -> Result<Page<User>> {
    VC_ASSIGN(auto rows, s.users().list(org, page.cursor, page.limit + 1));
    return make_page(std::move(rows), page.limit);
  });
}

Result<User> Users::update(const Actor& actor, std::string_view id, const UserPatch& p) {
  std::optional<Role> role;
  if (p.role) {
    VC_ASSIGN(role, grantable_role(actor, *p.role));
  }
  std::string new_hash;
  if (p.password) {  // hashing is slow: do it before taking the write lock
    VC_TRY(check_password_strength(*p.password));
    VC_ASSIGN(new_hash, hash_password(*p.password, ctx_.options.password_hash));
  }
  auto updated = write_value<User>(ctx_.storage, [&](StorageSession& s) -> Result<User> {
    VC_ASSIGN(auto u, load_visible(s, actor, id));
    VC_TRY(require(actor, Permission::manage_users));  // after the tenancy check: others get 404
    VC_TRY(may_manage(actor, u));
    const bool self = actor.kind == Actor::Kind::user && actor.id == u.id;
    if (self && p.active && !*p.active) return make_error(ErrorCode::invalid, "you cannot disable your own account");
    if (self && role && *role < actor.role) return make_error(ErrorCode::invalid, "you cannot lower your own role");
    if (role && *role != Role::superadmin && u.organization_id.empty())
      return make_error(ErrorCode::invalid, "this superadmin has no home organization, so it cannot take a lower role");
    if (p.password && *p.password == u.username) return make_error(ErrorCode::invalid, "password must not be the username");
    JsonWriter changed;
    changed.begin_object().key("fields").begin_array();
    auto note = [&](const char* field) { changed.value(field); };
    bool revoke = false;
    if (role) { u.role = *role; note("role"); }
    if (p.active) { u.active = *p.active; note("active"); revoke = revoke || !u.active; }
    if (p.password) { u.password_hash = new_hash; note("password"); revoke = true; }
    u.updated_at_ms = ctx_.now_ms();
    VC_TRY(s.users().update(u));
    if (revoke) VC_TRY(s.sessions().revoke_user(u.id, u.updated_at_ms));
    VC_TRY(s.audit().append(audit_entry(ctx_, actor, p.password ? "user.password_reset" : "user.update", "user", u.id,
                                        u.organization_id, changed.end_array().end_object().str())));
    return u;
  });
  if (updated && !updated->organization_id.empty())
    ctx_.publish(domain_event(EventKind::user_changed, updated->organization_id, {}, updated->id, "updated"), actor);
  return updated;
}

Result<void> Users::remove(const Actor& actor, std::string_view id) {
  std::string org;
  auto removed_user = ctx_.storage.transact([&](StorageSession& s) -> Result<void> {
    VC_ASSIGN(auto u, load_visible(s, actor, id));
    VC_TRY(require(actor, Permission::manage_users));  // after the tenancy check: others get 404
    VC_TRY(may_manage(actor, u));
    if (actor.kind == Actor::Kind::user && actor.id == u.id)
      return make_error(ErrorCode::invalid, "you cannot delete your own account");
    VC_ASSIGN(bool removed, s.users().remove(u.id));
    if (!removed) return user_not_found(id);
    org = u.organization_id;
    return s.audit().append(audit_entry(ctx_, actor, "user.delete", "user", u.id, u.organization_id,
                                        JsonWriter().begin_object().key("username").value(u.username).end_object().str()));
  });
  if (removed_user && !org.empty())
    ctx_.publish(domain_event(EventKind::user_changed, org, {}, std::string(id), "deleted"), actor);
  return removed_user;
}

}  // namespace vc
