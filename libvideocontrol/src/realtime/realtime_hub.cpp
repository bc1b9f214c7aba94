#include "videocontrol/realtime_hub.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <unordered_map>

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "videocontrol/clock.hpp"
#include "videocontrol/devices.hpp"
#include "videocontrol/events.hpp"
#include "videocontrol/id.hpp"
#include "videocontrol/json_writer.hpp"
#include "videocontrol/log.hpp"
#include "videocontrol/players.hpp"
#include "videocontrol/presence.hpp"
#include "videocontrol/scheduling.hpp"
#include "videocontrol/services.hpp"
#include "videocontrol/protocol/socketio.hpp"

#include "broadcasts.hpp"
#include "connection_registry.hpp"
#include "player_status.hpp"

namespace vc {
namespace {

using realtime::ConnRole;

// player/status reports per player connection: at most this many per window (more are dropped).
constexpr int kStatusLimit = 20;
constexpr std::int64_t kStatusWindowMs = 10'000;

std::string str_field(const rapidjson::Value& o, const char* key) {
  auto it = o.FindMember(key);
  return it != o.MemberEnd() && it->value.IsString() ? std::string(it->value.GetString(), it->value.GetStringLength())
                                                     : std::string();
}

std::optional<int> int_field(const rapidjson::Value& o, const char* key) {
  auto it = o.FindMember(key);
  if (it == o.MemberEnd() || !it->value.IsInt()) return std::nullopt;
  return it->value.GetInt();
}

std::string to_json(const rapidjson::Value& v) {
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  v.Accept(w);
  return std::string(b.GetString(), b.GetSize());
}

// {ok:false, error: <the reason, English>, code: <an ErrorCode name>}: panels show the reason and
// can say it in the person's language by the code (2.x panels read only ok and error).
std::string error_ack(std::string_view message, ErrorCode code = ErrorCode::invalid) {
  return std::move(JsonWriter().begin_object().key("ok").value(false).key("error").value(message)
                       .key("code").value(to_string(code)).end_object()).str();
}

}  // namespace

struct RealtimeHub::Impl {
  Impl(Services& s, RealtimeOptions o) : services(s), options(std::move(o)) {
    if (!options.presence) {
      own_presence = make_local_presence();
      options.presence = own_presence.get();
    }
    if (options.instance_id.empty()) options.instance_id = random_secret(12);
    if (options.drive_schedules) engine = std::make_unique<ScheduleEngine>(services, engine_sink, options.schedule);
  }
  ~Impl() {
    detach();
    engine.reset();  // before the registry its sink reads
  }

  Services& services;
  RealtimeOptions options;
  std::unique_ptr<Presence> own_presence;
  std::mutex attach_mu;
  std::atomic<RealtimeTransport*> transport{nullptr};
  std::optional<DomainEvents::Subscription> subscription;  // while attached

  void attach(RealtimeTransport& t) {
    std::lock_guard lock(attach_mu);
    transport.store(&t);
    // Every instance hears every change (the services publish on the installation's bus) and tells
    // its own connections.
    if (!subscription) subscription = services.events().subscribe([this](const DomainEvent& e) { on_event(e); });
    if (engine) engine->start();
  }

  void detach() {
    std::lock_guard lock(attach_mu);
    if (subscription) services.events().unsubscribe(*subscription);  // waits for a delivery in progress
    subscription.reset();
    if (engine) engine->stop();
    transport.store(nullptr);
  }

  // Without a transport (not attached yet, or detached) packets go nowhere.
  void send(ConnectionId id, std::string packet) {
    if (auto* t = transport.load()) {
      sent.fetch_add(1, std::memory_order_relaxed);
      t->send(id, std::move(packet));
    }
  }
  std::atomic<std::uint64_t> sent{0}, received{0};  // Socket.IO packets
  void close_connection(ConnectionId id) {
    if (auto* t = transport.load()) t->close(id);
  }

