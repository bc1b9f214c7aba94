// docs/openapi.json and the router must describe the same routes: a route added without its
// description (or a description left behind by a removed route) fails here.
#include <doctest/doctest.h>

#include <rapidjson/document.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <utility>

#include "openapi_document.hpp"
#include "router.hpp"
#include "server_context.hpp"

using namespace vc::server;

namespace {

using RouteSet = std::set<std::pair<std::string, std::string>>;  // (METHOD, path pattern)

std::string read_file(const char* path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot read " << path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

RouteSet router_routes() {
  // No storage, no services: registering routes must not touch them.
  ServerContext ctx;
  Router router;
  register_routes(router, ctx);
  RouteSet out;
  for (const auto& r : router.routes())
    if (r.method != "HEAD") out.emplace(r.method, r.pattern);
  return out;
}

RouteSet document_routes(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  REQUIRE_MESSAGE(!doc.HasParseError(), "docs/openapi.json is not valid JSON (offset " << doc.GetErrorOffset() << ")");
  REQUIRE(doc.IsObject());
  REQUIRE(doc.HasMember("paths"));
  RouteSet out;
  static const std::set<std::string> kMethods = {"get", "put", "post", "delete", "options", "patch", "trace"};
  for (const auto& path : doc["paths"].GetObject()) {
    REQUIRE(path.value.IsObject());
    for (const auto& m : path.value.GetObject()) {
      std::string method = m.name.GetString();
      if (!kMethods.count(method)) continue;  // "parameters", "summary", …
      std::transform(method.begin(), method.end(), method.begin(), [](unsigned char c) { return std::toupper(c); });
      out.emplace(method, path.name.GetString());
    }
  }
  return out;
}

std::string describe(const RouteSet& s) {
  std::string out;
  for (const auto& [m, p] : s) out += "\n  " + m + " " + p;
  return out;
}

}  // namespace

TEST_CASE("every route of the router is in docs/openapi.json and every documented route exists") {
  const RouteSet in_router = router_routes();
  const RouteSet in_doc = document_routes(read_file(VC_OPENAPI_PATH));
  REQUIRE(!in_router.empty());

  RouteSet undocumented, unrouted;
  std::set_difference(in_router.begin(), in_router.end(), in_doc.begin(), in_doc.end(),
                      std::inserter(undocumented, undocumented.end()));
  std::set_difference(in_doc.begin(), in_doc.end(), in_router.begin(), in_router.end(),
                      std::inserter(unrouted, unrouted.end()));
  CHECK_MESSAGE(undocumented.empty(), "routes missing from docs/openapi.json:" << describe(undocumented));
  CHECK_MESSAGE(unrouted.empty(), "documented in docs/openapi.json but not routed:" << describe(unrouted));
}

TEST_CASE("the served OpenAPI document is docs/openapi.json as built, and is OpenAPI 3 with both security schemes") {
  const std::string file = read_file(VC_OPENAPI_PATH);
  CHECK_MESSAGE(openapi_document() == file, "the embedded document is stale: rebuild");

  ServerContext ctx;
  Router router;
  register_routes(router, ctx);
  auto m = router.match("GET", "/api/v1/openapi.json");
  REQUIRE(m.kind == RouteMatch::Kind::found);
  Request req;
  Response res = m.route->handler(req);
  CHECK(res.status == 200);
  CHECK(res.content_type == "application/json");
  CHECK(res.body == file);

  rapidjson::Document doc;
  doc.Parse(file.data(), file.size());
  REQUIRE(!doc.HasParseError());
  REQUIRE(doc.HasMember("openapi"));
  CHECK(std::string(doc["openapi"].GetString()).rfind("3.", 0) == 0);
  REQUIRE(doc.HasMember("components"));
  const auto& schemes = doc["components"]["securitySchemes"];
  CHECK(schemes.HasMember("bearerAuth"));
  CHECK(schemes.HasMember("apiKey"));
}

TEST_CASE("every documented $ref points at a component that exists") {
  const std::string file = read_file(VC_OPENAPI_PATH);
  rapidjson::Document doc;
  doc.Parse(file.data(), file.size());
  REQUIRE(!doc.HasParseError());
  std::set<std::string> missing;
  // Depth-first over the whole document.
  std::vector<const rapidjson::Value*> stack{&doc};
  while (!stack.empty()) {
    const auto* v = stack.back();
    stack.pop_back();
    if (v->IsArray())
      for (const auto& item : v->GetArray()) stack.push_back(&item);
    if (!v->IsObject()) continue;
    for (const auto& member : v->GetObject()) {
      if (std::string(member.name.GetString()) == "$ref" && member.value.IsString()) {
        std::string ref = member.value.GetString();
        const std::string prefix = "#/components/";
        bool found = false;
        if (ref.rfind(prefix, 0) == 0) {
          auto rest = ref.substr(prefix.size());
          auto slash = rest.find('/');
          if (slash != std::string::npos) {
            auto kind = rest.substr(0, slash), name = rest.substr(slash + 1);
            const auto& comps = doc["components"];
            found = comps.HasMember(kind.c_str()) && comps[kind.c_str()].HasMember(name.c_str());
          }
        }
        if (!found) missing.insert(ref);
      }
      stack.push_back(&member.value);
    }
  }
  CHECK_MESSAGE(missing.empty(), "unresolved $ref: " << [&] { std::string s; for (auto& m : missing) s += m + " "; return s; }());
}
