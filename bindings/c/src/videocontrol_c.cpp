// The C API (bindings/c/include/videocontrol.h) over vc::Installation. Calls go through the server's
// routes in this process (InProcessApi), so results are the REST API's JSON documents and errors its
// codes and messages. Every entry point catches everything: no exception crosses into C.
#include "videocontrol.h"

#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "in_process.hpp"
#include "server_config.hpp"
#include "videocontrol/auth.hpp"
#include "videocontrol/events.hpp"
#include "videocontrol/installation.hpp"
#include "videocontrol/services.hpp"
#include "videocontrol/text.hpp"
#include "videocontrol/version.hpp"

struct vc_installation {
  std::unique_ptr<vc::Installation> inst;
  std::unique_ptr<vc::server::InProcessApi> api;
  std::string first_password;
  std::mutex mu;
  std::vector<vc::DomainEvents::Subscription> subscriptions;
};

struct vc_actor {
  vc_installation* owner = nullptr;
  vc::Actor actor;
};

namespace {

char* dup(std::string_view s) {
  char* p = static_cast<char*>(std::malloc(s.size() + 1));
  if (!p) return nullptr;
  std::memcpy(p, s.data(), s.size());
  p[s.size()] = '\0';
  return p;
}

void set(char** out, std::string_view s) {
  if (out) *out = dup(s);
}
void clear(char** out) {
  if (out) *out = nullptr;
}

vc_status status_of(vc::ErrorCode c) {
  switch (c) {
    case vc::ErrorCode::invalid: return VC_ERR_INVALID;
    case vc::ErrorCode::unauthenticated: return VC_ERR_UNAUTHENTICATED;
    case vc::ErrorCode::forbidden: case vc::ErrorCode::quota: return VC_ERR_FORBIDDEN;
    case vc::ErrorCode::not_found: return VC_ERR_NOT_FOUND;
    case vc::ErrorCode::conflict: return VC_ERR_CONFLICT;
    case vc::ErrorCode::too_large: return VC_ERR_TOO_LARGE;
    case vc::ErrorCode::unsupported: return VC_ERR_UNSUPPORTED;
    case vc::ErrorCode::rate_limited: return VC_ERR_RATE_LIMITED;
    case vc::ErrorCode::unavailable: return VC_ERR_UNAVAILABLE;
    case vc::ErrorCode::internal: return VC_ERR_INTERNAL;
  }
  return VC_ERR_INTERNAL;
}

vc_status status_of_http(int s) {
  if (s >= 200 && s < 300) return VC_OK;
  switch (s) {
    case 400: case 422: return VC_ERR_INVALID;
    case 401: return VC_ERR_UNAUTHENTICATED;
    case 403: return VC_ERR_FORBIDDEN;
    case 404: return VC_ERR_NOT_FOUND;
    case 409: return VC_ERR_CONFLICT;
    case 413: return VC_ERR_TOO_LARGE;
    case 415: case 405: case 501: return VC_ERR_UNSUPPORTED;
    case 429: return VC_ERR_RATE_LIMITED;
    case 503: return VC_ERR_UNAVAILABLE;
    default: return VC_ERR_INTERNAL;
  }
}

vc_status fail(const vc::Error& e, char** errmsg) {
  set(errmsg, e.message);
  return status_of(e.code);
}

vc_status fail(vc_status s, std::string_view message, char** errmsg) {
  set(errmsg, message);
  return s;
}

// Runs `body`, turning any exception into VC_ERR_INTERNAL (or the allocation failure it was).
template <class F>
vc_status guarded(char** errmsg, F&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return fail(VC_ERR_INTERNAL, "out of memory", errmsg);
  } catch (const std::exception& e) {
    return fail(VC_ERR_INTERNAL, std::string("unexpected failure: ") + e.what(), errmsg);
  } catch (...) {
    return fail(VC_ERR_INTERNAL, "unexpected failure", errmsg);
  }
}

bool missing(const void* p) { return p == nullptr; }


// The answer of a route: its body on success, else its error message and status.
vc_status answer(const vc::server::Response& r, int* http_status, char** json_out, char** errmsg) {
  if (http_status) *http_status = r.status;
  const vc_status s = status_of_http(r.status);
  if (s == VC_OK) {
    if (json_out) *json_out = r.body.empty() ? nullptr : dup(r.body);
    return VC_OK;
  }
  std::string message = "HTTP " + std::to_string(r.status);
  rapidjson::Document d;
  d.Parse(r.body.c_str(), r.body.size());
  if (!d.HasParseError() && d.IsObject()) {
    auto e = d.FindMember("error");
    if (e != d.MemberEnd() && e->value.IsObject()) {
      auto m = e->value.FindMember("message");
      if (m != e->value.MemberEnd() && m->value.IsString()) message = m->value.GetString();
    }
  }
  return fail(s, message, errmsg);
}