  // A domain event → the Socket.IO events PROTOCOL.md promises (broadcasts.cpp), to this
  // instance's connections.
  void on_event(const DomainEvent& e) {
    if (engine) engine->on_event(e);
    // A user or API key changed (disabled, deleted, revoked, another role): every panel here checks
    // its credential again now rather than at the next sweep. Rare, and one read per panel.
    if (e.kind == EventKind::user_changed || e.kind == EventKind::api_key_changed) recheck_controls();
    // A device's credential rotated or cleared, or its legacy flag changed: its players here show
    // their credential again; those it no longer admits are rejected and closed.
    if (e.kind == EventKind::device_credential_changed && !e.device_id.empty()) recheck_players(e.device_id);
    for (auto& b : realtime::broadcasts_for(e)) {
      std::vector<ConnectionId> targets;
      {
        std::lock_guard lock(mu);
        targets = b.to == realtime::Broadcast::To::device_players ? registry.players_of(b.target)
                                                                  : registry.controls_of(b.target);
      }
      for (auto id : targets) send(id, b.packet);
    }
  }

  // A control connection's credential checked again (Auth::recheck, then act_in for a superadmin in
  // another organisation): the actor as of now, whose role may have changed. When it no longer
  // holds (user disabled or deleted, key revoked, session ended, token expired, organisation
  // disabled), the connection ends: the command's error ack (when `ack`), a Socket.IO DISCONNECT,
  // then the transport closes. A database that does not answer ends nothing.
  Result<Actor> recheck_control(ConnectionId id, std::optional<std::uint64_t> ack = std::nullopt) {
    std::string credential, acting, address;
    {
      std::lock_guard lock(mu);
      const auto* c = registry.find(id);
      if (!c || c->role != ConnRole::control) return make_error(ErrorCode::unauthenticated, "not a control connection");
      credential = c->credential;
      acting = c->acting_org;
      address = c->address;
    }
    auto a = services.auth().recheck(credential, address);
    if (a && !acting.empty()) a = services.auth().act_in(*a, acting);
    if (!a && a.error().code == ErrorCode::unavailable) {
      // The database did not answer: nothing is known about the credential, so the panel stays
      // (a busy or restarting database must not sign every panel out); the command is refused.
      if (ack) send(id, sio::encode(sio::make_ack(*ack, {error_ack(a.error().message, ErrorCode::unavailable)})));
      return a;
    }
    if (!a) {
      if (ack) send(id, sio::encode(sio::make_ack(*ack, {error_ack(a.error().message, ErrorCode::unauthenticated)})));
      end_control(id, a.error());
      return a;
    }
    std::lock_guard lock(mu);
    registry.update_control(id, *a);
    return a;
  }
  void recheck_controls() {
    std::vector<ConnectionId> ids;
    {
      std::lock_guard lock(mu);
      ids = registry.controls();
    }
    for (auto id : ids) (void)recheck_control(id);
  }
  void recheck_players(const std::string& device_id) {
    std::vector<std::pair<ConnectionId, std::string>> players;
    {
      std::lock_guard lock(mu);
      for (auto id : registry.players_of(device_id))
        if (const auto* c = registry.find(id)) players.emplace_back(id, c->credential);
    }
    for (const auto& [id, credential] : players) {
      auto a = services.players().authenticate(device_id, credential);
      if (a || a.error().code == ErrorCode::unavailable) continue;  // a silent database ends nothing
      log_info("ended a player connection whose device credential no longer holds", {{"device_id", device_id}});
      emit(id, "player/reject", {std::move(JsonWriter().begin_object().key("reason").value("bad credential")
                                               .key("message").value(a.error().message).end_object()).str()});
      send(id, sio::encode({sio::PacketType::disconnect, "/", std::nullopt, "", 0}));
      close_connection(id);
    }
  }
  void end_control(ConnectionId id, const Error& why) {
    log_info("ended a control connection whose credential no longer holds", {{"reason", why.message}});
    send(id, sio::encode({sio::PacketType::disconnect, "/", std::nullopt, "", 0}));
    close_connection(id);
    std::lock_guard lock(mu);
    registry.close(id);  // gone now, whatever the transport does later
  }

