// Webhooks: the signature (known answer), the SSRF address classes and allow-list, URL parsing, the
// back-off schedule, claims by job kind, and the service (registration, fan-out, log, redelivery,
// tenancy) on the storage under test.
#include <doctest/doctest.h>

#include "services_world.hpp"
#include "test_support.hpp"
#include "videocontrol/events.hpp"
#include "videocontrol/jobs.hpp"
#include "videocontrol/pipeline.hpp"
#include "videocontrol/webhooks.hpp"

using namespace vc;

namespace {
WebhookInput hook_input(std::string url, std::vector<std::string> events, bool enabled = true) {
  WebhookInput in;
  in.url = std::move(url);
  in.events = std::move(events);
  in.enabled = enabled;
  return in;
}
}  // namespace

TEST_CASE("webhook_signature matches an HMAC-SHA256 computed independently") {
  // python3 -c "import hmac,hashlib; print(hmac.new(b'whsec_test', b'1700000000.' +
  //   b'{\"id\":\"d1\",\"event\":\"ping\"}', hashlib.sha256).hexdigest())"
  CHECK(webhook_signature("whsec_test", "1700000000", R"({"id":"d1","event":"ping"})") ==
        "sha256=19b0d0aa8ba27ac2a6073c73ab1d106c524a2e2d14ec6d0d13df697c67177012");
  CHECK(webhook_signature("whsec_tesT", "1700000000", R"({"id":"d1","event":"ping"})") !=
        webhook_signature("whsec_test", "1700000000", R"({"id":"d1","event":"ping"})"));
  CHECK(webhook_signature("whsec_test", "1700000001", R"({"id":"d1","event":"ping"})") !=
        webhook_signature("whsec_test", "1700000000", R"({"id":"d1","event":"ping"})"));
}

TEST_CASE("addresses webhooks may not reach are classified") {
  struct Row {
    const char* ip;
    const char* why;
  };
  const Row rows[] = {
      {"127.0.0.1", "loopback"},          {"127.255.1.2", "loopback"},      {"10.0.0.1", "private"},
      {"172.16.0.1", "private"},          {"172.31.255.255", "private"},    {"172.32.0.1", ""},
      {"192.168.1.1", "private"},         {"100.64.0.1", "cgnat"},          {"100.127.255.255", "cgnat"},
      {"100.128.0.1", ""},                {"169.254.169.254", "link-local"}, {"0.0.0.0", "unspecified"},
      {"224.0.0.1", "multicast"},         {"255.255.255.255", "reserved"},  {"192.0.2.5", "reserved"},
      {"198.18.0.1", "reserved"},         {"8.8.8.8", ""},                  {"93.184.216.34", ""},
      {"::1", "loopback"},                {"::", "unspecified"},            {"fe80::1", "link-local"},
      {"fc00::1", "unique-local"},        {"fd12:3456::1", "unique-local"}, {"ff02::1", "multicast"},
      {"::ffff:127.0.0.1", "loopback"},   {"::ffff:10.1.2.3", "private"},   {"::ffff:8.8.8.8", ""},
      {"64:ff9b::a9fe:a9fe", "link-local"}, {"2002:7f00:1::", "loopback"}, {"2001:db8::1", "reserved"},
      {"2001:4860:4860::8888", ""},       {"not-an-ip", "invalid"},         {"1.2.3", "invalid"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.ip);
    CHECK(classify_address(r.ip) == r.why);
  }
}

TEST_CASE("the allow-list names hosts, addresses and CIDRs") {
  auto allow = HostAllowList::parse_text("hooks.internal, 10.1.0.0/16 ::1/128,127.0.0.1");
  REQUIRE(allow.ok());
  CHECK(allow->allows("HOOKS.internal", "10.9.9.9"));
  CHECK(allow->allows("x", "10.1.200.3"));
  CHECK_FALSE(allow->allows("x", "10.2.0.1"));
  CHECK(allow->allows("x", "::1"));
  CHECK(allow->allows("x", "127.0.0.1"));
  CHECK_FALSE(allow->allows("x", "127.0.0.2"));
  CHECK_FALSE(allow->allows("other.internal", "192.168.0.1"));
  CHECK_FALSE(HostAllowList::parse_text("10.0.0.0/33").ok());
  CHECK_FALSE(HostAllowList::parse_text("name/8").ok());
  CHECK(HostAllowList::parse_text("").ok());

  HostAllowList none;
  WebhookUrl url{"http", "127.0.0.1", 80, "/"};
  auto refused = resolve_webhook_host(url, none);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == ErrorCode::invalid);
  CHECK(resolve_webhook_host(url, *allow).value() == "127.0.0.1");
  WebhookUrl named{"http", "localhost", 80, "/"};
  CHECK_FALSE(resolve_webhook_host(named, none).ok());
  WebhookUrl pub{"http", "93.184.216.34", 80, "/"};
  CHECK(resolve_webhook_host(pub, none).value() == "93.184.216.34");
}

