#include "videocontrol/events.hpp"

#include <algorithm>
#include <array>
#include <mutex>
#include <utility>

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "videocontrol/event_bus.hpp"
#include "videocontrol/json_writer.hpp"
#include "videocontrol/log.hpp"
#include "../util/utf8.hpp"

namespace vc {
namespace {

constexpr std::array<std::pair<EventKind, std::string_view>, 24> kKinds{{
    {EventKind::device_created, "device.created"},
    {EventKind::device_renamed, "device.renamed"},
    {EventKind::device_deleted, "device.deleted"},
    {EventKind::device_credential_changed, "device.credential_changed"},
    {EventKind::media_added, "media.added"},
    {EventKind::media_renamed, "media.renamed"},
    {EventKind::media_linked, "media.linked"},
    {EventKind::media_unlinked, "media.unlinked"},
    {EventKind::media_moved, "media.moved"},
    {EventKind::media_deleted, "media.deleted"},
    {EventKind::placeholder_changed, "placeholder.changed"},
    {EventKind::playback_changed, "playback.changed"},
    {EventKind::device_online, "device.online"},
    {EventKind::device_offline, "device.offline"},
    {EventKind::player_status, "player.status"},
    {EventKind::media_processing, "media.processing"},
    {EventKind::media_progress, "media.progress"},
    {EventKind::media_ready, "media.ready"},
    {EventKind::media_failed, "media.failed"},
    {EventKind::schedule_changed, "schedule.changed"},
    {EventKind::user_changed, "user.changed"},
    {EventKind::api_key_changed, "api_key.changed"},
    {EventKind::sessions_ended, "sessions.ended"},
    {EventKind::organization_changed, "organization.changed"},
}};

constexpr std::size_t kMaxEventBytes = 1 << 20;

Error bad(std::string message) { return make_error(ErrorCode::invalid, "domain event: " + std::move(message)); }

}  // namespace

std::string_view to_string(EventKind kind) noexcept {
  for (const auto& [k, name] : kKinds)
    if (k == kind) return name;
  return "unknown";
}

std::optional<EventKind> parse_event_kind(std::string_view text) noexcept {
  for (const auto& [k, name] : kKinds)
    if (name == text) return k;
  return std::nullopt;
}

std::vector<std::string> DomainEvent::devices() const {
  std::vector<std::string> out;
  if (!device_id.empty()) out.push_back(device_id);
  for (const auto& d : device_ids)
    if (!d.empty() && std::find(out.begin(), out.end(), d) == out.end()) out.push_back(d);
  return out;
}

std::string encode_event(const DomainEvent& e) {
  JsonWriter w;
  w.begin_object();
  w.key("kind").value(to_string(e.kind));
  w.key("organization_id").value(e.organization_id);
  if (!e.device_id.empty()) w.key("device_id").value(e.device_id);
  if (!e.device_ids.empty()) {
    w.key("device_ids").begin_array();
    for (const auto& d : e.device_ids) w.value(d);
    w.end_array();
  }
  if (!e.media_id.empty()) w.key("media_id").value(e.media_id);
  if (!e.name.empty()) w.key("name").value(e.name);
  if (!e.actor_id.empty()) w.key("actor_id").value(e.actor_id);
  w.key("at_ms").value(e.at_ms);
  if (!e.player_event.empty()) w.key("player_event").value(e.player_event);
  // Sent as text: what players receive must arrive byte for byte as the service made it.
  if (!e.player_payload.empty()) w.key("player_payload").value(e.player_payload);
  if (!e.state.empty()) w.key("state").value(e.state);
  w.end_object();
  return std::move(w).str();
}

Result<DomainEvent> decode_event(std::string_view json) {
  if (json.size() > kMaxEventBytes) return bad("over 1 MiB");
  rapidjson::Document doc;
  // One value, nothing after it but white space; strings must be UTF-8.
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(json.data(), json.size());
  if (doc.HasParseError()) return bad(std::string("not JSON: ") + rapidjson::GetParseError_En(doc.GetParseError()));
  if (!doc.IsObject()) return bad("not a JSON object");
  DomainEvent e;
  bool has_kind = false;
  for (const auto& m : doc.GetObject()) {
    const std::string_view key(m.name.GetString(), m.name.GetStringLength());
    const auto& v = m.value;
    // RapidJSON turns an escaped lone surrogate (\udddd) into bytes that are not UTF-8.
    const auto utf8_string = [](const rapidjson::Value& x) {
      return x.IsString() && utf8::valid(std::string_view(x.GetString(), x.GetStringLength()));
    };
    auto text = [&](std::string& out) -> Result<void> {
      if (!utf8_string(v)) return bad(std::string(key) + " must be a UTF-8 string");
      out.assign(v.GetString(), v.GetStringLength());
      return {};
    };
    if (key == "kind") {
      if (!v.IsString()) return bad("kind must be a string");
      auto k = parse_event_kind(std::string_view(v.GetString(), v.GetStringLength()));
      if (!k) return bad("unknown kind");
      e.kind = *k;
      has_kind = true;
    } else if (key == "organization_id") {
      VC_TRY(text(e.organization_id));
    } else if (key == "device_id") {
      VC_TRY(text(e.device_id));
    } else if (key == "device_ids") {
      if (!v.IsArray()) return bad("device_ids must be an array of strings");
      e.device_ids.clear();  // a repeated key: the last one counts, as for every other field
      for (const auto& d : v.GetArray()) {
        if (!utf8_string(d)) return bad("device_ids must be an array of strings");
        e.device_ids.emplace_back(d.GetString(), d.GetStringLength());
      }
    } else if (key == "media_id") {
      VC_TRY(text(e.media_id));
    } else if (key == "name") {
      VC_TRY(text(e.name));
    } else if (key == "actor_id") {
      VC_TRY(text(e.actor_id));
    } else if (key == "at_ms") {
      if (!v.IsInt64()) return bad("at_ms must be an integer");
      e.at_ms = v.GetInt64();
    } else if (key == "player_event") {
      VC_TRY(text(e.player_event));
    } else if (key == "player_payload") {
      VC_TRY(text(e.player_payload));
      rapidjson::Document payload;
      payload.Parse<rapidjson::kParseValidateEncodingFlag>(e.player_payload.data(), e.player_payload.size());
      if (payload.HasParseError()) return bad("player_payload must be one JSON value");
    } else if (key == "state") {
      VC_TRY(text(e.state));
      rapidjson::Document state;
      state.Parse<rapidjson::kParseValidateEncodingFlag>(e.state.data(), e.state.size());
      if (state.HasParseError() || !state.IsObject()) return bad("state must be a JSON object");
    }
    // Unknown keys are ignored: a newer instance may add fields.
  }
  if (!has_kind) return bad("kind is required");
  return e;
}

// ---- DomainEvents --------------------------------------------------------------------------------

namespace {

struct Entry {
  DomainEvents::Subscription id = 0;
  std::recursive_mutex running;  // held while the handler runs; unsubscribe waits on it
  bool active = true;
  DomainEvents::Handler handler;
};

}  // namespace

struct DomainEvents::State {
  std::mutex mu;
  Subscription next_id = 1;
  std::shared_ptr<const std::vector<std::shared_ptr<Entry>>> entries =
      std::make_shared<const std::vector<std::shared_ptr<Entry>>>();
  bool alive = true;
  std::vector<std::shared_ptr<Entry>> observers;  // observe_local