  // Online/offline for every instance's control panels.
  void publish_presence(EventKind kind, const std::string& org, const std::string& device_id) {
    DomainEvent e;
    e.kind = kind;
    e.organization_id = org;
    e.device_id = device_id;
    e.at_ms = now();
    services.events().publish(e);
  }

  void heartbeat(const std::string& org, const std::string& device) {
    options.presence->heartbeat(org, device, options.instance_id, now() + options.presence_ttl.count());
  }

  mutable std::mutex mu;
  realtime::ConnectionRegistry registry;  // guarded by mu

  // The engine's messages go to the players of the device connected here.
  struct EngineSink final : ScheduleSink {
    Impl* hub;
    explicit EngineSink(Impl* h) : hub(h) {}
    void deliver(std::string_view device_id, std::string_view event, const std::string& payload) override {
      std::vector<ConnectionId> targets;
      {
        std::lock_guard lock(hub->mu);
        targets = hub->registry.players_of(std::string(device_id));
      }
      if (targets.empty()) return;
      std::vector<std::string> args;
      if (!payload.empty()) args.push_back(payload);
      const auto packet = sio::encode(sio::make_event(event, args));
      for (auto id : targets) hub->send(id, packet);
    }
    // A boundary many devices share: one lock for the lookups, each distinct packet encoded once.
    void deliver_many(const std::vector<ScheduleDelivery>& messages) override {
      std::vector<std::pair<ConnectionId, std::size_t>> out;  // connection, index into packets
      std::vector<std::string> packets;
      std::unordered_map<std::string, std::size_t> index;     // event + payload → packet
      out.reserve(messages.size());
      {
        std::lock_guard lock(hub->mu);
        for (const auto& m : messages) {
          auto targets = hub->registry.players_of(std::string(m.device_id));
          if (targets.empty()) continue;
          std::string key(m.event);
          key += '\0';
          if (m.payload) key += *m.payload;
          auto [it, fresh] = index.try_emplace(std::move(key), packets.size());
          if (fresh) {
            std::vector<std::string> args;
            if (m.payload && !m.payload->empty()) args.push_back(*m.payload);
            packets.push_back(sio::encode(sio::make_event(m.event, args)));
          }
          for (auto id : targets) out.emplace_back(id, it->second);
        }
      }
      for (const auto& [id, i] : out) hub->send(id, packets[i]);
    }
  } engine_sink{this};
  std::unique_ptr<ScheduleEngine> engine;  // last: destroyed first

  std::int64_t now() const { return services.clock().now_ms(); }

  void emit(ConnectionId id, std::string_view event, const std::vector<std::string>& args) {
    send(id, sio::encode(sio::make_event(event, args)));
  }

  // This instance's last connection of the device is gone: offline unless another instance holds one.
  void went_offline(const std::string& device_id, const std::string& org) {
    if (engine) engine->untrack(device_id);
    options.presence->remove(org, device_id, options.instance_id);
    if (options.presence->is_online(org, device_id, now())) return;
    (void)services.devices().set_presence(device_id, false);
    publish_presence(EventKind::device_offline, org, device_id);
  }