TEST_CASE("webhook URLs are parsed strictly") {
  auto u = parse_webhook_url("HTTPS://Hooks.Example.com:8443/in?x=1");
  REQUIRE(u.ok());
  CHECK(u->scheme == "https");
  CHECK(u->host == "hooks.example.com");
  CHECK(u->port == 8443);
  CHECK(u->target == "/in?x=1");
  auto v6 = parse_webhook_url("http://[2001:db8::1]/");
  REQUIRE(v6.ok());
  CHECK(v6->host == "2001:db8::1");
  CHECK(v6->port == 80);
  CHECK(parse_webhook_url("http://example.com").value().target == "/");
  for (const char* bad : {"ftp://example.com/", "example.com", "http://", "http://user:pw@example.com/",
                          "http://example.com:0/", "http://example.com:99999/", "http://example.com/#frag",
                          "http://exa mple.com/", "http://[::1/", "http://ex%41mple.com/", "http://example.com:/"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_webhook_url(bad).ok());
  }
}

TEST_CASE("the back-off doubles per failed attempt up to the cap") {
  WebhookOptions o;
  o.backoff_base = std::chrono::seconds(30);
  o.backoff_max = std::chrono::minutes(10);
  const std::int64_t expected[] = {30, 60, 120, 240, 480, 600, 600, 600};
  for (int n = 1; n <= 8; ++n) {
    CAPTURE(n);
    CHECK(webhook_backoff(n, o) == std::chrono::seconds(expected[n - 1]));
  }
  CHECK(webhook_backoff(1000, o) == std::chrono::minutes(10));
}

TEST_CASE("a claim by kind takes only jobs of that kind") {
  test::TempDir dir;
  auto storage = test::migrated_storage(dir.file("kinds.db"), 2);
  auto clock = std::make_shared<ManualClock>();
  JobQueue queue(*storage, clock);
  REQUIRE(queue.enqueue("", Webhooks::kJobKind, "{}").ok());
  clock->advance(std::chrono::milliseconds(5));
  REQUIRE(queue.enqueue("", ContentPipeline::kJobKind, "{}").ok());
  auto media = queue.claim("pipeline", std::chrono::minutes(1), ContentPipeline::kJobKind);
  REQUIRE(media.ok());
  REQUIRE(media->has_value());
  CHECK((*media)->kind == ContentPipeline::kJobKind);
  CHECK_FALSE(queue.claim("pipeline", std::chrono::minutes(1), ContentPipeline::kJobKind)->has_value());
  auto hook = queue.claim("webhooks", std::chrono::minutes(1), Webhooks::kJobKind);
  REQUIRE(hook->has_value());
  CHECK((*hook)->kind == Webhooks::kJobKind);
}

