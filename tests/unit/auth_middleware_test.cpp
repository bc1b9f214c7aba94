#include <doctest/doctest.h>

#include "auth_middleware.hpp"

using namespace vc;
using namespace vc::server;

namespace {
Request from(std::string peer, std::vector<std::pair<std::string, std::string>> headers = {}) {
  Request r;
  r.remote_address = std::move(peer);
  r.headers = std::move(headers);
  return r;
}
}  // namespace

TEST_CASE("X-Forwarded-For is ignored unless the peer is a trusted proxy") {
  auto req = from("203.0.113.9", {{"x-forwarded-for", "198.51.100.1"}});
  CHECK(client_address(req, {}) == "203.0.113.9");
  CHECK(client_address(req, {"10.0.0.1"}) == "203.0.113.9");
}

TEST_CASE("behind trusted proxies the right-most untrusted address is the client") {
  const std::vector<std::string> proxies{"10.0.0.1", "10.0.0.2"};
  // The client wrote "6.6.6.6" itself; the first proxy appended what it saw, the second proxy is the peer.
  auto req = from("10.0.0.2", {{"x-forwarded-for", "6.6.6.6, 198.51.100.7, 10.0.0.1"}});
  CHECK(client_address(req, proxies) == "198.51.100.7");
  // Several header lines form one list, in order.
  req = from("10.0.0.1", {{"x-forwarded-for", "6.6.6.6"}, {"x-forwarded-for", "198.51.100.8"}});
  CHECK(client_address(req, proxies) == "198.51.100.8");
  // No header: the proxy itself.
  CHECK(client_address(from("10.0.0.1"), proxies) == "10.0.0.1");
  // Garbage where an address should be: stop at the last address a trusted hop vouched for.
  req = from("10.0.0.1", {{"x-forwarded-for", "198.51.100.1, not-an-ip"}});
  CHECK(client_address(req, proxies) == "10.0.0.1");
  // Ports and IPv4-mapped peers are normalised.
  req = from("::ffff:10.0.0.1", {{"x-forwarded-for", "198.51.100.9:5555"}});
  CHECK(client_address(req, proxies) == "198.51.100.9");
  req = from("10.0.0.1", {{"x-forwarded-for", "[2001:db8::1]:443"}});
  CHECK(client_address(req, proxies) == "2001:db8::1");
}

TEST_CASE("the credential comes from a bearer token or X-API-Key") {
  CHECK(credential(from("1.1.1.1", {{"authorization", "Bearer abc.def"}})) == "abc.def");
  CHECK(credential(from("1.1.1.1", {{"authorization", "bearer   tok  "}})) == "tok");
  CHECK(credential(from("1.1.1.1", {{"x-api-key", "vck_123"}})) == "vck_123");
  CHECK(credential(from("1.1.1.1", {{"authorization", "Basic Zm9vOmJhcg=="}})).empty());
  CHECK(credential(from("1.1.1.1", {{"authorization", "Bearer "}})).empty());
  CHECK(credential(from("1.1.1.1")).empty());
}

TEST_CASE("401 answers carry WWW-Authenticate and 429 answers Retry-After") {
  auto r = api_error(make_error(ErrorCode::unauthenticated, "no"));
  CHECK(r.status == 401);
  CHECK(r.headers == std::vector<std::pair<std::string, std::string>>{{"WWW-Authenticate", "Bearer"}});
  Error limited{ErrorCode::rate_limited, "slow down", 42};
  r = api_error(limited);
  CHECK(r.status == 429);
  CHECK(r.headers == std::vector<std::pair<std::string, std::string>>{{"Retry-After", "42"}});
  limited.retry_after_s = 0;
  CHECK(api_error(limited).headers.at(0).second == "1");
  CHECK(api_error(make_error(ErrorCode::quota, "full")).status == 403);
}
