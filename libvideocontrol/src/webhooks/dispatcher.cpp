// WebhookDispatcher: the fan-out thread (events this instance published → delivery rows and jobs)
// and the workers that POST the deliveries of every instance (webhook.deliver jobs).
#include <httplib.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <rapidjson/document.h>

#include "../services/context.hpp"
#include "videocontrol/events.hpp"
#include "videocontrol/jobs.hpp"
#include "videocontrol/json_writer.hpp"
#include "videocontrol/log.hpp"
#include "videocontrol/services.hpp"
#include "videocontrol/storage.hpp"
#include "videocontrol/version.hpp"
#include "videocontrol/webhooks.hpp"

namespace vc {
namespace {

constexpr std::size_t kMaxQueuedEvents = 10'000;
constexpr std::size_t kSnippetBytes = 1024;

struct Attempt {
  std::optional<int> code;
  std::string snippet;
  std::string error;  // empty on a 2xx
  bool ok() const { return error.empty(); }
};

std::string http_error_text(httplib::Error e) {
  switch (e) {
    case httplib::Error::Connection: return "cannot connect";
    case httplib::Error::ConnectionTimeout: return "connecting timed out";
    case httplib::Error::Read: return "the connection broke or timed out while reading the answer";
    case httplib::Error::Write: return "the connection broke while sending";
    case httplib::Error::SSLConnection: return "the TLS handshake failed";
    case httplib::Error::SSLServerVerification: return "the receiver's TLS certificate is not trusted";
    default: return httplib::to_string(e);
  }
}

}  // namespace

struct WebhookDispatcher::Impl {
  Impl(Services& s, Storage& st, WebhookOptions o, std::string inst)
      : services(s), storage(st), ctx(service_context(s)), options(std::move(o)), instance(std::move(inst)),
        queue(st, ctx.clock) {
    auto parsed = HostAllowList::parse(options.allow_hosts);
    if (parsed) allow = std::move(*parsed);
    else log_warn("webhooks: the allow-list does not parse; nothing private is allowed", {{"error", parsed.error().message}});
  }

  Services& services;
  Storage& storage;
  ServiceContext& ctx;
  WebhookOptions options;
  std::string instance;
  JobQueue queue;
  HostAllowList allow;

  std::mutex mu;
  std::condition_variable wake;
  std::deque<DomainEvent> events;
  bool stopping = false;
  bool started = false;
  std::vector<std::thread> threads;
  std::optional<DomainEvents::Subscription> observer;
  std::atomic<std::uint64_t> n_fanned{0}, n_attempts{0}, n_ok{0}, n_retried{0}, n_failed{0}, n_disabled{0};

  void observe(const DomainEvent& e) {
    const std::string name(to_string(e.kind));
    const auto& known = webhook_events();
    if (e.organization_id.empty() || std::find(known.begin(), known.end(), name) == known.end()) return;
    std::lock_guard lock(mu);
    if (events.size() >= kMaxQueuedEvents) {
      log_warn("webhooks: too many events waiting for fan-out; one dropped", {{"event", name}});
      return;
    }
    events.push_back(e);
    wake.notify_all();
  }

  // Returns how many events it fanned out.
  int fan_out_queued() {
    int n = 0;
    for (;;) {
      DomainEvent e;
      {
        std::lock_guard lock(mu);
        if (events.empty()) return n;
        e = std::move(events.front());
        events.pop_front();
      }
      auto r = services.webhooks().fan_out(e);
      if (!r) {
        log_warn("webhooks: fan-out failed; the event is not delivered",
                 {{"event", std::string(to_string(e.kind))}, {"error", r.error().message}});
        continue;
      }
      if (*r > 0) {
        n_fanned += static_cast<std::uint64_t>(*r);
        wake.notify_all();  // workers: new jobs
      }
      ++n;
    }
  }

