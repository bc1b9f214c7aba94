#include <algorithm>
#include <thread>

#include "context.hpp"
#include "videocontrol/devices.hpp"
#include "videocontrol/media.hpp"
#include "videocontrol/password.hpp"
#include "videocontrol/playback.hpp"
#include "videocontrol/players.hpp"
#include "videocontrol/scheduling.hpp"
#include "videocontrol/webhooks.hpp"
#include "videocontrol/event_bus.hpp"
#include "videocontrol/id.hpp"
#include "videocontrol/log.hpp"

namespace vc {

void ServiceContext::publish(DomainEvent event, const Actor& actor) const {
  if (!events) return;
  event.at_ms = now_ms();
  if (event.actor_id.empty() && !actor.is_system()) event.actor_id = actor.id;
  events->publish(event);
}

struct Services::Impl {
  Impl(ServiceContext c, std::unique_ptr<EventBus> bus, EventBus& shared)
      : own_bus(std::move(bus)), events(shared), ctx(std::move(c)), organizations(ctx), users(ctx), auth(ctx),
        api_keys(ctx), audit(ctx), devices(ctx), media(ctx), playback(ctx), players(ctx), scheduling(ctx), webhooks(ctx) {
    ctx.events = &events;
    // Changes made here reach the cache before the call that made them returns (observe_local, on
    // the publishing thread); changes made on other instances arrive through the bus.
    auto cache = ctx.auth_cache;
    auth_cache_observer = events.observe_local([cache](const DomainEvent& e) { cache->on_event(e); });
    auth_cache_subscription = events.subscribe([cache](const DomainEvent& e) { cache->on_event(e); });
  }
  ~Impl() {
    events.unsubscribe(auth_cache_subscription);
    events.unobserve_local(auth_cache_observer);
  }
  std::unique_ptr<EventBus> own_bus;  // when the backends brought none
  DomainEvents events;
  ServiceContext ctx;
  Organizations organizations;
  Users users;
  Auth auth;
  ApiKeys api_keys;
  AuditLog audit;
  Devices devices;
  MediaLibrary media;
  Playback playback;
  Players players;
  Scheduling scheduling;
  Webhooks webhooks;
  DomainEvents::Subscription auth_cache_observer = 0, auth_cache_subscription = 0;
};

Services::Services() = default;
Services::~Services() = default;

Result<std::unique_ptr<Services>> Services::create(ServiceBackends b, ServiceOptions options) {
  if (!b.storage || !b.limiter || !b.blobs || !b.cache)
    return make_error(ErrorCode::invalid, "Services::create needs storage, rate limiter, blob store and cache");
  Storage& storage = *b.storage;
  if (!options.clock) options.clock = system_clock();
  if (options.password_hash_concurrency == 0)
    options.password_hash_concurrency = std::max(1u, std::thread::hardware_concurrency() / 2);
  VC_TRY(check_password_hash_cost(options.password_hash));
  std::string key = options.jwt_secret;
  if (key.empty()) {
    // One key for every instance sharing the database: the first to start stores it.
    auto stored = write_value<std::string>(storage, [&](StorageSession& s) {
      return s.settings().put_if_absent("jwt_signing_key", random_secret(64), options.clock->now_ms());
    });
    if (!stored) return make_error(ErrorCode::unavailable, "cannot load the token signing key: " + stored.error().message);
    key = std::move(*stored);
  }
  ServiceContext ctx{storage, *b.limiter, *b.blobs, *b.cache, options.clock, options, std::move(key)};
  std::unique_ptr<EventBus> own_bus;
  if (!b.bus) {
    own_bus = make_local_event_bus();
    b.bus = own_bus.get();
  }
  EventBus& bus = *b.bus;
  std::unique_ptr<Services> s(new Services());
  s->impl_ = std::make_unique<Impl>(std::move(ctx), std::move(own_bus), bus);
  return s;
}

Organizations& Services::organizations() { return impl_->organizations; }
Users& Services::users() { return impl_->users; }
Auth& Services::auth() { return impl_->auth; }
ApiKeys& Services::api_keys() { return impl_->api_keys; }
AuditLog& Services::audit() { return impl_->audit; }
Devices& Services::devices() { return impl_->devices; }
MediaLibrary& Services::media() { return impl_->media; }
Playback& Services::playback() { return impl_->playback; }
Players& Services::players() { return impl_->players; }
Scheduling& Services::scheduling() { return impl_->scheduling; }
Webhooks& Services::webhooks() { return impl_->webhooks; }
Cache& Services::cache() { return impl_->ctx.cache; }
const Clock& Services::clock() const { return *impl_->ctx.clock; }
DomainEvents& Services::events() { return impl_->events; }
ServiceContext& service_context(Services& services) { return services.impl_->ctx; }

}  // namespace vc