  void handle_connect(ConnectionId id, const sio::Packet& p) {
    if (p.nsp != "/") {
      send(id, sio::encode({sio::PacketType::connect_error, p.nsp, std::nullopt, R"({"message":"Invalid namespace"})", 0}));
      return;
    }
    std::string token, organization, address, query_token;
    {
      std::lock_guard lock(mu);
      const auto* c = registry.find(id);
      if (!c) return;
      address = c->address;
      query_token = c->query_token;
    }
    if (!p.data.empty()) {
      rapidjson::Document auth;
      auth.Parse(p.data.c_str(), p.data.size());
      if (!auth.HasParseError() && auth.IsObject()) {
        token = str_field(auth, "token");
        organization = str_field(auth, "organization_id");  // a superadmin acting in another organisation
      }
    }
    if (token.empty()) token = query_token;
    auto refuse = [&](const Error& e) {
      send(id, sio::encode({sio::PacketType::connect_error, "/", std::nullopt,
                            std::move(JsonWriter().begin_object().key("message").value(e.message).end_object()).str(), 0}));
    };
    std::optional<Actor> actor;
    if (!token.empty()) {
      auto a = services.auth().authenticate(token, address);
      if (!a) return refuse(a.error());
      if (!organization.empty()) {
        a = services.auth().act_in(*a, organization);  // superadmins only, as the X-Organization-Id header
        if (!a) return refuse(a.error());
      }
      actor = std::move(*a);
    } else if (!organization.empty()) {
      return refuse(make_error(ErrorCode::unauthenticated, "organization_id needs a token"));
    }
    const std::string sid = random_secret(20);
    {
      std::lock_guard lock(mu);
      if (!registry.accept(id, actor, token, organization)) return;
    }
    send(id, sio::encode({sio::PacketType::connect, "/", std::nullopt, std::move(JsonWriter().begin_object().key("sid").value(sid).end_object()).str(), 0}));
    if (actor) {
      JsonWriter list;
      list.begin_array();
      for (const auto& d : online_of(actor->organization_id)) list.value(d);
      emit(id, "players/onlineSnapshot", {std::move(list.end_array()).str()});
    }
  }

  std::vector<std::string> online_of(std::string_view org) const {
    if (org.empty()) return {};
    return options.presence->online(org, now());
  }

  void handle_register(ConnectionId id, const rapidjson::Value& args, std::optional<std::uint64_t> ack) {
    if (!args.IsObject()) {
      emit(id, "player/reject", {R"({"reason":"player/register needs an object with device_id"})"});
      return;
    }
    const std::string device_id = str_field(args, "device_id");
    Devices::PlayerInfo info;
    info.device_type = str_field(args, "device_type");
    if (info.device_type.empty()) info.device_type = str_field(args, "deviceType");
    info.platform = str_field(args, "platform");
    if (auto caps = args.FindMember("capabilities"); caps != args.MemberEnd() && caps->value.IsObject())
      info.capabilities_json = to_json(caps->value);
    // The credential policy, the constant-time check and the address's limits are the player API's
    // (players.hpp); a refusal writes nothing.
    std::string address;
    {
      std::lock_guard lock(mu);
      if (const auto* c = registry.find(id)) address = c->address;
    }
    const std::string credential = str_field(args, "token");
    auto self_actor = services.players().authenticate(device_id, credential, address);
    auto device = self_actor ? services.devices().register_player(*self_actor, info) : Result<Device>(self_actor.error());
    if (!device) {
      const auto code = device.error().code;
      const char* reason = code == ErrorCode::not_found        ? "unknown device"
                           : code == ErrorCode::invalid        ? "invalid report"
                           : code == ErrorCode::rate_limited   ? "rate limited"
                           : code == ErrorCode::unavailable    ? "unavailable"
                                                               : "bad credential";
      emit(id, "player/reject", {std::move(JsonWriter().begin_object().key("reason").value(reason).key("message").value(device.error().message).end_object()).str()});
      if (ack) send(id, sio::encode(sio::make_ack(*ack, {error_ack(device.error().message, device.error().code)})));
      return;
    }
    // Online somewhere already (another instance, or another connection here)?
    const bool was_online = options.presence->is_online(device->organization_id, device_id, now());
    std::optional<realtime::ConnectionRegistry::Registered> reg;
    {
      std::lock_guard lock(mu);
      reg = registry.register_player(id, device_id, device->organization_id, now());
      if (reg)
        if (auto* c = registry.find(id)) c->credential = credential;
    }
    if (!reg) return;
    const bool first = reg->first;
    if (reg->previous) went_offline(reg->previous->device_id, reg->previous->org);
    if (first) heartbeat(device->organization_id, device_id);
    if (first && !was_online) publish_presence(EventKind::device_online, device->organization_id, device_id);
    const Actor& self = *self_actor;
    auto state = services.playback().state(self, device_id);
    const std::string state_json = Playback::state_json(state.value_or(NowPlaying{}));
    emit(id, "player/state", {state_json});
    emit(id, "player/registered", {std::move(JsonWriter()
                                                 .begin_object()
                                                 .key("device_id").value(device_id)
                                                 .key("current").raw(state_json)
                                                 .key("timestamp").value(now())
                                                 .end_object())
                                       .str()});
    if (ack) send(id, sio::encode(sio::make_ack(*ack, {R"({"ok":true})"})));
    // This instance holds the device now: it drives its schedule (after the player has its state).
    if (first && engine) engine->track(device_id, device->organization_id);
  }