TEST_CASE("webhooks: registration, fan-out to matching webhooks, the log, redelivery and tenancy") {
  test::World w;
  auto a = w.org("wh-a");
  auto b = w.org("wh-b");
  Actor admin_a = w.user_in(a, "wh-admin-a", "admin");
  Actor admin_b = w.user_in(b, "wh-admin-b", "admin");
  Actor operator_a = w.user_in(a, "wh-op-a", "operator");
  Webhooks& hooks = w.svc->webhooks();

  // An internal address is refused without the allow-list; a public one is fine (no request is made).
  auto internal = hooks.create(admin_a, hook_input("http://127.0.0.1:9/", {"device.online"}));
  REQUIRE_FALSE(internal.ok());
  CHECK(internal.error().code == ErrorCode::invalid);
  CHECK(hooks.create(operator_a, hook_input("http://93.184.216.34/", {"device.online"})).error().code == ErrorCode::forbidden);
  CHECK(hooks.create(admin_a, hook_input("http://93.184.216.34/", {"player.status"})).error().code == ErrorCode::invalid);

  auto online = hooks.create(admin_a, hook_input("http://93.184.216.34/a", {"device.online", "device.online"}));
  REQUIRE(online.ok());
  CHECK(online->webhook.events == std::vector<std::string>{"device.online"});
  CHECK(online->secret.rfind("whsec_", 0) == 0);
  auto other = hooks.create(admin_a, hook_input("http://93.184.216.34/b", {"media.ready"}));
  REQUIRE(other.ok());
  auto off = hooks.create(admin_a, hook_input("http://93.184.216.34/c", {"device.online"}, false));
  REQUIRE(off.ok());
  auto in_b = hooks.create(admin_b, hook_input("http://93.184.216.34/d", {"device.online"}));
  REQUIRE(in_b.ok());

  DomainEvent e;
  e.kind = EventKind::device_online;
  e.organization_id = a.id;
  e.device_id = "lobby";
  auto n = hooks.fan_out(e);
  REQUIRE(n.ok());
  CHECK(*n == 1);  // not the media.ready one, not the disabled one, not organisation B's
  e.kind = EventKind::player_status;
  CHECK(hooks.fan_out(e).value() == 0);

  auto log = hooks.deliveries(admin_a, online->webhook.id, {});
  REQUIRE(log.ok());
  REQUIRE(log->items.size() == 1);
  const auto& d = log->items[0];
  CHECK(d.event == "device.online");
  CHECK(d.status == DeliveryStatus::pending);
  CHECK(d.payload_json.find("\"id\":\"" + d.id + "\"") != std::string::npos);
  CHECK(d.payload_json.find("\"device_id\":\"lobby\"") != std::string::npos);
  JobQueue queue(*w.storage, w.clock);
  auto job = queue.get(d.job_id);
  REQUIRE(job.ok());
  REQUIRE(job->has_value());
  CHECK((*job)->kind == Webhooks::kJobKind);
  CHECK((*job)->payload_json.find(d.id) != std::string::npos);
  // Pending: not yet redeliverable.
  CHECK(hooks.redeliver(admin_a, online->webhook.id, d.id).error().code == ErrorCode::conflict);

  // Tenancy: another organisation's webhook is not found.
  CHECK(hooks.get(admin_b, online->webhook.id).error().code == ErrorCode::not_found);
  CHECK(hooks.deliveries(admin_b, online->webhook.id, {}).error().code == ErrorCode::not_found);
  CHECK(hooks.redeliver(admin_b, online->webhook.id, d.id).error().code == ErrorCode::not_found);
  CHECK(hooks.remove(admin_b, online->webhook.id).error().code == ErrorCode::not_found);
  CHECK(hooks.list(admin_b, {}).value().items.size() == 1);
  CHECK(hooks.list(admin_a, {}).value().items.size() == 3);

  auto ping = hooks.test(admin_a, off->webhook.id);  // even to a disabled webhook
  REQUIRE(ping.ok());
  CHECK(ping->event == "ping");

  auto rotated = hooks.rotate_secret(admin_a, online->webhook.id);
  REQUIRE(rotated.ok());
  CHECK(rotated->secret != online->secret);
  CHECK(hooks.get(admin_a, online->webhook.id).value().secret == rotated->secret);

  REQUIRE(hooks.remove(admin_a, online->webhook.id).ok());
  CHECK(hooks.get(admin_a, online->webhook.id).error().code == ErrorCode::not_found);
}

TEST_CASE("user and API key changes are domain events") {
  test::World w;
  auto a = w.org("ev-a");
  Actor admin = w.user_in(a, "ev-admin", "admin");
  std::vector<DomainEvent> seen;
  std::mutex mu;
  auto sub = w.svc->events().observe_local([&](const DomainEvent& e) {
    std::lock_guard lock(mu);
    seen.push_back(e);
  });
  auto u = w.svc->users().create(admin, {"ev-viewer", "Password-ev-viewer-1", "viewer", ""});
  REQUIRE(u.ok());
  auto k = w.svc->api_keys().create(admin, {"ci", {"read"}, std::nullopt, ""});
  REQUIRE(k.ok());
  REQUIRE(w.svc->api_keys().revoke(admin, k->key.id).ok());
  w.svc->events().unobserve_local(sub);
  std::lock_guard lock(mu);
  REQUIRE(seen.size() == 3);
  CHECK(seen[0].kind == EventKind::user_changed);
  CHECK(seen[0].media_id == u->id);
  CHECK(seen[0].name == "created");
  CHECK(seen[1].kind == EventKind::api_key_changed);
  CHECK(seen[2].name == "revoked");
  CHECK(seen[2].organization_id == a.id);
}
