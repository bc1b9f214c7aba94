// API keys: /api/v1/api-keys. The secret is in the answer to POST only; lists show its prefix.
#include <fmt/format.h>

#include "api_json.hpp"
#include "api_request.hpp"
#include "json_reader.hpp"
#include "rfc3339.hpp"
#include "router.hpp"
#include "server_context.hpp"

namespace vc::server {
namespace {

// "expires_at": an RFC 3339 time string (the same form every timestamp in the API has), or null.
Result<std::optional<std::int64_t>> read_expiry(const JsonBody& body) {
  if (body.kind("expires_at") == JsonBody::Kind::absent || body.kind("expires_at") == JsonBody::Kind::null)
    return std::optional<std::int64_t>();
  auto text = body.string("expires_at");
  if (!text) return field_error("expires_at", "an RFC 3339 time string such as \"2030-01-31T12:00:00Z\", or null");
  auto ms = parse_rfc3339(*text);
  if (!ms) return field_error("expires_at", fmt::format("an RFC 3339 time such as \"2030-01-31T12:00:00Z\", not \"{}\"", *text));
  return std::optional<std::int64_t>(*ms);
}

}  // namespace

void register_api_key_routes(Router& router, ServerContext& ctx) {
  // ?organization_id= (superadmin only), ?limit=, ?cursor=.
  router.add("GET", "/api/v1/api-keys", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    auto page = page_request(req);
    if (!page) return page.error();
    auto keys = ctx.services->api_keys().list(actor, *page, req.query_param("organization_id").value_or(""));
    if (!keys) return keys.error();
    return Response::json(200, page_json(*keys, [](JsonWriter& w, const ApiKey& k) { write_api_key(w, k); }));
  }));

  // {"name","scopes":["read","write","control"],"expires_at"?,"organization_id"?} → 201 with "key".
  router.add("POST", "/api/v1/api-keys", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    auto body = JsonBody::parse(req.body);
    if (!body) return body.error();
    ApiKeyInput input;
    auto name = body->string("name");
    if (!name) return name.error();
    input.name = std::move(*name);
    auto scopes = body->opt_string_array("scopes");
    if (!scopes) return scopes.error();
    if (!*scopes) return make_error(ErrorCode::invalid, "field 'scopes' is required: a list of read, write, control");
    input.scopes = std::move(**scopes);
    auto expiry = read_expiry(*body);
    if (!expiry) return expiry.error();
    input.expires_at_ms = *expiry;
    auto org = body->opt_string("organization_id");
    if (!org) return org.error();
    if (*org) input.organization_id = std::move(**org);
    auto key = ctx.services->api_keys().create(actor, input);
    if (!key) return key.error();
    JsonWriter w;
    write_api_key(w, key->key, key->secret);
    return created(w.str(), "/api/v1/api-keys/" + key->key.id);
  }));

  router.add("DELETE", "/api/v1/api-keys/{id}", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    auto done = ctx.services->api_keys().revoke(actor, req.params.at("id"));
    if (!done) return done.error();
    return no_content();
  }));
}

}  // namespace vc::server
