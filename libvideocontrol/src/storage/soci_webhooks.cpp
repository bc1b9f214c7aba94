#include <fmt/format.h>

#include "soci_repositories.hpp"
#include "videocontrol/webhooks.hpp"

namespace vc::storage {
namespace {

// Event names hold no commas: stored comma-separated.
std::string join_events(const std::vector<std::string>& events) {
  std::string out;
  for (const auto& e : events) {
    if (!out.empty()) out += ',';
    out += e;
  }
  return out;
}

std::vector<std::string> split_events(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

constexpr const char* kWebhookColumns =
    "id, organization_id, url, secret, events, enabled, failure_count, disabled_reason, created_by, created_at, "
    "updated_at";

constexpr const char* kDeliveryColumns =
    "id, webhook_id, organization_id, event, payload, status, attempts, response_code, response_snippet, last_error, "
    "next_attempt_at, job_id, created_at, updated_at";

struct WebhookRow {
  Webhook w;
  std::string events;
  int enabled = 1;
  NullableText reason, created_by;
  long long created = 0, updated = 0;

  template <class P>
  void bind(P& p) {
    p, soci::into(w.id), soci::into(w.organization_id), soci::into(w.url), soci::into(w.secret), soci::into(events),
        soci::into(enabled), soci::into(w.failure_count), soci::into(reason.value, reason.ind),
        soci::into(created_by.value, created_by.ind), soci::into(created), soci::into(updated);
  }
  Webhook get() const {
    Webhook out = w;
    out.events = split_events(events);
    out.enabled = enabled != 0;
    out.disabled_reason = reason.get();
    out.created_by = created_by.get();
    out.created_at_ms = created;
    out.updated_at_ms = updated;
    return out;
  }
};

struct DeliveryRow {
  WebhookDelivery d;
  std::string status;
  NullableInt code, next;
  NullableText snippet, error, job;
  long long created = 0, updated = 0;

  template <class P>
  void bind(P& p) {
    p, soci::into(d.id), soci::into(d.webhook_id), soci::into(d.organization_id), soci::into(d.event),
        soci::into(d.payload_json), soci::into(status), soci::into(d.attempts), soci::into(code.value, code.ind),
        soci::into(snippet.value, snippet.ind), soci::into(error.value, error.ind), soci::into(next.value, next.ind),
        soci::into(job.value, job.ind), soci::into(created), soci::into(updated);
  }
  WebhookDelivery get() const {
    WebhookDelivery out = d;
    out.status = parse_delivery_status(status).value_or(DeliveryStatus::pending);
    if (auto c = code.get()) out.response_code = static_cast<int>(*c);
    out.response_snippet = snippet.get();
    out.last_error = error.get();
    out.next_attempt_at_ms = next.get();
    out.job_id = job.get();
    out.created_at_ms = created;
    out.updated_at_ms = updated;
    return out;
  }
};

}  // namespace

Result<void> SociWebhooks::insert(const Webhook& w) {
  return guarded([&]() -> Result<void> {
    const std::string events = join_events(w.events);
    NullableText reason(w.disabled_reason), created_by(w.created_by);
    int enabled = w.enabled ? 1 : 0;
    long long created = w.created_at_ms, updated = w.updated_at_ms;
    s_ << "INSERT INTO webhooks (id, organization_id, url, secret, events, enabled, failure_count, disabled_reason, "
          "created_by, created_at, updated_at) VALUES (:id, :org, :url, :secret, :events, :enabled, :failures, "
          ":reason, :by, :created, :updated)",
        soci::use(w.id), soci::use(w.organization_id), soci::use(w.url), soci::use(w.secret), soci::use(events),
        soci::use(enabled), soci::use(w.failure_count), soci::use(reason.value, reason.ind),
        soci::use(created_by.value, created_by.ind), soci::use(created), soci::use(updated);
    return {};
  });
}

Result<std::vector<Webhook>> SociWebhooks::select(const std::string& where, const std::vector<std::string>& params,
                                                  int limit) {
  return guarded([&]() -> Result<std::vector<Webhook>> {
    std::vector<Webhook> out;
    WebhookRow row;
    std::string sql = std::string("SELECT ") + kWebhookColumns + " FROM webhooks " + where + " ORDER BY id";
    if (limit > 0) sql += fmt::format(" LIMIT {}", clamp_limit(limit));
    auto p = (s_.prepare << sql);
    row.bind(p);
    for (const auto& v : params) p, soci::use(v);
    soci::statement st(p);
    st.execute();
    while (st.fetch()) out.push_back(row.get());
    return out;
  });
}

Result<std::optional<Webhook>> SociWebhooks::find(std::string_view id) {
  auto rows = select("WHERE id = :id", {std::string(id)}, 1);
  if (!rows) return std::move(rows).error();
  if (rows->empty()) return std::optional<Webhook>{};
  return std::optional<Webhook>{std::move(rows->front())};
}

Result<std::vector<Webhook>> SociWebhooks::list(std::string_view organization_id, std::string_view after_id, int limit) {
  return select("WHERE organization_id = :org AND id > :after", {std::string(organization_id), std::string(after_id)},
                limit);
}

Result<std::vector<Webhook>> SociWebhooks::enabled_in(std::string_view organization_id) {
  return select("WHERE organization_id = :org AND enabled = 1", {std::string(organization_id)}, 0);
}

Result<void> SociWebhooks::update(const Webhook& w) {
  return guarded([&]() -> Result<void> {
    const std::string events = join_events(w.events);
    NullableText reason(w.disabled_reason);
    int enabled = w.enabled ? 1 : 0;
    long long updated = w.updated_at_ms;
    s_ << "UPDATE webhooks SET url = :url, secret = :secret, events = :events, enabled = :enabled, "
          "failure_count = :failures, disabled_reason = :reason, updated_at = :updated WHERE id = :id",
        soci::use(w.url), soci::use(w.secret), soci::use(events), soci::use(enabled), soci::use(w.failure_count),
        soci::use(reason.value, reason.ind), soci::use(updated), soci::use(w.id);
    return {};
  });
}

Result<bool> SociWebhooks::remove(std::string_view id) {
  return guarded([&]() -> Result<bool> {
    std::string key(id);
    // Explicitly, in case foreign keys are not enforced on the connection.
    s_ << "DELETE FROM webhook_deliveries WHERE webhook_id = :id", soci::use(key);
    soci::statement st = (s_.prepare << "DELETE FROM webhooks WHERE id = :id", soci::use(key));
    st.execute(true);
    return st.get_affected_rows() > 0;
  });
}

Result<void> SociWebhooks::insert_delivery(const WebhookDelivery& d) {
  return guarded([&]() -> Result<void> {
    const std::string status(to_string(d.status));
    NullableInt code(d.response_code ? std::optional<std::int64_t>(*d.response_code) : std::nullopt);
    NullableInt next(d.next_attempt_at_ms);
    NullableText snippet(d.response_snippet), error(d.last_error), job(d.job_id);
    long long created = d.created_at_ms, updated = d.updated_at_ms;
    s_ << "INSERT INTO webhook_deliveries (" << kDeliveryColumns
       << ") VALUES (:id, :webhook, :org, :event, :payload, :status, :attempts, :code, :snippet, :error, :next, :job, "
          ":created, :updated)",
        soci::use(d.id), soci::use(d.webhook_id), soci::use(d.organization_id), soci::use(d.event),
        soci::use(d.payload_json), soci::use(status), soci::use(d.attempts), soci::use(code.value, code.ind),
        soci::use(snippet.value, snippet.ind), soci::use(error.value, error.ind), soci::use(next.value, next.ind),
        soci::use(job.value, job.ind), soci::use(created), soci::use(updated);
    return {};
  });
}

Result<std::optional<WebhookDelivery>> SociWebhooks::find_delivery(std::string_view id) {
  return guarded([&]() -> Result<std::optional<WebhookDelivery>> {
    DeliveryRow row;
    std::string key(id);
    auto p = (s_.prepare << std::string("SELECT ") + kDeliveryColumns + " FROM webhook_deliveries WHERE id = :id");
    row.bind(p);
    p, soci::use(key);
    soci::statement st(p);
    if (!st.execute(true)) return std::optional<WebhookDelivery>{};
    return std::optional<WebhookDelivery>{row.get()};
  });
}

Result<std::vector<WebhookDelivery>> SociWebhooks::deliveries(std::string_view webhook_id, std::string_view before_id,
                                                              int limit) {
  return guarded([&]() -> Result<std::vector<WebhookDelivery>> {
    std::vector<WebhookDelivery> out;
    DeliveryRow row;
    std::string hook(webhook_id), before(before_id);
    const std::string sql = fmt::format(
        "SELECT {} FROM webhook_deliveries WHERE webhook_id = :w AND (CAST(:b1 AS TEXT) = '' OR id < :b2) "
        "ORDER BY id DESC LIMIT {}",
        kDeliveryColumns, clamp_limit(limit));
    auto p = (s_.prepare << sql);
    row.bind(p);
    p, soci::use(hook), soci::use(before), soci::use(before);
    soci::statement st(p);
    st.execute();
    while (st.fetch()) out.push_back(row.get());
    return out;
  });
}

Result<void> SociWebhooks::update_delivery(const WebhookDelivery& d) {
  return guarded([&]() -> Result<void> {
    const std::string status(to_string(d.status));
    NullableInt code(d.response_code ? std::optional<std::int64_t>(*d.response_code) : std::nullopt);
    NullableInt next(d.next_attempt_at_ms);
    NullableText snippet(d.response_snippet), error(d.last_error), job(d.job_id);
    long long updated = d.updated_at_ms;
    s_ << "UPDATE webhook_deliveries SET status = :status, attempts = :attempts, response_code = :code, "
          "response_snippet = :snippet, last_error = :error, next_attempt_at = :next, job_id = :job, "
          "updated_at = :updated WHERE id = :id",
        soci::use(status), soci::use(d.attempts), soci::use(code.value, code.ind),
        soci::use(snippet.value, snippet.ind), soci::use(error.value, error.ind), soci::use(next.value, next.ind),
        soci::use(job.value, job.ind), soci::use(updated), soci::use(d.id);
    return {};
  });
}

}  // namespace vc::storage
