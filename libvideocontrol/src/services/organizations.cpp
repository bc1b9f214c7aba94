#include <fmt/format.h>

#include "context.hpp"
#include "videocontrol/json_writer.hpp"
#include "validation.hpp"
#include "videocontrol/id.hpp"
#include "videocontrol/permissions.hpp"

namespace vc {
namespace {

Error org_not_found(std::string_view id) {
  return make_error(ErrorCode::not_found, fmt::format("organization '{}' not found", id));
}

// Loads an organisation the actor may see; another tenant's is "not found".
Result<Organization> load_visible(StorageSession& s, const Actor& actor, std::string_view id) {
  if (!can_see(actor, id)) return org_not_found(id);
  VC_ASSIGN(auto found, s.organizations().find(id));
  if (!found) return org_not_found(id);
  return std::move(*found);
}

Error slug_taken(std::string_view slug) {
  return make_error(ErrorCode::conflict, fmt::format("slug '{}' is already used by another organization", slug));
}

}  // namespace

Result<Organization> Organizations::create(const Actor& actor, const OrganizationInput& in) {
  VC_TRY(require(actor, Permission::manage_organizations));
  VC_TRY(validate_name("name", in.name));
  VC_TRY(validate_slug(in.slug));
  VC_TRY(validate_plan(in.plan));
  VC_TRY(validate_timezone(in.timezone));
  Organization o;
  o.id = new_id(*ctx_.clock);
  o.name = in.name;
  o.slug = in.slug;
  o.plan = in.plan;
  o.timezone = in.timezone;
  o.created_at_ms = o.updated_at_ms = ctx_.now_ms();
  return write_value<Organization>(ctx_.storage, [&](StorageSession& s) -> Result<Organization> {
    if (auto r = s.organizations().insert(o); !r)
      return r.error().code == ErrorCode::conflict ? slug_taken(o.slug) : std::move(r).error();
    VC_TRY(s.audit().append(audit_entry(ctx_, actor, "organization.create", "organization", o.id, o.id,
                                        JsonWriter().begin_object().key("slug").value(o.slug).key("plan").value(o.plan).end_object().str())));
    return o;
  });
}

Result<Organization> Organizations::get(const Actor& actor, std::string_view id) {
  return read_value<Organization>(ctx_.storage, [&](StorageSession& s) -> Result<Organization> {
    VC_ASSIGN(auto o, load_visible(s, actor, id));
    VC_TRY(require(actor, Permission::read));
    return o;
  });
}

Result<Page<Organization>> Organizations::list(const Actor& actor, const PageRequest& page) {
  VC_TRY(require(actor, Permission::read));
  VC_TRY(validate_page(page));
  return read_value<Page<Organization>>(ctx_.storage, [&](StorageSession& s) -> Result<Page<Organization>> {
    if (allows(actor, Permission::manage_organizations)) {
      VC_ASSIGN(auto rows, s.organizations().list(page.cursor, page.limit + 1));
      return make_page(std::move(rows), page.limit);
    }
    Page<Organization> own;
    if (page.cursor.empty()) {
      VC_ASSIGN(auto found, s.organizations().find(actor.organization_id));
      if (found) own.items.push_back(std::move(*found));
    }
    return own;
  });
}

Result<Organization> Organizations::update(const Actor& actor, std::string_view id, const OrganizationPatch& p) {
  const bool super = allows(actor, Permission::manage_organizations);
  if (p.name) VC_TRY(validate_name("name", *p.name));
  if (p.slug) VC_TRY(validate_slug(*p.slug));
  if (p.plan) VC_TRY(validate_plan(*p.plan));
  if (p.timezone) VC_TRY(validate_timezone(*p.timezone));
  if (p.max_devices) VC_TRY(validate_limit_override("max_devices", *p.max_devices));
  if (p.max_users) VC_TRY(validate_limit_override("max_users", *p.max_users));
  if (p.max_storage_bytes) VC_TRY(validate_limit_override("max_storage_bytes", *p.max_storage_bytes));
  auto updated = write_value<Organization>(ctx_.storage, [&](StorageSession& s) -> Result<Organization> {
    VC_ASSIGN(auto o, load_visible(s, actor, id));
    if (!super) {  // after the tenancy check, so another organisation's id is "not found"
      VC_TRY(require(actor, Permission::manage_users));  // organisation admins
      if (p.plan || p.active || p.max_devices || p.max_users || p.max_storage_bytes || p.slug)
        return make_error(ErrorCode::forbidden,
                          "only the superadmin can change an organization's plan, limits, slug or active flag");
    }
    JsonWriter changed;
    changed.begin_object().key("fields").begin_array();
    auto note = [&](const char* field) { changed.value(field); };
    if (p.name) { o.name = *p.name; note("name"); }
    if (p.slug) { o.slug = *p.slug; note("slug"); }
    if (p.plan) { o.plan = *p.plan; note("plan"); }
    if (p.timezone) { o.timezone = *p.timezone; note("timezone"); }
    if (p.active) { o.active = *p.active; note("active"); }
    if (p.max_devices) { o.max_devices = *p.max_devices; note("max_devices"); }
    if (p.max_users) { o.max_users = *p.max_users; note("max_users"); }
    if (p.max_storage_bytes) { o.max_storage_bytes = *p.max_storage_bytes; note("max_storage_bytes"); }
    o.updated_at_ms = ctx_.now_ms();
    if (auto r = s.organizations().update(o); !r)
      return r.error().code == ErrorCode::conflict ? slug_taken(o.slug) : std::move(r).error();
    VC_TRY(s.audit().append(audit_entry(ctx_, actor, "organization.update", "organization", o.id, o.id,
                                        changed.end_array().end_object().str())));
    return o;
  });
  // Its active flag may have changed: what was authenticated for it is looked at again.
  if (updated) ctx_.publish(domain_event(EventKind::organization_changed, updated->id, {}, {}, "updated"), actor);
  return updated;
}

Result<void> Organizations::remove(const Actor& actor, std::string_view id) {
  std::vector<std::string> freed;  // blobs whose last reference went with the organisation's media
  auto r = ctx_.storage.transact([&](StorageSession& s) -> Result<void> {
    freed.clear();
    VC_ASSIGN(auto o, load_visible(s, actor, id));
    VC_TRY(require(actor, Permission::manage_organizations));  // after the tenancy check: others get 404
    // Its media rows go by cascade with it; their bytes are released once the rows are gone (another
    // organisation may hold the same bytes) and removed after the commit.
    std::vector<std::string> hashes;
    for (std::string after;;) {
      VC_ASSIGN(auto media, s.media().list(o.id, "", after, 500));
      if (media.empty()) break;
      after = media.back().id;
      for (const auto& m : media) hashes.push_back(m.blob_hash);
    }
    // Its users go with it, but a superadmin whose home it is stays, without a home.
    std::string after;
    while (true) {
      VC_ASSIGN(auto users, s.users().list(o.id, after, 200));
      if (users.empty()) break;
      after = users.back().id;
      for (auto& u : users) {
        if (u.role != Role::superadmin) continue;
        u.organization_id.clear();
        u.updated_at_ms = ctx_.now_ms();
        VC_TRY(s.users().update(u));
      }
    }
    VC_ASSIGN(bool removed, s.organizations().remove(o.id));
    if (!removed) return org_not_found(id);
    for (const auto& h : hashes) {
      VC_ASSIGN(bool last, s.blobs().release(h));
      if (last) freed.push_back(h);
    }
    return s.audit().append(audit_entry(ctx_, actor, "organization.delete", "organization", o.id, o.id,
                                        JsonWriter().begin_object().key("slug").value(o.slug).end_object().str()));
  });
  if (!r) return r;
  ctx_.publish(domain_event(EventKind::organization_changed, std::string(id), {}, {}, "deleted"), actor);
  collect_blobs(ctx_, freed);  // a crash before this leaves only unreferenced files, for the sweeper
  return {};
}

Result<Usage> Organizations::usage(const Actor& actor, std::string_view id) {
  return read_value<Usage>(ctx_.storage, [&](StorageSession& s) -> Result<Usage> {
    VC_ASSIGN(auto o, load_visible(s, actor, id));
    VC_TRY(require(actor, Permission::read));  // after the tenancy check: others get 404
    Usage u;
    u.limits = effective_limits(o);
    VC_ASSIGN(u.devices, s.organizations().count_devices(o.id));
    VC_ASSIGN(u.users, s.users().count_in(o.id));
    VC_ASSIGN(u.storage_bytes, s.organizations().storage_bytes(o.id));
    return u;
  });
}

}  // namespace vc
