#include <doctest/doctest.h>

#include <set>

#include "videocontrol/actor.hpp"
#include "videocontrol/clock.hpp"
#include "videocontrol/id.hpp"
#include "videocontrol/log.hpp"

using namespace vc;

TEST_CASE("ids are UUIDv7 strings that sort by creation time") {
  ManualClock clock(1'700'000'000'000);
  auto first = new_id(clock);
  clock.advance(std::chrono::milliseconds(1));
  auto second = new_id(clock);
  CHECK(first.size() == 36);
  CHECK(first[14] == '7');
  CHECK(first < second);
  std::set<std::string> many;
  for (int i = 0; i < 1000; ++i) many.insert(new_id(clock));
  CHECK(many.size() == 1000);
}

TEST_CASE("random secrets have the asked length and alphabet") {
  auto s = random_secret(32);
  CHECK(s.size() == 32);
  for (char c : s) CHECK(std::isalnum(static_cast<unsigned char>(c)));
  CHECK(random_secret(32) != s);
}

TEST_CASE("the manual clock moves only when told") {
  ManualClock clock(1000);
  CHECK(clock.now_ms() == 1000);
  clock.advance(std::chrono::seconds(2));
  CHECK(clock.now_ms() == 3000);
  CHECK(system_clock()->now_ms() > 1'700'000'000'000);
}

TEST_CASE("timestamps are RFC 3339 UTC with milliseconds") {
  CHECK(format_rfc3339(0) == "1970-01-01T00:00:00.000Z");
  CHECK(format_rfc3339(1'764'370'500'123) == "2025-11-28T22:55:00.123Z");
}

TEST_CASE("log lines carry the message and fields, as text or JSON") {
  auto text = format_log_line(LogFormat::text, 0, LogLevel::info, "http request",
                              {{"method", "GET"}, {"status", 200}, {"path", "/a b"}});
  CHECK(text == "1970-01-01T00:00:00.000Z INFO  http request method=GET status=200 path=\"/a b\"\n");
  auto json = format_log_line(LogFormat::json, 0, LogLevel::warn, "say \"hi\"", {{"n", 3}, {"s", "x\ny"}});
  CHECK(json == "{\"ts\":\"1970-01-01T00:00:00.000Z\",\"level\":\"warn\",\"msg\":\"say \\\"hi\\\"\",\"n\":3,\"s\":\"x\\ny\"}\n");
}

TEST_CASE("log levels parse from their names") {
  CHECK(parse_log_level("debug") == LogLevel::debug);
  CHECK(parse_log_level("warning") == LogLevel::warn);
  CHECK_FALSE(parse_log_level("loud").has_value());
}

TEST_CASE("roles are ordered and the system actor may do anything") {
  CHECK(Role::viewer < Role::speaker);
  CHECK(Role::operator_ < Role::admin);
  CHECK(parse_role("operator") == Role::operator_);
  CHECK(to_string(Role::operator_) == "operator");
  CHECK_FALSE(parse_role("root").has_value());
  Actor viewer;
  viewer.id = "u1";
  viewer.organization_id = "o1";
  viewer.role = Role::viewer;
  CHECK(viewer.at_least(Role::viewer));
  CHECK_FALSE(viewer.at_least(Role::speaker));
  CHECK(Actor::system().at_least(Role::superadmin));
}
