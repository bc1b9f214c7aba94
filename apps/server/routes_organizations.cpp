// Organisations: /api/v1/organizations. Who may see or change what is decided by the library
// (Organizations); an organisation admin changing its plan or limits gets the library's 403.
#include "api_json.hpp"
#include "api_request.hpp"
#include "json_reader.hpp"
#include "router.hpp"
#include "server_context.hpp"

namespace vc::server {
namespace {

Result<OrganizationPatch> read_patch(const JsonBody& body) {
  OrganizationPatch patch;
  for (auto [field, target] : {std::pair{"name", &patch.name}, std::pair{"slug", &patch.slug},
                               std::pair{"plan", &patch.plan}, std::pair{"timezone", &patch.timezone}}) {
    auto v = body.opt_string(field);
    if (!v) return v.error();
    *target = std::move(*v);
  }
  auto active = body.opt_boolean("active");
  if (!active) return active.error();
  patch.active = *active;
  for (auto [field, target] : {std::pair{"max_devices", &patch.max_devices}, std::pair{"max_users", &patch.max_users},
                               std::pair{"max_storage_bytes", &patch.max_storage_bytes}}) {
    auto v = body.nullable_integer(field);
    if (!v) return v.error();
    *target = *v;
  }
  return patch;
}

}  // namespace

void register_organization_routes(Router& router, ServerContext& ctx) {
  router.add("GET", "/api/v1/organizations", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    auto page = page_request(req);
    if (!page) return page.error();
    auto orgs = ctx.services->organizations().list(actor, *page);
    if (!orgs) return orgs.error();
    return Response::json(200, page_json(*orgs, write_organization));
  }));

  // {"name","slug","plan"?="FREE","timezone"?="UTC"} → 201 with the organisation.
  router.add("POST", "/api/v1/organizations", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    auto body = JsonBody::parse(req.body);
    if (!body) return body.error();
    OrganizationInput input;
    auto name = body->string("name");
    if (!name) return name.error();
    input.name = std::move(*name);
    auto slug = body->string("slug");
    if (!slug) return slug.error();
    input.slug = std::move(*slug);
    auto plan = body->opt_string("plan");
    if (!plan) return plan.error();
    if (*plan) input.plan = std::move(**plan);
    auto timezone = body->opt_string("timezone");
    if (!timezone) return timezone.error();
    if (*timezone) input.timezone = std::move(**timezone);
    auto org = ctx.services->organizations().create(actor, input);
    if (!org) return org.error();
    return created(object_json(*org, write_organization), "/api/v1/organizations/" + org->id);
  }));

  router.add("GET", "/api/v1/organizations/{id}", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    auto org = ctx.services->organizations().get(actor, req.params.at("id"));
    if (!org) return org.error();
    return Response::json(200, object_json(*org, write_organization));
  }));

  // Any subset of name, slug, plan, timezone, active, max_devices, max_users, max_storage_bytes;
  // a limit set to null goes back to the plan's value.
  router.add("PATCH", "/api/v1/organizations/{id}", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    auto body = JsonBody::parse(req.body);
    if (!body) return body.error();
    auto patch = read_patch(*body);
    if (!patch) return patch.error();
    auto org = ctx.services->organizations().update(actor, req.params.at("id"), *patch);
    if (!org) return org.error();
    return Response::json(200, object_json(*org, write_organization));
  }));

  router.add("DELETE", "/api/v1/organizations/{id}", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    auto done = ctx.services->organizations().remove(actor, req.params.at("id"));
    if (!done) return done.error();
    return no_content();
  }));

  router.add("GET", "/api/v1/organizations/{id}/usage", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    auto usage = ctx.services->organizations().usage(actor, req.params.at("id"));
    if (!usage) return usage.error();
    return Response::json(200, object_json(*usage, write_usage));
  }));
}

}  // namespace vc::server
