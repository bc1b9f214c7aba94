// libFuzzer target for the HTTP routing layer: vc::server::Router::match, vc::server::percent_decode
// and vc::server::Request::query_param (apps/server/router.*, apps/server/http_types.*).
//
// Input layout: fields separated by '\n':
//   METHOD \n PATH \n QUERY \n NAME
// Missing fields are empty. If PATH contains '?', the part after it is used as the query instead
// (like a request target). NAME is an extra query parameter name to look up.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "http_types.hpp"
#include "router.hpp"

#include "fuzz_check.hpp"

namespace {

using vc::server::Request;
using vc::server::Response;
using vc::server::RouteMatch;
using vc::server::Router;

const Router& router() {
  static const Router r = [] {
    Router rt;
    auto h = [](Request&) { return Response{}; };
    rt.add("GET", "/healthz", h);
    rt.add("GET", "/api/v1/devices", h);
    rt.add("GET", "/api/v1/devices/{device_id}/media", h);
    rt.add("POST", "/api/v1/devices/{device_id}/media", h);
    rt.add("GET", "/media/{id}", h);
    rt.add("DELETE", "/media/{id}", h);
    rt.add("POST", "/media/upload", h);
    rt.add("GET", "/content/{device}/{file*}", h);
    return rt;
  }();
  return r;
}

std::vector<std::string_view> split(std::string_view in, char sep, std::size_t max_fields) {
  std::vector<std::string_view> out;
  while (out.size() + 1 < max_fields) {
    auto p = in.find(sep);
    if (p == std::string_view::npos) break;
    out.push_back(in.substr(0, p));
    in.remove_prefix(p + 1);
  }
  out.push_back(in);
  while (out.size() < max_fields) out.emplace_back();
  return out;
}

// Parameter names declared by a pattern segment list ("{id}" -> "id", "{file*}" -> "file").
std::vector<std::string> param_names(const vc::server::Route& r) {
  std::vector<std::string> names;
  for (const auto& s : r.segments) {
    if (s.size() > 2 && s.front() == '{' && s.back() == '}') {
      std::string n = s.substr(1, s.size() - 2);
      if (!n.empty() && n.back() == '*') n.pop_back();
      names.push_back(std::move(n));
    }
  }
  return names;
}

void check_percent_decode(std::string_view in) {
  auto d = vc::server::percent_decode(in);
  if (!d) {
    FUZZ_CHECK(in.find('%') != std::string_view::npos);  // only a bad escape can fail
    return;
  }
  FUZZ_CHECK(d->size() <= in.size());
  if (in.find('%') == std::string_view::npos) FUZZ_CHECK(*d == in);
  // Round trip: escaping every byte and decoding again gives the same bytes back.
  static const char kHex[] = "0123456789ABCDEF";
  std::string enc;
  enc.reserve(d->size() * 3);
  for (unsigned char c : *d) {
    enc.push_back('%');
    enc.push_back(kHex[c >> 4]);
    enc.push_back(kHex[c & 15]);
  }
  auto again = vc::server::percent_decode(enc);
  FUZZ_CHECK(again && *again == *d);
}

void check_match(std::string_view method, std::string_view path) {
  const RouteMatch m = router().match(method, path);
  switch (m.kind) {
    case RouteMatch::Kind::found: {
      FUZZ_CHECK(m.route != nullptr);
      FUZZ_CHECK(m.route->method == method || (method == "HEAD" && m.route->method == "GET"));
      const auto names = param_names(*m.route);
      FUZZ_CHECK(m.params.size() == names.size());
      for (const auto& n : names) FUZZ_CHECK(m.params.count(n) == 1);
      for (const auto& [k, v] : m.params) FUZZ_CHECK(!v.empty());
      // A pattern without parameters only matches its own text.
      if (names.empty()) FUZZ_CHECK(path == m.route->pattern);
      // Literal segments beat parameters.
      if (path == "/media/upload" && method == "POST") FUZZ_CHECK(m.route->pattern == "/media/upload");
      break;
    }
    case RouteMatch::Kind::method_not_allowed:
      FUZZ_CHECK(m.route == nullptr);
      FUZZ_CHECK(m.params.empty());
      FUZZ_CHECK(!m.allowed.empty());
      for (const auto& a : m.allowed) FUZZ_CHECK(a != method);
      break;
    case RouteMatch::Kind::not_found:
      FUZZ_CHECK(m.route == nullptr);
      FUZZ_CHECK(m.params.empty());
      FUZZ_CHECK(m.allowed.empty());
      break;
  }
  // Matching is a pure function of (method, path).
  const RouteMatch again = router().match(method, path);
  FUZZ_CHECK(again.kind == m.kind && again.route == m.route && again.params == m.params && again.allowed == m.allowed);
}

void check_query(std::string_view query, std::string_view extra_name) {
  Request req;
  req.query = std::string(query);
  for (std::string_view name : {std::string_view("limit"), std::string_view("q"), std::string_view(""),
                                std::string_view("device_id"), extra_name}) {
    auto v = req.query_param(name);
    if (v) FUZZ_CHECK(v->size() <= query.size());
    if (query.empty()) FUZZ_CHECK(!v);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto f = split(in, '\n', 4);
  const std::string_view method = f[0];
  std::string_view path = f[1];
  std::string_view query = f[2];
  if (auto q = path.find('?'); q != std::string_view::npos) {
    query = path.substr(q + 1);
    path = path.substr(0, q);
  }

  check_match(method, path);
  check_match("HEAD", path);
  check_percent_decode(path);
  check_percent_decode(query);
  check_percent_decode(f[3]);
  check_query(query, f[3]);
  return 0;
}