  void handle_ping(ConnectionId id) {
    {
      std::lock_guard lock(mu);
      if (!registry.touch(id, now())) return;
    }
    emit(id, "player/pong", {});
  }

  // player/status (an extension): a registered player reports its playback; checked and bounded
  // (player_status.hpp), then published like presence so every instance's panels of the device's
  // organisation get player/status {device_id, …}. Counts as a sign of life, like player/ping.
  void handle_status(ConnectionId id, std::string_view arg, std::optional<std::uint64_t> ack) {
    std::string device_id, org;
    bool allowed = false;
    {
      std::lock_guard lock(mu);
      const auto* c = registry.find(id);
      if (!c) return;
      if (c->role == ConnRole::player) {
        device_id = c->device_id;
        org = c->org;
        registry.touch(id, now());
        allowed = registry.allow_status(id, now(), kStatusLimit, kStatusWindowMs);
      }
    }
    auto reply = [&](std::string body) {
      if (ack) send(id, sio::encode(sio::make_ack(*ack, {std::move(body)})));
    };
    if (device_id.empty()) return reply(error_ack("player/status is for registered players: send player/register first"));
    if (!allowed) return reply(error_ack(fmt::format("too many player/status reports: at most {} in {} s", kStatusLimit,
                                                     kStatusWindowMs / 1000), ErrorCode::rate_limited));
    auto payload = realtime::player_status_payload(device_id, arg, now());
    if (!payload) {
      log_debug("player/status refused", {{"device_id", device_id}, {"error", payload.error().message}});
      return reply(error_ack(payload.error().message));
    }
    if (engine) {  // a scheduled video or audio that ended early: the schedule moves on (schedule_engine.hpp)
      rapidjson::Document d;
      d.Parse(payload->c_str(), payload->size());
      if (d.IsObject() && d.HasMember("state") && d["state"] == "ended" && d.HasMember("file") && d["file"].IsString())
        engine->player_ended(device_id, std::string_view(d["file"].GetString(), d["file"].GetStringLength()));
    }
    DomainEvent e;
    e.kind = EventKind::player_status;
    e.organization_id = org;
    e.device_id = device_id;
    e.player_payload = std::move(*payload);
    e.at_ms = now();
    services.events().publish(e);
    reply(R"({"ok":true})");
  }