std::string json_object(std::initializer_list<std::pair<const char*, const char*>> fields) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  for (const auto& [k, v] : fields) {
    if (!v) continue;
    w.Key(k);
    w.String(v);
  }
  w.EndObject();
  return sb.GetString();
}

// Every page of a list route as one JSON array.
vc_status list_all(vc_actor* a, const std::string& path, char** json_out, char** errmsg) {
  rapidjson::Document all(rapidjson::kArrayType);
  std::string cursor;
  for (;;) {
    const std::string target = path + "?limit=200" + (cursor.empty() ? "" : "&cursor=" + vc::text::url_encode_component(cursor));
    auto r = a->owner->api->call(a->actor, "GET", target);
    if (status_of_http(r.status) != VC_OK) return answer(r, nullptr, nullptr, errmsg);
    rapidjson::Document page;
    page.Parse(r.body.c_str(), r.body.size());
    if (page.HasParseError() || !page.IsObject()) return fail(VC_ERR_INTERNAL, "a list answer that is not JSON", errmsg);
    if (auto items = page.FindMember("items"); items != page.MemberEnd() && items->value.IsArray())
      for (auto& v : items->value.GetArray()) all.PushBack(rapidjson::Value(v, all.GetAllocator()), all.GetAllocator());
    auto next = page.FindMember("next_cursor");
    if (next == page.MemberEnd() || !next->value.IsString() || next->value.GetStringLength() == 0) break;
    cursor = next->value.GetString();
  }
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  all.Accept(w);
  if (json_out) *json_out = dup(std::string_view(sb.GetString(), sb.GetSize()));
  return VC_OK;
}

vc_status new_actor(vc_installation* inst, vc::Actor actor, vc_actor** out) {
  auto* a = new vc_actor{inst, std::move(actor)};
  *out = a;
  return VC_OK;
}

}  // namespace