  Attempt post(const Webhook& hook, const WebhookDelivery& d) {
    Attempt a;
    auto url = parse_webhook_url(hook.url);
    if (!url) return {std::nullopt, {}, url.error().message};
    auto ip = resolve_webhook_host(*url, allow);
    if (!ip) return {std::nullopt, {}, ip.error().message};
    const std::string timestamp = std::to_string(ctx.now_ms() / 1000);
    httplib::Headers headers{
        {"User-Agent", "VideoControl-Webhooks/" VIDEOCONTROL_VERSION},
        {"X-VideoControl-Event", d.event},
        {"X-VideoControl-Delivery", d.id},
        {"X-VideoControl-Timestamp", timestamp},
        {"X-VideoControl-Signature", webhook_signature(hook.secret, timestamp, d.payload_json)},
    };
    auto send = [&](httplib::ClientImpl& cli) {
      // Connect to the address checked above, whatever DNS says now; the Host header and TLS (SNI,
      // certificate name) still use the URL's host.
      cli.set_hostname_addr_map({{url->host, *ip}});
      cli.set_connection_timeout(options.connect_timeout);
      cli.set_read_timeout(options.read_timeout);
      cli.set_write_timeout(options.read_timeout);
      cli.set_follow_location(false);
      cli.set_keep_alive(false);
      httplib::Request req;
      req.method = "POST";
      req.path = url->target;
      req.headers = headers;
      req.set_header("Content-Type", "application/json");
      req.body = d.payload_json;
      std::optional<int> status;
      std::string body;
      bool capped = false;
      req.response_handler = [&](const httplib::Response& r) {
        status = r.status;
        return true;
      };
      req.content_receiver = [&](const char* data, std::size_t n, std::uint64_t, std::uint64_t) {
        const std::size_t room = options.max_response_bytes - std::min(options.max_response_bytes, body.size());
        body.append(data, std::min(n, room));
        if (n > room) {
          capped = true;
          return false;  // stop reading: the code and a snippet are all we keep
        }
        return true;
      };
      httplib::Response res;
      httplib::Error err = httplib::Error::Success;
      const bool sent = cli.send(req, res, err);
      a.code = status;
      if (!sent && !(capped && status)) {
        a.error = http_error_text(err);
        return;
      }
      a.snippet = body.substr(0, kSnippetBytes);
      if (*status < 200 || *status > 299) a.error = fmt::format("the receiver answered {}", *status);
    };
    try {
      if (url->scheme == "https") {
        httplib::SSLClient cli(url->host, url->port);
        cli.enable_server_certificate_verification(true);
        send(cli);
      } else {
        httplib::ClientImpl cli(url->host, url->port);
        send(cli);
      }
    } catch (const std::exception& ex) {
      a.error = ex.what();
    }
    return a;
  }

  void audit_disable(StorageSession& s, const Webhook& w) {
    AuditEntry e = audit_entry(ctx, Actor::system(), "webhook.disable", "webhook", w.id, w.organization_id,
                               JsonWriter()
                                   .begin_object()
                                   .key("reason")
                                   .value(w.disabled_reason)
                                   .key("failure_count")
                                   .value(w.failure_count)
                                   .end_object()
                                   .str());
    (void)s.audit().append(e);
  }

  void deliver(const Job& job, const std::string& worker) {
    std::string delivery_id;
    bool manual = false;
    {
      rapidjson::Document doc;
      doc.Parse(job.payload_json.data(), job.payload_json.size());
      if (!doc.HasParseError() && doc.IsObject() && doc.HasMember("delivery_id") && doc["delivery_id"].IsString())
        delivery_id = doc["delivery_id"].GetString();
      if (!doc.HasParseError() && doc.IsObject() && doc.HasMember("manual") && doc["manual"].IsBool())
        manual = doc["manual"].GetBool();
    }
    if (delivery_id.empty()) {
      (void)queue.fail(job.id, worker, "the job's payload has no delivery_id");
      return;
    }
    std::optional<WebhookDelivery> delivery;
    std::optional<Webhook> hook;
    auto loaded = storage.read([&](StorageSession& s) -> Result<void> {
      VC_ASSIGN(delivery, s.webhooks().find_delivery(delivery_id));
      if (delivery) {
        VC_ASSIGN(hook, s.webhooks().find(delivery->webhook_id));
      }
      return {};
    });
    if (!loaded) {
      (void)queue.fail(job.id, worker, loaded.error().message, options.poll * 5);
      return;
    }
    // Gone (the webhook was deleted), or superseded (redelivered as another job), or done already.
    if (!delivery || !hook || delivery->job_id != job.id || delivery->status != DeliveryStatus::pending) {
      (void)queue.complete(job.id, worker);
      return;
    }
    const auto now0 = ctx.now_ms();
    if (!hook->enabled && !manual) {
      delivery->status = DeliveryStatus::failed;
      delivery->last_error = "the webhook is disabled";
      delivery->next_attempt_at_ms.reset();
      delivery->updated_at_ms = now0;
      (void)storage.transact([&](StorageSession& s) { return s.webhooks().update_delivery(*delivery); });
      (void)queue.complete(job.id, worker);
      return;
    }

    ++n_attempts;
    Attempt a = post(*hook, *delivery);
    const auto now = ctx.now_ms();
    delivery->attempts += 1;
    delivery->response_code = a.code;
    delivery->response_snippet = a.snippet;
    delivery->last_error = a.error;
    delivery->updated_at_ms = now;
    const bool retry = !a.ok() && job.attempts < options.max_attempts;
    std::chrono::milliseconds backoff{0};
    if (a.ok()) {
      delivery->status = DeliveryStatus::succeeded;
      delivery->next_attempt_at_ms.reset();
    } else if (retry) {
      backoff = webhook_backoff(job.attempts, options);
      delivery->next_attempt_at_ms = now + backoff.count();
    } else {
      delivery->status = DeliveryStatus::failed;
      delivery->next_attempt_at_ms.reset();
    }
    bool disabled = false;
    auto saved = storage.transact([&](StorageSession& s) -> Result<void> {
      VC_TRY(s.webhooks().update_delivery(*delivery));
      if (a.ok() || !retry) {
        VC_ASSIGN(auto current, s.webhooks().find(hook->id));
        if (!current) return {};
        if (a.ok()) {
          if (current->failure_count == 0) return {};
          current->failure_count = 0;
        } else {
          current->failure_count += 1;
          if (current->enabled && current->failure_count >= options.disable_after) {
            current->enabled = false;
            current->disabled_reason =
                fmt::format("{} deliveries in a row failed; the last: {}", current->failure_count, a.error);
            disabled = true;
            audit_disable(s, *current);
          }
        }
        current->updated_at_ms = now;
        VC_TRY(s.webhooks().update(*current));
      }
      return {};
    });
    if (!saved) log_warn("webhooks: cannot record a delivery attempt", {{"delivery", delivery->id}, {"error", saved.error().message}});
    if (a.ok()) {
      ++n_ok;
      (void)queue.complete(job.id, worker);
    } else if (retry) {
      ++n_retried;
      (void)queue.fail(job.id, worker, a.error, backoff);
    } else {
      ++n_failed;
      (void)queue.fail(job.id, worker, a.error);
    }
    if (disabled) {
      ++n_disabled;
      log_warn("webhooks: a webhook was disabled after repeated failures", {{"webhook", hook->id}});
    }
    log_info("webhook delivery attempt", {{"delivery", delivery->id},
                                          {"event", delivery->event},
                                          {"code", static_cast<std::int64_t>(a.code.value_or(0))},
                                          {"ok", a.ok()},
                                          {"attempt", static_cast<std::int64_t>(job.attempts)}});
  }

