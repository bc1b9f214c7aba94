// Webhooks: registration, the delivery log, redelivery and the fan-out of events into deliveries.
#include "videocontrol/webhooks.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "context.hpp"
#include "validation.hpp"
#include "videocontrol/events.hpp"
#include "videocontrol/id.hpp"
#include "videocontrol/jobs.hpp"
#include "videocontrol/json_writer.hpp"
#include "videocontrol/log.hpp"
#include "videocontrol/permissions.hpp"

namespace vc {
namespace {

Result<std::string> target_org(const Actor& actor, std::string_view requested) {
  if (allows(actor, Permission::manage_organizations)) {
    if (!requested.empty()) return std::string(requested);
    if (actor.organization_id.empty())
      return make_error(ErrorCode::invalid, "organization_id is required for a superadmin without a home organization");
    return actor.organization_id;
  }
  if (!requested.empty() && requested != actor.organization_id)
    return make_error(ErrorCode::forbidden, "only the superadmin can manage webhooks of another organization");
  return actor.organization_id;
}

Error webhook_not_found(std::string_view id) {
  return make_error(ErrorCode::not_found, fmt::format("webhook '{}' not found", id));
}

Result<Webhook> load_visible(StorageSession& s, const Actor& actor, std::string_view id) {
  VC_ASSIGN(auto w, s.webhooks().find(id));
  if (!w || !can_see(actor, w->organization_id)) return webhook_not_found(id);
  VC_TRY(require(actor, Permission::manage_api_keys));  // after the tenancy check: others get 404
  return std::move(*w);
}

std::string new_secret() { return "whsec_" + random_secret(40); }

Result<void> validate_events(const std::vector<std::string>& events) {
  if (events.empty()) return make_error(ErrorCode::invalid, "events must name at least one event");
  if (events.size() > 64) return make_error(ErrorCode::invalid, "events: too many");
  const auto& known = webhook_events();
  for (const auto& e : events)
    if (e == "ping" || std::find(known.begin(), known.end(), e) == known.end())
      return make_error(ErrorCode::invalid, fmt::format("unknown event '{}'", e));
  return {};
}

// The URL is parsed, and its host resolved and checked against the SSRF rules now (and again at
// every delivery). A name that does not resolve yet is accepted: its deliveries fail until it does.
Result<void> validate_url(const ServiceContext& ctx, const std::string& url) {
  VC_ASSIGN(auto parsed, parse_webhook_url(url));
  VC_ASSIGN(auto allow, HostAllowList::parse(ctx.options.webhooks.allow_hosts));
  auto ip = resolve_webhook_host(parsed, allow);
  if (!ip && ip.error().code == ErrorCode::invalid) return std::move(ip).error();
  return {};
}

std::vector<std::string> unique_events(std::vector<std::string> events) {
  std::vector<std::string> out;
  for (auto& e : events)
    if (std::find(out.begin(), out.end(), e) == out.end()) out.push_back(std::move(e));
  return out;
}

// The body sent: {"id", "event", "created_at", "organization_id", "data": {…}}.
std::string event_body(const std::string& delivery_id, std::string_view event, const DomainEvent* e,
                       const std::string& organization_id, std::int64_t now_ms) {
  JsonWriter w;
  w.begin_object().key("id").value(delivery_id).key("event").value(event);
  w.key("created_at").time(e && e->at_ms ? e->at_ms : now_ms);
  w.key("organization_id").value(organization_id);
  w.key("data").begin_object();
  if (e) {
    if (!e->device_id.empty()) w.key("device_id").value(e->device_id);
    if (!e->device_ids.empty()) {
      w.key("device_ids").begin_array();
      for (const auto& d : e->device_ids) w.value(d);
      w.end_array();
    }
    switch (e->kind) {
      case EventKind::user_changed:
        w.key("user_id").value(e->media_id).key("change").value(e->name);
        break;
      case EventKind::api_key_changed:
        w.key("api_key_id").value(e->media_id).key("change").value(e->name);
        break;
      case EventKind::schedule_changed:
        w.key("what").value(e->name).key("id").value(e->media_id);
        break;
      default:
        if (!e->media_id.empty()) w.key("media_id").value(e->media_id);
        if (!e->name.empty()) w.key("name").value(e->name);
    }
    if (!e->player_event.empty()) w.key("command").value(e->player_event);
    if (!e->state.empty()) w.key("state").raw(e->state);
    if (!e->player_payload.empty() && e->kind != EventKind::playback_changed) w.key("details").raw(e->player_payload);
    if (!e->actor_id.empty()) w.key("actor_id").value(e->actor_id);
  } else {
    w.key("message").value("ping from VideoControl");
  }
  w.end_object().end_object();
  return std::move(w).str();
}

std::string job_payload(const std::string& delivery_id, bool manual) {
  return JsonWriter().begin_object().key("delivery_id").value(delivery_id).key("manual").value(manual).end_object().str();
}

// A delivery and its job, inside the caller's transaction.
Result<WebhookDelivery> queue_delivery(const ServiceContext& ctx, StorageSession& s, const Webhook& hook,
                                       std::string_view event, const DomainEvent* e, bool manual) {
  const auto now = ctx.now_ms();
  WebhookDelivery d;
  d.id = new_id(*ctx.clock);
  d.webhook_id = hook.id;
  d.organization_id = hook.organization_id;
  d.event = std::string(event);
  d.payload_json = event_body(d.id, event, e, hook.organization_id, now);
  d.next_attempt_at_ms = now;
  d.created_at_ms = d.updated_at_ms = now;
  Job j;
  j.id = new_id(*ctx.clock);
  j.organization_id = hook.organization_id;
  j.kind = std::string(Webhooks::kJobKind);
  j.payload_json = job_payload(d.id, manual);
  j.created_at_ms = j.updated_at_ms = j.run_after_ms = now;
  d.job_id = j.id;
  VC_TRY(s.webhooks().insert_delivery(d));
  VC_TRY(s.jobs().insert(j));
  return d;
}

}  // namespace

Result<CreatedWebhook> Webhooks::create(const Actor& actor, const WebhookInput& in) {
  VC_TRY(require(actor, Permission::manage_api_keys));
  VC_ASSIGN(auto org, target_org(actor, in.organization_id));
  VC_TRY(validate_events(in.events));
  VC_TRY(validate_url(ctx_, in.url));
  CreatedWebhook out;
  out.secret = new_secret();
  Webhook& w = out.webhook;
  w.id = new_id(*ctx_.clock);
  w.organization_id = org;
  w.url = in.url;
  w.secret = out.secret;
  w.events = unique_events(in.events);
  w.enabled = in.enabled;
  w.created_by = actor.is_system() ? std::string() : actor.id;
  w.created_at_ms = w.updated_at_ms = ctx_.now_ms();
  VC_TRY(ctx_.storage.transact([&](StorageSession& s) -> Result<void> {
    VC_ASSIGN(auto o, s.organizations().find(org));
    if (!o || !can_see(actor, org)) return make_error(ErrorCode::not_found, fmt::format("organization '{}' not found", org));
    VC_TRY(s.webhooks().insert(w));
    return s.audit().append(audit_entry(ctx_, actor, "webhook.create", "webhook", w.id, org,
                                        JsonWriter().begin_object().key("url").value(w.url).end_object().str()));
  }));
  return out;
}

Result<Page<Webhook>> Webhooks::list(const Actor& actor, const PageRequest& page, std::string_view organization_id) {
  VC_TRY(require(actor, Permission::manage_api_keys));
  VC_TRY(validate_page(page));
  VC_ASSIGN(auto org, target_org(actor, organization_id));
  return read_value<Page<Webhook>>(ctx_.storage, [&](StorageSession& s) -> Result<Page<Webhook>> {
    VC_ASSIGN(auto rows, s.webhooks().list(org, page.cursor, page.limit + 1));
    return make_page(std::move(rows), page.limit);
  });
}

Result<Webhook> Webhooks::get(const Actor& actor, std::string_view id) {
  return read_value<Webhook>(ctx_.storage, [&](StorageSession& s) { return load_visible(s, actor, id); });
}

Result<Webhook> Webhooks::update(const Actor& actor, std::string_view id, const WebhookPatch& p) {
  if (p.events) VC_TRY(validate_events(*p.events));
  if (p.url) VC_TRY(validate_url(ctx_, *p.url));
  return write_value<Webhook>(ctx_.storage, [&](StorageSession& s) -> Result<Webhook> {
    VC_ASSIGN(auto w, load_visible(s, actor, id));
    JsonWriter changed;
    changed.begin_object().key("fields").begin_array();
    if (p.url) { w.url = *p.url; changed.value("url"); }
    if (p.events) { w.events = unique_events(*p.events); changed.value("events"); }
    if (p.enabled) {
      w.enabled = *p.enabled;
      changed.value("enabled");
      if (w.enabled) {
        w.failure_count = 0;
        w.disabled_reason.clear();
      }
    }
    w.updated_at_ms = ctx_.now_ms();
    VC_TRY(s.webhooks().update(w));
    VC_TRY(s.audit().append(audit_entry(ctx_, actor, "webhook.update", "webhook", w.id, w.organization_id,
                                        changed.end_array().end_object().str())));
    return w;
  });
}

Result<void> Webhooks::remove(const Actor& actor, std::string_view id) {
  return ctx_.storage.transact([&](StorageSession& s) -> Result<void> {
    VC_ASSIGN(auto w, load_visible(s, actor, id));
    VC_ASSIGN(bool removed, s.webhooks().remove(w.id));
    if (!removed) return webhook_not_found(id);
    return s.audit().append(audit_entry(ctx_, actor, "webhook.delete", "webhook", w.id, w.organization_id,
                                        JsonWriter().begin_object().key("url").value(w.url).end_object().str()));
  });
}

Result<CreatedWebhook> Webhooks::rotate_secret(const Actor& actor, std::string_view id) {
  CreatedWebhook out;
  out.secret = new_secret();
  VC_ASSIGN(out.webhook, write_value<Webhook>(ctx_.storage, [&](StorageSession& s) -> Result<Webhook> {
    VC_ASSIGN(auto w, load_visible(s, actor, id));
    w.secret = out.secret;
    w.updated_at_ms = ctx_.now_ms();
    VC_TRY(s.webhooks().update(w));
    VC_TRY(s.audit().append(audit_entry(ctx_, actor, "webhook.rotate_secret", "webhook", w.id, w.organization_id)));
    return w;
  }));
  return out;
}

Result<WebhookDelivery> Webhooks::test(const Actor& actor, std::string_view id) {
  return write_value<WebhookDelivery>(ctx_.storage, [&](StorageSession& s) -> Result<WebhookDelivery> {
    VC_ASSIGN(auto w, load_visible(s, actor, id));
    return queue_delivery(ctx_, s, w, "ping", nullptr, true);
  });
}

Result<Page<WebhookDelivery>> Webhooks::deliveries(const Actor& actor, std::string_view id, const PageRequest& page) {
  VC_TRY(validate_page(page));
  return read_value<Page<WebhookDelivery>>(ctx_.storage, [&](StorageSession& s) -> Result<Page<WebhookDelivery>> {
    VC_ASSIGN(auto w, load_visible(s, actor, id));
    VC_ASSIGN(auto rows, s.webhooks().deliveries(w.id, page.cursor, page.limit + 1));
    return make_page(std::move(rows), page.limit);
  });
}

Result<WebhookDelivery> Webhooks::redeliver(const Actor& actor, std::string_view id, std::string_view delivery_id) {
  return write_value<WebhookDelivery>(ctx_.storage, [&](StorageSession& s) -> Result<WebhookDelivery> {
    VC_ASSIGN(auto w, load_visible(s, actor, id));
    VC_ASSIGN(auto d, s.webhooks().find_delivery(delivery_id));
    if (!d || d->webhook_id != w.id)
      return make_error(ErrorCode::not_found, fmt::format("delivery '{}' not found", delivery_id));
    if (d->status == DeliveryStatus::pending)
      return make_error(ErrorCode::conflict, "the delivery is still pending; wait for its next attempt");
    const auto now = ctx_.now_ms();
    Job j;
    j.id = new_id(*ctx_.clock);
    j.organization_id = w.organization_id;
    j.kind = std::string(kJobKind);
    j.payload_json = job_payload(d->id, true);
    j.created_at_ms = j.updated_at_ms = j.run_after_ms = now;
    VC_TRY(s.jobs().insert(j));
    d->status = DeliveryStatus::pending;
    d->job_id = j.id;
    d->next_attempt_at_ms = now;
    d->updated_at_ms = now;
    VC_TRY(s.webhooks().update_delivery(*d));
    VC_TRY(s.audit().append(audit_entry(ctx_, actor, "webhook.redeliver", "webhook", w.id, w.organization_id,
                                        JsonWriter().begin_object().key("delivery_id").value(d->id).end_object().str())));
    return std::move(*d);
  });
}

Result<int> Webhooks::fan_out(const DomainEvent& event) {
  if (event.organization_id.empty()) return 0;
  const std::string name(to_string(event.kind));
  const auto& known = webhook_events();
  if (std::find(known.begin(), known.end(), name) == known.end()) return 0;  // player.status, media.progress, …
  auto wants = [&](const Webhook& w) { return std::find(w.events.begin(), w.events.end(), name) != w.events.end(); };
  // Most events match no webhook: find out without taking the write lock.
  VC_ASSIGN(auto hooks, read_value<std::vector<Webhook>>(ctx_.storage, [&](StorageSession& s) {
    return s.webhooks().enabled_in(event.organization_id);
  }));
  if (std::none_of(hooks.begin(), hooks.end(), wants)) return 0;
  return write_value<int>(ctx_.storage, [&](StorageSession& s) -> Result<int> {
    VC_ASSIGN(auto current, s.webhooks().enabled_in(event.organization_id));
    int n = 0;
    for (const auto& w : current) {
      if (!wants(w)) continue;
      VC_TRY(queue_delivery(ctx_, s, w, name, &event, false));
      ++n;
    }
    return n;
  });
}

}  // namespace vc