extern "C" {

const char* vc_version(void) { return vc::version(); }

const char* vc_status_name(vc_status s) {
  switch (s) {
    case VC_OK: return "ok";
    case VC_ERR_INVALID: return "invalid";
    case VC_ERR_UNAUTHENTICATED: return "unauthenticated";
    case VC_ERR_FORBIDDEN: return "forbidden";
    case VC_ERR_NOT_FOUND: return "not_found";
    case VC_ERR_CONFLICT: return "conflict";
    case VC_ERR_TOO_LARGE: return "too_large";
    case VC_ERR_UNSUPPORTED: return "unsupported";
    case VC_ERR_RATE_LIMITED: return "rate_limited";
    case VC_ERR_UNAVAILABLE: return "unavailable";
    case VC_ERR_INTERNAL: return "internal";
  }
  return "unknown";
}

void vc_free(void* p) { std::free(p); }

vc_status vc_open(const char* const* settings, uint32_t flags, vc_installation** out, char** errmsg) {
  clear(errmsg);
  if (missing(out)) return fail(VC_ERR_INVALID, "out is NULL", errmsg);
  *out = nullptr;
  return guarded(errmsg, [&]() -> vc_status {
    std::map<std::string, std::string, std::less<>> values;
    for (auto p = settings; p && *p; ++p) {
      const std::string_view s(*p);
      const auto eq = s.find('=');
      if (eq == std::string_view::npos || eq == 0)
        return fail(VC_ERR_INVALID, "a setting is not NAME=value: '" + std::string(s) + "'", errmsg);
      values[std::string(s.substr(0, eq))] = std::string(s.substr(eq + 1));
    }
    const vc::EnvLookup env = [&values](std::string_view name) -> std::optional<std::string> {
      auto it = values.find(name);
      if (it == values.end()) return std::nullopt;
      return it->second;
    };
    auto config = vc::load_config(env, {});
    if (!config) return fail(config.error(), errmsg);
    auto options = vc::to_installation_options(*config);
    if (flags & VC_OPEN_ADMINISTER) {
      options.run_pipeline = false;
      options.drive_schedules = false;
      options.remove_upload_leftovers = false;
      options.sweep_blobs_min_age = std::chrono::seconds(-1);
    }
    auto inst = vc::Installation::open(std::move(options));
    if (!inst) return fail(inst.error(), errmsg);
    auto h = std::make_unique<vc_installation>();
    h->inst = std::move(*inst);
    h->api = std::make_unique<vc::server::InProcessApi>(*h->inst, std::move(*config));
    if (const auto& first = h->inst->first_run(); first) h->first_password = first->generated_password;
    *out = h.release();
    return VC_OK;
  });
}

void vc_close(vc_installation* inst) {
  if (!inst) return;
  try {
    {
      std::lock_guard lock(inst->mu);
      for (auto id : inst->subscriptions) inst->inst->events().unsubscribe(id);
      inst->subscriptions.clear();
    }
    inst->api.reset();
    inst->inst.reset();
  } catch (...) {
  }
  delete inst;
}

const char* vc_first_run_password(vc_installation* inst) {
  return inst && !inst->first_password.empty() ? inst->first_password.c_str() : nullptr;
}

vc_status vc_actor_system(vc_installation* inst, const char* organization, vc_actor** out, char** errmsg) {
  clear(errmsg);
  if (missing(inst) || missing(out)) return fail(VC_ERR_INVALID, "inst and out must not be NULL", errmsg);
  *out = nullptr;
  return guarded(errmsg, [&]() -> vc_status {
    auto actor = inst->api->system_actor(organization ? organization : "");
    if (!actor) return fail(actor.error(), errmsg);
    return new_actor(inst, std::move(*actor), out);
  });
}

vc_status vc_actor_login(vc_installation* inst, const char* username, const char* password, vc_actor** out, char** errmsg) {
  clear(errmsg);
  if (missing(inst) || missing(username) || missing(password) || missing(out))
    return fail(VC_ERR_INVALID, "inst, username, password and out must not be NULL", errmsg);
  *out = nullptr;
  return guarded(errmsg, [&]() -> vc_status {
    auto tokens = inst->inst->services().auth().login(username, password, "local");
    if (!tokens) return fail(tokens.error(), errmsg);
    auto actor = inst->inst->services().auth().authenticate(tokens->access_token, "local");
    if (!actor) return fail(actor.error(), errmsg);
    actor->address = "local";
    return new_actor(inst, std::move(*actor), out);
  });
}

vc_status vc_actor_from_token(vc_installation* inst, const char* token, vc_actor** out, char** errmsg) {
  clear(errmsg);
  if (missing(inst) || missing(token) || missing(out)) return fail(VC_ERR_INVALID, "inst, token and out must not be NULL", errmsg);
  *out = nullptr;
  return guarded(errmsg, [&]() -> vc_status {
    auto actor = inst->inst->services().auth().authenticate(token, "local");
    if (!actor) return fail(actor.error(), errmsg);
    actor->address = "local";
    return new_actor(inst, std::move(*actor), out);
  });
}

void vc_actor_free(vc_actor* actor) { delete actor; }

vc_status vc_request(vc_actor* actor, const char* method, const char* target, const char* json_body, int* http_status,
                     char** json_out, char** errmsg) {
  clear(errmsg);
  clear(json_out);
  if (http_status) *http_status = 0;
  if (missing(actor) || missing(method) || missing(target)) return fail(VC_ERR_INVALID, "actor, method and target must not be NULL", errmsg);
  return guarded(errmsg, [&]() -> vc_status {
    auto r = actor->owner->api->call(actor->actor, method, target, json_body ? json_body : "");
    return answer(r, http_status, json_out, errmsg);
  });
}

vc_status vc_devices_list(vc_actor* actor, char** json_out, char** errmsg) {
  clear(errmsg);
  clear(json_out);
  if (missing(actor)) return fail(VC_ERR_INVALID, "actor is NULL", errmsg);
  return guarded(errmsg, [&] { return list_all(actor, "/api/v1/devices", json_out, errmsg); });
}

vc_status vc_device_create(vc_actor* actor, const char* device_id, const char* name, char** json_out, char** errmsg) {
  clear(errmsg);
  clear(json_out);
  if (missing(actor) || missing(device_id)) return fail(VC_ERR_INVALID, "actor and device_id must not be NULL", errmsg);
  return guarded(errmsg, [&] {
    return answer(actor->owner->api->call(actor->actor, "POST", "/api/v1/devices", json_object({{"device_id", device_id}, {"name", name}})),
                  nullptr, json_out, errmsg);
  });
}

vc_status vc_device_get(vc_actor* actor, const char* device_id, char** json_out, char** errmsg) {
  clear(errmsg);
  clear(json_out);
  if (missing(actor) || missing(device_id)) return fail(VC_ERR_INVALID, "actor and device_id must not be NULL", errmsg);
  return guarded(errmsg, [&] {
    return answer(actor->owner->api->call(actor->actor, "GET", "/api/v1/devices/" + vc::text::url_encode_component(device_id)), nullptr, json_out, errmsg);
  });
}

vc_status vc_device_rename(vc_actor* actor, const char* device_id, const char* name, char** json_out, char** errmsg) {
  clear(errmsg);
  clear(json_out);
  if (missing(actor) || missing(device_id) || missing(name)) return fail(VC_ERR_INVALID, "actor, device_id and name must not be NULL", errmsg);
  return guarded(errmsg, [&] {
    return answer(actor->owner->api->call(actor->actor, "PATCH", "/api/v1/devices/" + vc::text::url_encode_component(device_id), json_object({{"name", name}})),
                  nullptr, json_out, errmsg);
  });
}

vc_status vc_device_delete(vc_actor* actor, const char* device_id, char** errmsg) {
  clear(errmsg);
  if (missing(actor) || missing(device_id)) return fail(VC_ERR_INVALID, "actor and device_id must not be NULL", errmsg);
  return guarded(errmsg, [&] {
    return answer(actor->owner->api->call(actor->actor, "DELETE", "/api/v1/devices/" + vc::text::url_encode_component(device_id)), nullptr, nullptr, errmsg);
  });
}

vc_status vc_media_list(vc_actor* actor, const char* device_id, char** json_out, char** errmsg) {
  clear(errmsg);
  clear(json_out);
  if (missing(actor) || missing(device_id)) return fail(VC_ERR_INVALID, "actor and device_id must not be NULL", errmsg);
  return guarded(errmsg, [&] { return list_all(actor, "/api/v1/devices/" + vc::text::url_encode_component(device_id) + "/media", json_out, errmsg); });
}

vc_status vc_media_upload(vc_actor* actor, const char* device_id, const char* path, const char* name, char** json_out, char** errmsg) {
  clear(errmsg);
  clear(json_out);
  if (missing(actor) || missing(device_id) || missing(path)) return fail(VC_ERR_INVALID, "actor, device_id and path must not be NULL", errmsg);
  return guarded(errmsg, [&] {
    std::string file_name = name ? name : path;
    if (!name) {
      if (auto slash = file_name.find_last_of('/'); slash != std::string::npos) file_name = file_name.substr(slash + 1);
    }
    return answer(actor->owner->api->upload(actor->actor, "/api/v1/devices/" + vc::text::url_encode_component(device_id) + "/media", path, file_name),
                  nullptr, json_out, errmsg);
  });
}

vc_status vc_media_remove(vc_actor* actor, const char* device_id, const char* name, char** errmsg) {
  clear(errmsg);
  if (missing(actor) || missing(device_id) || missing(name)) return fail(VC_ERR_INVALID, "actor, device_id and name must not be NULL", errmsg);
  return guarded(errmsg, [&] {
    return answer(actor->owner->api->call(actor->actor, "DELETE", "/api/v1/devices/" + vc::text::url_encode_component(device_id) + "/media/" + vc::text::url_encode_component(name)),
                  nullptr, nullptr, errmsg);
  });
}

vc_status vc_device_command(vc_actor* actor, const char* device_id, const char* action, const char* file, int page, char** json_out,
                            char** errmsg) {
  clear(errmsg);
  clear(json_out);
  if (missing(actor) || missing(device_id) || missing(action)) return fail(VC_ERR_INVALID, "actor, device_id and action must not be NULL", errmsg);
  if (page < 0) return fail(VC_ERR_INVALID, "page must be 0 (none) or more", errmsg);
  return guarded(errmsg, [&] {
    rapidjson::StringBuffer sb;
    rapidjson::Writer<rapidjson::StringBuffer> w(sb);
    w.StartObject();
    w.Key("action"), w.String(action);
    if (file) w.Key("file"), w.String(file);
    if (page > 0) w.Key("page"), w.Int(page);
    w.EndObject();
    return answer(actor->owner->api->call(actor->actor, "POST", "/api/v1/devices/" + vc::text::url_encode_component(device_id) + "/commands", sb.GetString()),
                  nullptr, json_out, errmsg);
  });
}

vc_status vc_subscribe(vc_installation* inst, vc_event_callback callback, void* user_data, uint64_t* subscription, char** errmsg) {
  clear(errmsg);
  if (subscription) *subscription = 0;
  if (missing(inst) || callback == nullptr) return fail(VC_ERR_INVALID, "inst and callback must not be NULL", errmsg);
  return guarded(errmsg, [&]() -> vc_status {
    auto id = inst->inst->events().subscribe([callback, user_data](const vc::DomainEvent& e) {
      const std::string kind(vc::to_string(e.kind));
      const std::string json = vc::encode_event(e);
      const vc_event ev{kind.c_str(), e.organization_id.c_str(), e.device_id.c_str(), json.c_str()};
      callback(&ev, user_data);  // a C callback cannot throw
    });
    {
      std::lock_guard lock(inst->mu);
      inst->subscriptions.push_back(id);
    }
    if (subscription) *subscription = id;
    return VC_OK;
  });
}

void vc_unsubscribe(vc_installation* inst, uint64_t subscription) {
  if (!inst) return;
  try {
    std::lock_guard lock(inst->mu);
    for (auto it = inst->subscriptions.begin(); it != inst->subscriptions.end(); ++it) {
      if (*it == subscription) {
        inst->subscriptions.erase(it);
        inst->inst->events().unsubscribe(subscription);
        return;
      }
    }
  } catch (...) {
  }
}

}  // extern "C"