  bool run_one(const std::string& worker) {
    auto claimed = queue.claim(worker, options.lease, Webhooks::kJobKind);
    if (!claimed) {
      log_warn("webhooks: cannot claim jobs", {{"error", claimed.error().message}});
      return false;
    }
    if (!*claimed) return false;
    deliver(**claimed, worker);
    return true;
  }

  void worker_loop(unsigned index) {
    const std::string worker = fmt::format("{}-webhook{}", instance, index);
    for (;;) {
      {
        std::lock_guard lock(mu);
        if (stopping) return;
      }
      if (run_one(worker)) continue;
      std::unique_lock lock(mu);
      wake.wait_for(lock, options.poll, [&] { return stopping; });
      if (stopping) return;
    }
  }

  void fan_out_loop() {
    for (;;) {
      fan_out_queued();
      std::unique_lock lock(mu);
      wake.wait(lock, [&] { return stopping || !events.empty(); });
      if (stopping && events.empty()) return;
    }
  }
};

WebhookDispatcher::WebhookDispatcher(Services& services, Storage& storage, WebhookOptions options, std::string instance)
    : impl_(std::make_unique<Impl>(services, storage, std::move(options), std::move(instance))) {
  Impl& in = *impl_;
  in.observer = in.services.events().observe_local([&in](const DomainEvent& e) { in.observe(e); });
}

WebhookDispatcher::~WebhookDispatcher() {
  stop();
  if (impl_->observer) impl_->services.events().unobserve_local(*impl_->observer);
  impl_->fan_out_queued();  // what came in since
}

void WebhookDispatcher::start() {
  Impl& in = *impl_;
  {
    std::lock_guard lock(in.mu);
    if (in.started) return;
    in.started = true;
    in.stopping = false;
  }
  in.threads.emplace_back([&in] { in.fan_out_loop(); });
  for (unsigned i = 0; i < in.options.workers; ++i) in.threads.emplace_back([&in, i] { in.worker_loop(i); });
  log_info("webhook dispatcher started", {{"workers", static_cast<std::int64_t>(in.options.workers)}});
}

void WebhookDispatcher::stop() {
  Impl& in = *impl_;
  {
    std::lock_guard lock(in.mu);
    if (!in.started) return;
    in.stopping = true;
    in.started = false;
  }
  in.wake.notify_all();
  for (auto& t : in.threads) t.join();
  in.threads.clear();
}

Result<int> WebhookDispatcher::run_pending() {
  Impl& in = *impl_;
  in.fan_out_queued();
  int n = 0;
  while (in.run_one("run-pending")) ++n;
  return n;
}

WebhookDispatcherStats WebhookDispatcher::stats() const {
  const Impl& in = *impl_;
  return {in.n_fanned.load(), in.n_attempts.load(), in.n_ok.load(), in.n_retried.load(), in.n_failed.load(),
          in.n_disabled.load()};
}

}  // namespace vc
