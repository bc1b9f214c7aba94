// Signed webhooks (issue 15): an organisation's admins register HTTP(S) endpoints for chosen events;
// each matching domain event becomes one delivery per endpoint, POSTed as JSON with
//
//   X-VideoControl-Event:      the event ("device.online", … or "ping")
//   X-VideoControl-Delivery:   the delivery's id — the same on every attempt: receivers de-duplicate by it
//   X-VideoControl-Timestamp:  unix seconds of this attempt
//   X-VideoControl-Signature:  sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>
//
// Fan-out happens once per event, on the instance that published it (DomainEvents::observe_local):
// the delivery rows and their jobs are written there, so N instances never make N deliveries. From
// then on a delivery is durable: a "webhook.deliver" job on the JobQueue that any instance's
// WebhookDispatcher claims; a non-2xx answer or a network error is retried with exponential back-off
// (base × 2^(attempt-1), capped) up to max_attempts, across restarts — at least once, so receivers
// must de-duplicate. A webhook whose deliveries fail for good disable_after times in a row is
// disabled (an audit entry "webhook.disable" says why); enabling it again (PATCH) resets the count.
//
// SSRF: a URL's host is resolved by the dispatcher itself, and loopback, private (RFC 1918, CGNAT),
// link-local (metadata services), unique-local, unspecified, multicast and reserved addresses are
// refused — at registration and again at every delivery — unless allow_hosts names the host or a
// CIDR holding the address. The request goes to the address that was checked (no second lookup, so
// no DNS rebinding), redirects are not followed, and connect/read timeouts and a response cap apply.
#pragma once

#include "videocontrol/export.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "videocontrol/actor.hpp"
#include "videocontrol/domain.hpp"
#include "videocontrol/result.hpp"

