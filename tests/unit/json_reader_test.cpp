#include <doctest/doctest.h>

#include <string>

#include "api_request.hpp"
#include "json_reader.hpp"
#include "rfc3339.hpp"

using namespace vc;
using namespace vc::server;

TEST_CASE("a request body must be one JSON object") {
  for (const char* bad : {"[]", "\"x\"", "42", "null", "{", "{\"a\":1,}", "{} {}", "\xff"}) {
    auto r = JsonBody::parse(bad);
    REQUIRE_MESSAGE(!r, bad);
    CHECK(r.error().code == ErrorCode::invalid);
    CHECK(r.error().message.rfind("request body must be a JSON object", 0) == 0);
  }
  CHECK(JsonBody::parse("{}"));
  CHECK(JsonBody::parse(" {\"a\": 1} \n"));
}

TEST_CASE("an empty body is an empty object only where the route allows it") {
  CHECK(!JsonBody::parse(""));
  CHECK(!JsonBody::parse("  \r\n"));
  auto r = JsonBody::parse("", /*allow_empty=*/true);
  REQUIRE(r);
  CHECK(r->kind("anything") == JsonBody::Kind::absent);
}

TEST_CASE("deep nesting is parsed without recursion") {
  std::string deep(200000, '[');
  auto r = JsonBody::parse("{\"a\":" + deep + "}");
  CHECK(!r);  // unbalanced, but it must return rather than overflow the stack
}

TEST_CASE("typed getters name the field and the expected type") {
  auto body = JsonBody::parse(R"({"username":7,"name":"tv","n":5,"f":1.5,"big":18446744073709551615,"b":true,
                                  "z":null,"list":["read","write"],"mixed":["read",1]})");
  REQUIRE(body);
  auto u = body->string("username");
  REQUIRE(!u);
  CHECK(u.error().message == "field 'username' must be a string");
  CHECK(*body->string("name") == "tv");
  CHECK(body->string("missing").error().message == "field 'missing' is required");
  CHECK(*body->integer("n") == 5);
  CHECK(body->integer("f").error().message == "field 'f' must be an integer");
  CHECK(!body->integer("big"));
  CHECK(*body->boolean("b"));
  CHECK(!body->boolean("n"));
  CHECK(!body->string("z"));
  CHECK(!*body->opt_string("missing"));
  CHECK(!body->opt_string("z"));  // null is not "absent" for plain optional fields
  auto list = body->opt_string_array("list");
  REQUIRE(list);
  REQUIRE(*list);
  CHECK(**list == std::vector<std::string>{"read", "write"});
  CHECK(body->opt_string_array("mixed").error().message == "field 'mixed' must be an array of strings");
  CHECK(body->kind("f") == JsonBody::Kind::number);
  CHECK(body->kind("n") == JsonBody::Kind::integer);
}

TEST_CASE("nullable integers tell unchanged, reset and a value apart") {
  auto body = JsonBody::parse(R"({"max_users":null,"max_devices":10,"max_storage_bytes":"x"})");
  REQUIRE(body);
  auto unchanged = body->nullable_integer("absent");
  REQUIRE(unchanged);
  CHECK(!unchanged->has_value());
  auto reset = body->nullable_integer("max_users");
  REQUIRE(reset);
  REQUIRE(reset->has_value());
  CHECK(!reset->value().has_value());
  auto set = body->nullable_integer("max_devices");
  REQUIRE(set);
  CHECK(set->value() == 10);
  CHECK(body->nullable_integer("max_storage_bytes").error().message == "field 'max_storage_bytes' must be an integer or null");
}

TEST_CASE("RFC 3339 times parse to epoch milliseconds") {
  CHECK(parse_rfc3339("1970-01-01T00:00:00Z") == 0);
  CHECK(parse_rfc3339("2023-11-14T22:13:20Z") == 1'700'000'000'000);
  CHECK(parse_rfc3339("2023-11-14T22:13:20.5Z") == 1'700'000'000'500);
  CHECK(parse_rfc3339("2023-11-14T22:13:20.123456Z") == 1'700'000'000'123);
  CHECK(parse_rfc3339("2023-11-15T00:13:20+02:00") == 1'700'000'000'000);
  CHECK(parse_rfc3339("2023-11-14t20:13:20-02:00") == 1'700'000'000'000);
  CHECK(parse_rfc3339("2024-02-29T00:00:00Z").has_value());
  for (const char* bad : {"", "2023-11-14", "2023-11-14T22:13:20", "2023-02-29T00:00:00Z", "2023-13-01T00:00:00Z",
                          "2023-11-14T24:00:00Z", "2023-11-14T22:13:20.Z", "2023-11-14T22:13:20Zjunk", "1700000000000"})
    CHECK_MESSAGE(!parse_rfc3339(bad), bad);
}

TEST_CASE("paging parameters are checked") {
  Request req;
  auto page = page_request(req);
  REQUIRE(page);
  CHECK(page->limit == 50);
  CHECK(page->cursor.empty());
  req.query = "limit=200&cursor=abc%3D";
  page = page_request(req);
  REQUIRE(page);
  CHECK(page->limit == 200);
  CHECK(page->cursor == "abc=");
  for (const char* bad : {"limit=0", "limit=201", "limit=x", "limit=", "limit=5x", "limit=-1"}) {
    req.query = bad;
    auto r = page_request(req);
    REQUIRE_MESSAGE(!r, bad);
    CHECK(r.error().message.find("'limit'") != std::string::npos);
  }
}