  void dispatch(std::string_view message) {
    std::shared_ptr<const std::vector<std::shared_ptr<Entry>>> list;
    {
      std::lock_guard lock(mu);
      if (!alive) return;
      list = entries;
    }
    if (list->empty()) return;
    auto event = decode_event(message);
    if (!event) {
      log_warn("dropped a malformed domain event", {{"error", event.error().message}});
      return;
    }
    for (const auto& entry : *list) {
      std::lock_guard running(entry->running);
      if (!entry->active) continue;
      try {
        entry->handler(*event);
      } catch (const std::exception& ex) {
        log_error("a domain event handler failed", {{"kind", std::string(to_string(event->kind))}, {"error", ex.what()}});
      }
    }
  }
};

DomainEvents::DomainEvents(EventBus& bus) : state_(std::make_shared<State>()), bus_(bus) {
  // The bus keeps its handler until it is destroyed; it holds the state, not this object.
  bus_.subscribe(kChannel, [state = state_](std::string_view, std::string_view message) { state->dispatch(message); });
}

DomainEvents::~DomainEvents() {
  std::shared_ptr<const std::vector<std::shared_ptr<Entry>>> list;
  {
    std::lock_guard lock(state_->mu);
    state_->alive = false;
    list = state_->entries;
  }
  for (const auto& entry : *list) {
    std::lock_guard running(entry->running);
    entry->active = false;
  }
}

bool DomainEvents::publish(const DomainEvent& event) {
  std::vector<std::shared_ptr<Entry>> observers;
  {
    std::lock_guard lock(state_->mu);
    observers = state_->observers;
  }
  for (const auto& entry : observers) {
    std::lock_guard running(entry->running);
    if (!entry->active) continue;
    try {
      entry->handler(event);
    } catch (const std::exception& ex) {
      log_error("a domain event observer failed", {{"kind", std::string(to_string(event.kind))}, {"error", ex.what()}});
    }
  }
  return bus_.publish(kChannel, encode_event(event));
}

DomainEvents::Subscription DomainEvents::observe_local(Handler handler) {
  auto entry = std::make_shared<Entry>();
  entry->handler = std::move(handler);
  std::lock_guard lock(state_->mu);
  entry->id = state_->next_id++;
  state_->observers.push_back(entry);
  return entry->id;
}

void DomainEvents::unobserve_local(Subscription id) {
  std::shared_ptr<Entry> gone;
  {
    std::lock_guard lock(state_->mu);
    auto& v = state_->observers;
    auto it = std::find_if(v.begin(), v.end(), [&](const auto& e) { return e->id == id; });
    if (it == v.end()) return;
    gone = *it;
    v.erase(it);
  }
  std::lock_guard running(gone->running);
  gone->active = false;
}

DomainEvents::Subscription DomainEvents::subscribe(Handler handler) {
  auto entry = std::make_shared<Entry>();
  entry->handler = std::move(handler);
  std::lock_guard lock(state_->mu);
  entry->id = state_->next_id++;
  auto next = std::make_shared<std::vector<std::shared_ptr<Entry>>>(*state_->entries);
  next->push_back(entry);
  state_->entries = std::move(next);
  return entry->id;
}

void DomainEvents::unsubscribe(Subscription id) {
  std::shared_ptr<Entry> gone;
  {
    std::lock_guard lock(state_->mu);
    auto next = std::make_shared<std::vector<std::shared_ptr<Entry>>>(*state_->entries);
    auto it = std::find_if(next->begin(), next->end(), [&](const auto& e) { return e->id == id; });
    if (it == next->end()) return;
    gone = *it;
    next->erase(it);
    state_->entries = std::move(next);
  }
  std::lock_guard running(gone->running);  // waits for a call in progress (unless it is this thread's)
  gone->active = false;
}

}  // namespace vc