  void handle_control(ConnectionId id, std::string_view name, const rapidjson::Value& args,
                      std::optional<std::uint64_t> ack, std::chrono::steady_clock::time_point received) {
    bool is_control = false;
    {
      std::lock_guard lock(mu);
      const auto* c = registry.find(id);
      if (!c) return;
      is_control = c->role == ConnRole::control;
    }
    auto reply = [&](std::string body) {
      if (ack) send(id, sio::encode(sio::make_ack(*ack, {std::move(body)})));
    };
    if (!is_control)
      return reply(error_ack("authenticate first: connect with {\"token\": <access token or API key>}", ErrorCode::unauthenticated));
    // Each command is checked against the credential as it stands now, not as it stood at CONNECT.
    Actor actor;
    {
      auto now_actor = recheck_control(id, ack);
      if (!now_actor) return;  // refused in the ack, and the connection has ended
      actor = std::move(*now_actor);
    }
    if (!args.IsObject()) return reply(error_ack("the payload must be an object with device_id or group_id"));
    const std::string device_id = str_field(args, "device_id");
    const std::string group_id = str_field(args, "group_id");
    if (!device_id.empty() && !group_id.empty())
      return reply(error_ack("give either device_id or group_id, not both"));
    if (device_id.empty() && group_id.empty()) return reply(error_ack("device_id or group_id is required"));
    if (name == "control/resumeSchedule") {  // manual control ends: the schedule plays again
      if (device_id.empty()) return reply(error_ack("control/resumeSchedule takes a device_id"));
      auto done = services.scheduling().resume_schedule(actor, device_id);
      if (!done) return reply(error_ack(done.error().message, done.error().code));
      return reply(R"({"ok":true})");
    }
    auto parsed = realtime::control_command(name, {str_field(args, "file"), int_field(args, "page")});
    if (!parsed) return reply(error_ack(fmt::format("unknown event '{}'", name)));
    PlaybackCommand cmd = std::move(*parsed);
    cmd.received = received;
    if (!group_id.empty()) {
      // Fan-out: every member through the same path as one device; the ack has a result per member.
      auto group = services.playback().command_group(actor, group_id, cmd);
      if (!group) return reply(error_ack(group.error().message, group.error().code));
      return reply(std::move(JsonWriter().begin_object().key("ok").value(true).key("group_id").value(group->group_id)
                                 .key("results").raw(group_results_json(*group)).end_object()).str());
    }
    // The playback service stores the state and publishes playback_changed; on_event delivers it.
    auto out = services.playback().command(actor, device_id, cmd);
    if (!out) return reply(error_ack(out.error().message, out.error().code));
    reply(std::move(JsonWriter().begin_object().key("ok").value(true).key("state").raw(Playback::state_json(out->state)).end_object()).str());
  }
};

RealtimeHub::RealtimeHub(Services& services, RealtimeOptions options)
    : impl_(std::make_unique<Impl>(services, std::move(options))) {}
RealtimeHub::~RealtimeHub() = default;

void RealtimeHub::on_open(ConnectionId id, std::string address, std::string query_token) {
  std::lock_guard lock(impl_->mu);
  impl_->registry.open(id, std::move(address), std::move(query_token), impl_->now());
}

void RealtimeHub::on_packet(ConnectionId id, std::string_view text, std::chrono::steady_clock::time_point received) {
  impl_->received.fetch_add(1, std::memory_order_relaxed);
  auto p = sio::decode(text);
  if (!p) {
    log_debug("malformed socket.io packet; closing the connection", {{"error", p.error().message}});
    impl_->close_connection(id);
    return;
  }
  switch (p->type) {
    case sio::PacketType::connect: return impl_->handle_connect(id, *p);
    case sio::PacketType::disconnect: impl_->close_connection(id); return;
    case sio::PacketType::event: break;
    case sio::PacketType::ack: return;  // we never ask players for acks
    default:
      impl_->close_connection(id);  // binary packets and server-only types are not accepted
      return;
  }
  {
    std::lock_guard lock(impl_->mu);
    const auto* c = impl_->registry.find(id);
    if (!c || !c->connected) {
      impl_->close_connection(id);  // an event before CONNECT is a protocol error
      return;
    }
  }
  auto ev = sio::event_of(*p);
  if (!ev) {
    impl_->close_connection(id);
    return;
  }
  if (ev->name == "player/status")  // parses its argument itself, within bounds
    return impl_->handle_status(id, ev->args.empty() ? std::string_view("null") : std::string_view(ev->args[0]), p->id);
  rapidjson::Document arg;
  if (!ev->args.empty()) arg.Parse(ev->args[0].c_str(), ev->args[0].size());
  else arg.SetNull();
  if (ev->name == "player/register") return impl_->handle_register(id, arg, p->id);
  if (ev->name == "player/ping") return impl_->handle_ping(id);
  if (ev->name.starts_with("control/")) return impl_->handle_control(id, ev->name, arg, p->id, received);
  if (p->id) impl_->send(id, sio::encode(sio::make_ack(*p->id, {error_ack("unknown event")})));
}

void RealtimeHub::on_close(ConnectionId id) {
  std::optional<realtime::Departed> departed;
  {
    std::lock_guard lock(impl_->mu);
    departed = impl_->registry.close(id);
  }
  if (departed) impl_->went_offline(departed->device_id, departed->org);
}

void RealtimeHub::sweep() {
  std::vector<ConnectionId> silent, unidentified;
  std::vector<Presence::Held> live;  // the devices held here
  {
    std::lock_guard lock(impl_->mu);
    silent = impl_->registry.silent_players(impl_->now() - impl_->options.player_timeout.count());
    const auto cutoff = [&](std::chrono::milliseconds timeout) -> std::optional<std::int64_t> {
      if (timeout.count() <= 0) return std::nullopt;
      return impl_->now() - timeout.count();
    };
    unidentified = impl_->registry.unidentified(cutoff(impl_->options.connect_timeout),
                                                cutoff(impl_->options.identify_timeout));
    live = impl_->registry.held_devices();
  }
  // One batch for all of them: one lock in-process, one round trip to Redis (not one per device).
  std::sort(live.begin(), live.end(), [](const auto& a, const auto& b) { return a.organization_id < b.organization_id; });
  impl_->options.presence->heartbeat_many(live, impl_->options.instance_id, impl_->now() + impl_->options.presence_ttl.count());
  // Players of an instance that died (or lost Redis) stop being refreshed; once their entries
  // expire, one surviving instance reports them offline — unless they reconnected somewhere.
  auto reaped = impl_->options.presence->reap_expired(impl_->now());
  if (!reaped.empty()) {
    std::size_t reported = 0;
    for (const auto& d : reaped) {
      {
        std::lock_guard lock(impl_->mu);
        if (impl_->registry.holds(d.device_id)) continue;  // here after all (refreshed next sweep)
      }
      (void)impl_->services.devices().set_presence(d.device_id, false);
      impl_->publish_presence(EventKind::device_offline, d.organization_id, d.device_id);
      ++reported;
    }
    if (reported > 0)
      log_info("reported offline the devices of an instance that stopped refreshing its presence",
               {{"devices", static_cast<std::uint64_t>(reported)}});
  }
  for (auto id : silent) {
    impl_->close_connection(id);
    on_close(id);  // gone now, whatever the transport does later
  }
  impl_->recheck_controls();  // a logout or an expired token ends its panels within a sweep
  if (!unidentified.empty())
    log_debug("closed realtime connections that neither connected nor identified in time",
              {{"connections", static_cast<std::uint64_t>(unidentified.size())}});
  for (auto id : unidentified) {
    impl_->close_connection(id);
    on_close(id);
  }
}

void RealtimeHub::attach(RealtimeTransport& transport) { impl_->attach(transport); }
void RealtimeHub::detach() { impl_->detach(); }

bool RealtimeHub::is_online(std::string_view device_id) const {
  std::lock_guard lock(impl_->mu);
  return impl_->registry.holds(std::string(device_id));
}

std::vector<std::string> RealtimeHub::online_devices(std::string_view organization_id) const {
  return impl_->online_of(organization_id);
}

RealtimeStats RealtimeHub::stats() const {
  RealtimeStats s;
  {
    std::lock_guard lock(impl_->mu);
    s = impl_->registry.stats();
  }
  if (impl_->engine) s.schedule = impl_->engine->stats();
  s.messages_received = impl_->received.load(std::memory_order_relaxed);
  s.messages_sent = impl_->sent.load(std::memory_order_relaxed);
  return s;
}

ScheduleEngine* RealtimeHub::schedule_engine() { return impl_->engine.get(); }

}  // namespace vc
