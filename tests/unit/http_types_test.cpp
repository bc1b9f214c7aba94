#include <doctest/doctest.h>

#include "http_types.hpp"

using namespace vc;
using namespace vc::server;

TEST_CASE("each error code maps to exactly one HTTP status") {
  CHECK(http_status(ErrorCode::invalid) == 400);
  CHECK(http_status(ErrorCode::unauthenticated) == 401);
  CHECK(http_status(ErrorCode::forbidden) == 403);
  CHECK(http_status(ErrorCode::not_found) == 404);
  CHECK(http_status(ErrorCode::conflict) == 409);
  CHECK(http_status(ErrorCode::too_large) == 413);
  CHECK(http_status(ErrorCode::unsupported) == 415);
  CHECK(http_status(ErrorCode::quota) == 403);
  CHECK(http_status(ErrorCode::rate_limited) == 429);
  CHECK(http_status(ErrorCode::unavailable) == 503);
  CHECK(http_status(ErrorCode::internal) == 500);
}

TEST_CASE("error responses are JSON with code and escaped message") {
  auto r = Response::error(Error{ErrorCode::not_found, "no \"tv\" here"});
  CHECK(r.status == 404);
  CHECK(r.content_type == "application/json");
  CHECK(r.body == R"({"error":{"code":"not_found","message":"no \"tv\" here"}})");
}

TEST_CASE("headers are found case-insensitively and query parameters decoded") {
  Request req;
  req.headers = {{"content-type", "application/json"}, {"x-api-key", "k"}};
  req.query = "a=1&name=lobby%20tv&flag&plus=a+b&bad=%zz";
  CHECK(req.header("Content-Type") == "application/json");
  CHECK(req.header("missing").empty());
  CHECK(req.query_param("a") == "1");
  CHECK(req.query_param("name") == "lobby tv");
  CHECK(req.query_param("flag") == "");
  CHECK(req.query_param("plus") == "a b");
  CHECK_FALSE(req.query_param("bad").has_value());
  CHECK_FALSE(req.query_param("nope").has_value());
}

TEST_CASE("percent decoding refuses truncated escapes") {
  CHECK(percent_decode("a%20b") == "a b");
  CHECK_FALSE(percent_decode("a%2").has_value());
  CHECK_FALSE(percent_decode("%").has_value());
  CHECK(percent_decode("%00") == std::string(1, '\0'));
}
