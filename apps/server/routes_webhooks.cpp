// Webhooks: /api/v1/webhooks (webhooks.hpp). The secret is in the answers to POST and rotate-secret
// only; organisation admins manage them; another organisation's webhook is 404.
#include <fmt/format.h>

#include "api_json.hpp"
#include "api_request.hpp"
#include "json_reader.hpp"
#include "router.hpp"
#include "server_context.hpp"

namespace vc::server {
namespace {

// {"id","organization_id","url","events":[…],"enabled","failure_count","disabled_reason","created_by",
//  "created_at","updated_at"}; with `secret`, also "secret" (shown once).
void write_webhook(JsonWriter& w, const Webhook& h, std::string_view secret = {}) {
  w.begin_object().key("id").value(h.id).key("organization_id").value(h.organization_id).key("url").value(h.url);
  w.key("events").begin_array();
  for (const auto& e : h.events) w.value(e);
  w.end_array();
  w.key("enabled").value(h.enabled).key("failure_count").value(h.failure_count).key("disabled_reason");
  write_string_or_null(w, h.disabled_reason);
  w.key("created_by");
  write_string_or_null(w, h.created_by);
  w.key("created_at");
  write_time(w, h.created_at_ms);
  w.key("updated_at");
  write_time(w, h.updated_at_ms);
  if (!secret.empty()) w.key("secret").value(secret);
  w.end_object();
}

// {"id","webhook_id","event","status","attempts","response_code","response_snippet","last_error",
//  "next_attempt_at","created_at","updated_at","payload":{…}}
void write_delivery(JsonWriter& w, const WebhookDelivery& d) {
  w.begin_object().key("id").value(d.id).key("webhook_id").value(d.webhook_id).key("event").value(d.event);
  w.key("status").value(to_string(d.status)).key("attempts").value(d.attempts).key("response_code");
  if (d.response_code) w.value(*d.response_code);
  else w.null();
  w.key("response_snippet");
  write_string_or_null(w, d.response_snippet);
  w.key("last_error");
  write_string_or_null(w, d.last_error);
  w.key("next_attempt_at");
  write_optional_time(w, d.next_attempt_at_ms);
  w.key("created_at");
  write_time(w, d.created_at_ms);
  w.key("updated_at");
  write_time(w, d.updated_at_ms);
  w.key("payload").raw(d.payload_json);
  w.end_object();
}

}  // namespace

void register_webhook_routes(Router& router, ServerContext& ctx) {
  // ?organization_id= (superadmin only), ?limit=, ?cursor=.
  router.add("GET", "/api/v1/webhooks", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    auto page = page_request(req);
    if (!page) return page.error();
    auto hooks = ctx.services->webhooks().list(actor, *page, req.query_param("organization_id").value_or(""));
    if (!hooks) return hooks.error();
    return Response::json(200, page_json(*hooks, [](JsonWriter& w, const Webhook& h) { write_webhook(w, h); }));
  }));

  // {"url","events":[…],"enabled"?,"organization_id"?} → 201 with "secret".
  router.add("POST", "/api/v1/webhooks", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    auto body = JsonBody::parse(req.body);
    if (!body) return body.error();
    WebhookInput input;
    auto url = body->string("url");
    if (!url) return url.error();
    input.url = std::move(*url);
    auto events = body->opt_string_array("events");
    if (!events) return events.error();
    if (!*events) return make_error(ErrorCode::invalid, "field 'events' is required: a list of event names");
    input.events = std::move(**events);
    auto enabled = body->opt_boolean("enabled");
    if (!enabled) return enabled.error();
    input.enabled = enabled->value_or(true);
    auto org = body->opt_string("organization_id");
    if (!org) return org.error();
    if (*org) input.organization_id = std::move(**org);
    auto made = ctx.services->webhooks().create(actor, input);
    if (!made) return made.error();
    JsonWriter w;
    write_webhook(w, made->webhook, made->secret);
    return created(w.str(), "/api/v1/webhooks/" + made->webhook.id);
  }));

  router.add("GET", "/api/v1/webhooks/{id}", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    auto h = ctx.services->webhooks().get(actor, req.params.at("id"));
    if (!h) return h.error();
    return Response::json(200, object_json(*h, [](JsonWriter& w, const Webhook& x) { write_webhook(w, x); }));
  }));

  // {"url"?,"events"?,"enabled"?}; enabling clears failure_count and disabled_reason.
  router.add("PATCH", "/api/v1/webhooks/{id}", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    auto body = JsonBody::parse(req.body);
    if (!body) return body.error();
    WebhookPatch patch;
    auto url = body->opt_string("url");
    if (!url) return url.error();
    patch.url = std::move(*url);
    auto events = body->opt_string_array("events");
    if (!events) return events.error();
    patch.events = std::move(*events);
    auto enabled = body->opt_boolean("enabled");
    if (!enabled) return enabled.error();
    patch.enabled = *enabled;
    auto h = ctx.services->webhooks().update(actor, req.params.at("id"), patch);
    if (!h) return h.error();
    return Response::json(200, object_json(*h, [](JsonWriter& w, const Webhook& x) { write_webhook(w, x); }));
  }));

  router.add("DELETE", "/api/v1/webhooks/{id}", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    auto done = ctx.services->webhooks().remove(actor, req.params.at("id"));
    if (!done) return done.error();
    return no_content();
  }));

  // → 200 with the new "secret" (the old one stops working at once).
  router.add("POST", "/api/v1/webhooks/{id}/rotate-secret",
             actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
               auto made = ctx.services->webhooks().rotate_secret(actor, req.params.at("id"));
               if (!made) return made.error();
               JsonWriter w;
               write_webhook(w, made->webhook, made->secret);
               return Response::json(200, w.str());
             }));

  // Queues a "ping" delivery → 202 with the delivery.
  router.add("POST", "/api/v1/webhooks/{id}/test", actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
    auto d = ctx.services->webhooks().test(actor, req.params.at("id"));
    if (!d) return d.error();
    return Response::json(202, object_json(*d, [](JsonWriter& w, const WebhookDelivery& x) { write_delivery(w, x); }));
  }));

  // Newest first; ?limit=, ?cursor=.
  router.add("GET", "/api/v1/webhooks/{id}/deliveries",
             actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
               auto page = page_request(req);
               if (!page) return page.error();
               auto list = ctx.services->webhooks().deliveries(actor, req.params.at("id"), *page);
               if (!list) return list.error();
               return Response::json(200, page_json(*list, [](JsonWriter& w, const WebhookDelivery& d) { write_delivery(w, d); }));
             }));

  // The same delivery (id and body) again → 202.
  router.add("POST", "/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver",
             actor_api(ctx, [&ctx](Request& req, const Actor& actor) -> Result<Response> {
               auto d = ctx.services->webhooks().redeliver(actor, req.params.at("id"), req.params.at("delivery_id"));
               if (!d) return d.error();
               return Response::json(202, object_json(*d, [](JsonWriter& w, const WebhookDelivery& x) { write_delivery(w, x); }));
             }));
}

}  // namespace vc::server
