#include "api_json.hpp"

#include "json_reader.hpp"
#include "videocontrol/clock.hpp"

namespace vc::server {

void write_optional(JsonWriter& w, const std::optional<std::int64_t>& v) {
  if (v) w.value(*v);
  else w.null();
}

void write_time(JsonWriter& w, std::int64_t epoch_ms) { w.value(format_rfc3339(epoch_ms)); }

void write_optional_time(JsonWriter& w, const std::optional<std::int64_t>& epoch_ms) {
  if (epoch_ms) write_time(w, *epoch_ms);
  else w.null();
}

void write_string_or_null(JsonWriter& w, std::string_view s) {
  if (s.empty()) w.null();
  else w.value(s);
}

void write_limits(JsonWriter& w, const Limits& limits) {
  w.begin_object();
  w.key("devices"); write_optional(w, limits.devices);
  w.key("users"); write_optional(w, limits.users);
  w.key("storage_bytes"); write_optional(w, limits.storage_bytes);
  w.end_object();
}

void write_organization(JsonWriter& w, const Organization& org) {
  w.begin_object();
  w.key("id").value(org.id);
  w.key("name").value(org.name);
  w.key("slug").value(org.slug);
  w.key("plan").value(org.plan);
  w.key("timezone").value(org.timezone);
  w.key("active").value(org.active);
  w.key("max_devices"); write_optional(w, org.max_devices);
  w.key("max_users"); write_optional(w, org.max_users);
  w.key("max_storage_bytes"); write_optional(w, org.max_storage_bytes);
  w.key("limits"); write_limits(w, effective_limits(org));
  w.key("created_at"); write_time(w, org.created_at_ms);
  w.key("updated_at"); write_time(w, org.updated_at_ms);
  w.end_object();
}

void write_user(JsonWriter& w, const User& user) {
  w.begin_object();
  w.key("id").value(user.id);
  w.key("organization_id"); write_string_or_null(w, user.organization_id);
  w.key("username").value(user.username);
  w.key("role").value(to_string(user.role));
  w.key("active").value(user.active);
  w.key("created_at"); write_time(w, user.created_at_ms);
  w.key("updated_at"); write_time(w, user.updated_at_ms);
  w.end_object();
}

void write_api_key(JsonWriter& w, const ApiKey& key, std::string_view secret) {
  w.begin_object();
  w.key("id").value(key.id);
  if (!secret.empty()) w.key("key").value(secret);
  w.key("organization_id"); write_string_or_null(w, key.organization_id);
  w.key("name").value(key.name);
  w.key("prefix").value(key.prefix);
  w.key("scopes").begin_array();
  std::string_view scopes = key.scopes;
  while (!scopes.empty()) {
    auto comma = scopes.find(',');
    if (auto s = scopes.substr(0, comma); !s.empty()) w.value(s);
    scopes = comma == std::string_view::npos ? std::string_view{} : scopes.substr(comma + 1);
  }
  w.end_array();
  w.key("created_by"); write_string_or_null(w, key.created_by);
  w.key("expires_at"); write_optional_time(w, key.expires_at_ms);
  w.key("last_used_at"); write_optional_time(w, key.last_used_at_ms);
  w.key("revoked_at"); write_optional_time(w, key.revoked_at_ms);
  w.key("created_at"); write_time(w, key.created_at_ms);
  w.end_object();
}

void write_audit_entry(JsonWriter& w, const AuditEntry& e) {
  w.begin_object();
  w.key("id").value(e.id);
  w.key("at"); write_time(w, e.at_ms);
  w.key("actor_kind").value(e.actor_kind);
  w.key("actor_id"); write_string_or_null(w, e.actor_id);
  w.key("organization_id"); write_string_or_null(w, e.organization_id);
  w.key("action").value(e.action);
  w.key("object_type"); write_string_or_null(w, e.object_type);
  w.key("object_id"); write_string_or_null(w, e.object_id);
  w.key("address"); write_string_or_null(w, e.address);
  w.key("details");
  // Stored by the library as a JSON object; anything else is shown as text rather than break the page.
  if (e.details_json.empty()) w.begin_object().end_object();
  else if (JsonBody::parse(e.details_json)) w.raw(e.details_json);
  else w.value(e.details_json);
  w.end_object();
}

void write_usage(JsonWriter& w, const Usage& u) {
  w.begin_object();
  w.key("devices").value(u.devices);
  w.key("users").value(u.users);
  w.key("storage_bytes").value(u.storage_bytes);
  w.key("limits"); write_limits(w, u.limits);
  w.end_object();
}

void write_tokens(JsonWriter& w, const Tokens& t) {
  w.begin_object();
  w.key("access_token").value(t.access_token);
  if (!t.refresh_token.empty()) w.key("refresh_token").value(t.refresh_token);  // empty: it went in a cookie
  w.key("token_type").value("Bearer");
  w.key("expires_in").value(t.expires_in);
  w.key("refresh_expires_in").value(t.refresh_expires_in);
  w.key("user"); write_user(w, t.user);
  w.end_object();
}

}  // namespace vc::server