namespace vc {

struct DomainEvent;
struct ServiceContext;  // private
class Services;
class Storage;

enum class DeliveryStatus { pending, succeeded, failed };
VC_API std::string_view to_string(DeliveryStatus s) noexcept;
VC_API std::optional<DeliveryStatus> parse_delivery_status(std::string_view text) noexcept;

struct VC_API Webhook {
  std::string id;
  std::string organization_id;
  std::string url;
  std::string secret;               // never shown again after create/rotate (the API leaves it out)
  std::vector<std::string> events;  // event names (webhook_events())
  bool enabled = true;
  int failure_count = 0;            // deliveries failed for good in a row
  std::string disabled_reason;      // set when the dispatcher disabled it
  std::string created_by;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
};

struct VC_API WebhookDelivery {
  std::string id;                   // X-VideoControl-Delivery
  std::string webhook_id;
  std::string organization_id;
  std::string event;
  std::string payload_json;         // the exact body sent
  DeliveryStatus status = DeliveryStatus::pending;
  int attempts = 0;
  std::optional<int> response_code; // of the last attempt
  std::string response_snippet;     // its first bytes (≤ 1 KiB kept)
  std::string last_error;
  std::optional<std::int64_t> next_attempt_at_ms;
  std::string job_id;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
};

struct VC_API WebhookOptions {
  // Hosts (exact names, case-insensitive) and CIDRs ("10.0.0.0/8", "::1/128", or a bare address)
  // a webhook may reach although they are private or loopback.
  std::vector<std::string> allow_hosts;
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds read_timeout{10'000};
  std::size_t max_response_bytes = 64 * 1024;  // read at most this much of an answer
  int max_attempts = 8;                        // per delivery, then failed
  std::chrono::milliseconds backoff_base{30'000};
  std::chrono::milliseconds backoff_max{3'600'000};
  int disable_after = 5;                       // deliveries failed for good in a row
  unsigned workers = 2;                        // WebhookDispatcher threads
  std::chrono::milliseconds lease{60'000};
  std::chrono::milliseconds poll{1'000};
};

// The events a webhook may subscribe to, plus "ping" (the test delivery, always sent).
VC_API const std::vector<std::string>& webhook_events();

// ---- the parts, public for tests, fuzzing and receivers ------------------------------------------

// "sha256=" + lowercase hex HMAC-SHA256(secret, timestamp + "." + body).
VC_API std::string webhook_signature(std::string_view secret, std::string_view timestamp, std::string_view body);

// The wait after the n-th failed attempt (n ≥ 1): base × 2^(n-1), at most backoff_max.
VC_API std::chrono::milliseconds webhook_backoff(int failed_attempts, const WebhookOptions& options);

struct VC_API WebhookUrl {
  std::string scheme;  // "http" or "https"
  std::string host;    // lowercase; an IPv6 literal without brackets
  int port = 0;
  std::string target;  // path and query, at least "/"
};
// Errors: invalid (not http(s), user info, no host, a bad port, a fragment, over 2048 bytes, controls).
VC_API Result<WebhookUrl> parse_webhook_url(std::string_view url);

// Why an address (numeric IPv4 or IPv6 text) may not be reached — "loopback", "private",
// "link-local", "unique-local", "unspecified", "multicast", "reserved", "cgnat" — or empty when it is
// public. Unparseable text is "invalid".
VC_API std::string classify_address(std::string_view ip);

// A parsed allow-list. Entries: host names, addresses, CIDRs. Errors: invalid (a bad CIDR).
class VC_API HostAllowList {
 public:
  static Result<HostAllowList> parse(const std::vector<std::string>& entries);
  // Comma- or space-separated (the WEBHOOK_ALLOW_HOSTS setting).
  static Result<HostAllowList> parse_text(std::string_view text);
  bool allows(std::string_view host, std::string_view ip) const;
  bool empty() const { return hosts_.empty() && nets_.empty(); }

 private:
  struct Net {
    bool v6 = false;
    unsigned char bytes[16] = {};
    int bits = 0;
  };
  std::vector<std::string> hosts_;
  std::vector<Net> nets_;
};

// Resolves the host and returns the address to connect to: the first one, when every address is
// allowed. Errors: invalid naming the refused address and why; unavailable when it does not resolve.
VC_API Result<std::string> resolve_webhook_host(const WebhookUrl& url, const HostAllowList& allow);

// ---- the service ---------------------------------------------------------------------------------

struct VC_API WebhookInput {
  std::string url;
  std::vector<std::string> events;
  bool enabled = true;
  std::string organization_id;  // superadmin only
};

struct VC_API WebhookPatch {
  std::optional<std::string> url;
  std::optional<std::vector<std::string>> events;
  std::optional<bool> enabled;  // true also clears failure_count and disabled_reason
};

struct VC_API CreatedWebhook {
  Webhook webhook;
  std::string secret;  // shown once
};

// Part of the services (Services::webhooks()). Needs manage_api_keys (organisation admins); another
// organisation's webhook is not_found.
class VC_API Webhooks {
 public:
  explicit Webhooks(ServiceContext& ctx) : ctx_(ctx) {}
  Result<CreatedWebhook> create(const Actor& actor, const WebhookInput& input);
  Result<Page<Webhook>> list(const Actor& actor, const PageRequest& page, std::string_view organization_id = {});
  Result<Webhook> get(const Actor& actor, std::string_view id);
  Result<Webhook> update(const Actor& actor, std::string_view id, const WebhookPatch& patch);
  Result<void> remove(const Actor& actor, std::string_view id);
  Result<CreatedWebhook> rotate_secret(const Actor& actor, std::string_view id);
  // Queues a "ping" delivery (even to a disabled webhook).
  Result<WebhookDelivery> test(const Actor& actor, std::string_view id);
  // Newest first.
  Result<Page<WebhookDelivery>> deliveries(const Actor& actor, std::string_view id, const PageRequest& page);
  // Sends the same delivery (same id and body) again, as a new job with a fresh retry budget.
  Result<WebhookDelivery> redeliver(const Actor& actor, std::string_view id, std::string_view delivery_id);

  // The deliveries (and their jobs) for one event: one per enabled webhook of its organisation that
  // subscribed to it. Returns how many. Called once per event by the instance that published it.
  Result<int> fan_out(const DomainEvent& event);

  static constexpr std::string_view kJobKind = "webhook.deliver";

 private:
  ServiceContext& ctx_;
};

// Runs the deliveries: a fan-out thread fed by DomainEvents::observe_local, and workers that claim
// webhook.deliver jobs of every instance. The Installation owns one.
struct VC_API WebhookDispatcherStats {
  std::uint64_t fanned_out = 0, attempts = 0, succeeded = 0, retried = 0, failed = 0, disabled = 0;
};

class VC_API WebhookDispatcher {
 public:
  // REQUIRES: services and storage outlive it. instance: this process's worker name prefix.
  WebhookDispatcher(Services& services, Storage& storage, WebhookOptions options, std::string instance);
  ~WebhookDispatcher();  // stop()
  WebhookDispatcher(const WebhookDispatcher&) = delete;
  WebhookDispatcher& operator=(const WebhookDispatcher&) = delete;

  // Events this instance publishes are observed from construction (queued in memory); start() runs
  // the fan-out thread and options.workers delivery workers (0 = fan-out only, as vcctl's local
  // mode: the server's workers deliver). Idempotent.
  void start();
  // Fans out what is queued, lets running attempts finish (bounded by the timeouts) and joins.
  void stop();
  // Fans out queued events and runs due deliveries on the calling thread until none is due (tests).
  Result<int> run_pending();
  WebhookDispatcherStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vc
