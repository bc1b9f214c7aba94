#include <doctest/doctest.h>

#include "router.hpp"

using namespace vc::server;

namespace {
Handler named(std::string name) {
  return [name](Request&) { return Response::json(200, name); };
}
std::string run(const RouteMatch& m) {
  Request r;
  return m.route->handler(r).body;
}
}  // namespace

TEST_CASE("literal routes match exactly") {
  Router r;
  r.add("GET", "/healthz", named("health"));
  auto m = r.match("GET", "/healthz");
  REQUIRE(m.kind == RouteMatch::Kind::found);
  CHECK(run(m) == "health");
  CHECK(r.match("GET", "/healthz/").kind == RouteMatch::Kind::not_found);
  CHECK(r.match("GET", "/health").kind == RouteMatch::Kind::not_found);
  CHECK(r.match("GET", "/").kind == RouteMatch::Kind::not_found);
  CHECK(r.match("GET", "").kind == RouteMatch::Kind::not_found);
}

TEST_CASE("parameters capture one percent-decoded segment") {
  Router r;
  r.add("GET", "/api/v1/devices/{device_id}/media", named("media"));
  auto m = r.match("GET", "/api/v1/devices/lobby%20tv/media");
  REQUIRE(m.kind == RouteMatch::Kind::found);
  CHECK(m.params.at("device_id") == "lobby tv");
  CHECK(r.match("GET", "/api/v1/devices//media").kind == RouteMatch::Kind::not_found);
  CHECK(r.match("GET", "/api/v1/devices/a/b/media").kind == RouteMatch::Kind::not_found);
  CHECK(r.match("GET", "/api/v1/devices/bad%zzescape/media").kind == RouteMatch::Kind::not_found);
  auto slash = r.match("GET", "/api/v1/devices/a%2Fb/media");
  REQUIRE(slash.kind == RouteMatch::Kind::found);
  CHECK(slash.params.at("device_id") == "a/b");  // an encoded slash stays inside its segment
}

TEST_CASE("literal segments win over parameters regardless of order") {
  Router r;
  r.add("GET", "/media/{id}", named("by-id"));
  r.add("GET", "/media/upload", named("upload"));
  CHECK(run(r.match("GET", "/media/upload")) == "upload");
  CHECK(run(r.match("GET", "/media/42")) == "by-id");
}

TEST_CASE("a rest parameter takes the remaining path") {
  Router r;
  r.add("GET", "/content/{device}/{file*}", named("content"));
  auto m = r.match("GET", "/content/tv1/folder/pic%201.png");
  REQUIRE(m.kind == RouteMatch::Kind::found);
  CHECK(m.params.at("device") == "tv1");
  CHECK(m.params.at("file") == "folder/pic 1.png");
  CHECK(r.match("GET", "/content/tv1").kind == RouteMatch::Kind::not_found);
  CHECK(r.match("GET", "/content/tv1/a//b").kind == RouteMatch::Kind::not_found);
}

TEST_CASE("a known path with another method is 405 with the allowed methods") {
  Router r;
  r.add("GET", "/items", named("list"));
  r.add("POST", "/items", named("create"));
  auto m = r.match("DELETE", "/items");
  CHECK(m.kind == RouteMatch::Kind::method_not_allowed);
  CHECK(m.allowed == std::vector<std::string>{"GET", "POST", "HEAD"});
  CHECK(run(r.match("POST", "/items")) == "create");
}

TEST_CASE("HEAD falls back to the GET route") {
  Router r;
  r.add("GET", "/file", named("get"));
  auto m = r.match("HEAD", "/file");
  REQUIRE(m.kind == RouteMatch::Kind::found);
  CHECK(run(m) == "get");
}

TEST_CASE("duplicate and malformed routes are programming errors") {
  Router r;
  r.add("GET", "/x", named("x"));
  CHECK_THROWS(r.add("GET", "/x", named("y")));
  CHECK_THROWS(r.add("GET", "x", named("y")));
  CHECK_NOTHROW(r.add("POST", "/x", named("y")));
}

TEST_CASE("route options carry per-route body limits") {
  Router r;
  r.add("POST", "/upload", named("u"), RouteOptions{.max_body_bytes = 5ull << 30});
  auto m = r.match("POST", "/upload");
  REQUIRE(m.kind == RouteMatch::Kind::found);
  CHECK(m.route->options.max_body_bytes == (5ull << 30));
}
