// The JSON shapes of the /api/v1 resources, in one place so every route writes them the same way.
// Timestamps are RFC 3339 UTC strings; absent optional values are null. Secrets and hashes
// (password_hash, key_hash) are never written.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "json.hpp"
#include "videocontrol/domain.hpp"
#include "videocontrol/services.hpp"

namespace vc::server {

// {"id","name","slug","plan","timezone","active","max_devices","max_users","max_storage_bytes",
//  "limits":{"devices","users","storage_bytes"},"created_at","updated_at"}
// max_*: the organisation's overrides (null = the plan's value); limits: in effect (null = unlimited).
void write_organization(JsonWriter& w, const Organization& org);
// {"id","organization_id" (null for the superadmin),"username","role","active","created_at","updated_at"}
void write_user(JsonWriter& w, const User& user);
// {"id","organization_id","name","prefix","scopes":[…],"created_by","expires_at","last_used_at",
//  "revoked_at","created_at"}; with `secret`, also "key" (shown once, at creation).
void write_api_key(JsonWriter& w, const ApiKey& key, std::string_view secret = {});
// {"id","at","actor_kind","actor_id","organization_id","action","object_type","object_id","address","details":{…}}
void write_audit_entry(JsonWriter& w, const AuditEntry& entry);
// {"devices","users","storage_bytes","limits":{"devices","users","storage_bytes"}}
void write_usage(JsonWriter& w, const Usage& usage);
// {"access_token","refresh_token","token_type":"Bearer","expires_in","user":{…}}
void write_tokens(JsonWriter& w, const Tokens& tokens);

void write_limits(JsonWriter& w, const Limits& limits);
void write_optional(JsonWriter& w, const std::optional<std::int64_t>& v);
void write_optional_time(JsonWriter& w, const std::optional<std::int64_t>& epoch_ms);
void write_time(JsonWriter& w, std::int64_t epoch_ms);
// Empty → null.
void write_string_or_null(JsonWriter& w, std::string_view s);

// {"items":[…],"next_cursor":string|null}
template <class T, class WriteItem>
std::string page_json(const Page<T>& page, WriteItem write_item) {
  JsonWriter w;
  w.begin_object().key("items").begin_array();
  for (const auto& item : page.items) write_item(w, item);
  w.end_array().key("next_cursor");
  write_string_or_null(w, page.next_cursor);
  w.end_object();
  return w.str();
}

// One object written by `write` as a JSON document.
template <class T, class WriteItem>
std::string object_json(const T& value, WriteItem write) {
  JsonWriter w;
  write(w, value);
  return w.str();
}

}  // namespace vc::server
