// The web pages (web/, built by web/build.mjs and compiled in): /signin, /admin, /speaker, the
// browser player (/player and the original's /player-videojs.html, with its service worker at the
// fixed path /player-sw.js), their content-hashed scripts and styles under /assets/, and `/`, which
// sends a browser to the panel or to sign-in. Every answer is a constant, so the routes run on the
// network thread.
//
// Pages carry a strict Content-Security-Policy (scripts, styles and connections from this origin
// only, nothing inline) and are revalidated on each load (ETag → 304); /assets/* have hashes in
// their names and are cached for a year as immutable. Brotli or gzip is chosen from Accept-Encoding.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_map>

#include "browser_session.hpp"
#include "http_headers.hpp"
#include "router.hpp"
#include "routes.hpp"
#include "server_context.hpp"
#include "web_assets.hpp"

namespace vc::server {
namespace {

constexpr std::string_view kPageCsp =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
    "connect-src 'self'; font-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

Response serve(const Request& req, const WebAsset& a) {
  Response r;
  r.content_type = std::string(a.content_type);
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Cache-Control", a.immutable ? "public, max-age=31536000, immutable" : "no-cache");
  r.headers.emplace_back("ETag", std::string(a.etag));
  if (!a.gzip.empty() || !a.brotli.empty()) r.headers.emplace_back("Vary", "Accept-Encoding");
  if (a.content_type.starts_with("text/html")) {
    r.headers.emplace_back("Content-Security-Policy", std::string(kPageCsp));
    r.headers.emplace_back("Referrer-Policy", "same-origin");
    r.headers.emplace_back("X-Frame-Options", "DENY");  // no page of ours is meant to be framed
  }
  if (etag_matches(req.header("if-none-match"), a.etag)) {
    r.status = 304;
    r.content_type.clear();
    return r;
  }
  const std::string_view ae = req.header("accept-encoding");
  if (!a.brotli.empty() && accepts_coding(ae, "br")) {
    r.headers.emplace_back("Content-Encoding", "br");
    r.body = std::string(a.brotli);
  } else if (!a.gzip.empty() && accepts_coding(ae, "gzip")) {
    r.headers.emplace_back("Content-Encoding", "gzip");
    r.body = std::string(a.gzip);
  } else {
    r.body = std::string(a.identity);
  }
  return r;
}

Response redirect(std::string location) {
  Response r;
  r.status = 302;
  r.content_type = "text/plain; charset=utf-8";
  r.headers.emplace_back("Location", location);
  r.headers.emplace_back("Cache-Control", "no-store");
  r.body = "See " + location + "\n";
  return r;
}

// For people working on the pages: with VC_WEB_DIR=<the --out folder of web/build.mjs> the pages
// are read from its dist/ on every request instead of the compiled-in copy, so a page change needs
// `node web/build.mjs --out DIR` and a reload, not a server build. Not a setting for production.
Response serve_from_dir(const std::filesystem::path& dist, std::string_view path) {
  namespace fs = std::filesystem;
  if (path.find("..") != std::string_view::npos)
    return Response::error(404, "not_found", "no such page");
  fs::path file = dist / std::string(path.substr(1));
  if (!file.has_extension()) file += ".html";
  std::ifstream in(file, std::ios::binary);
  if (!in) return Response::error(404, "not_found", "no such page in VC_WEB_DIR");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  static const std::unordered_map<std::string, std::string_view> types = {
      {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"}, {".svg", "image/svg+xml"}, {".json", "application/json"}};
  auto type = types.find(file.extension().string());
  const std::string body = bytes.str();
  WebAsset a;
  a.path = path;
  a.content_type = type == types.end() ? "application/octet-stream" : type->second;
  a.etag = "\"dev\"";
  a.identity = body;
  Response r = serve(Request{}, a);  // no conditional answer: always the current file
  r.headers.emplace_back("X-VideoControl-Web-Dir", "1");
  return r;
}

}  // namespace

void register_web_routes(Router& router, ServerContext&) {
  auto by_path = std::make_shared<std::unordered_map<std::string_view, const WebAsset*>>();
  for (const WebAsset& a : web_assets()) by_path->emplace(a.path, &a);
  if (const char* dev = std::getenv("VC_WEB_DIR"); dev && *dev) {
    auto dist = std::filesystem::path(dev) / "dist";
    RouteOptions blocking;  // reads a file
    for (const WebAsset& a : web_assets()) {
      if (a.path.starts_with("/assets/")) continue;
      router.add("GET", std::string(a.path), [dist, p = std::string(a.path)](Request&) { return serve_from_dir(dist, p); }, blocking);
    }
    router.add("GET", "/assets/{file}", [dist](Request& req) {
      return serve_from_dir(dist, "/assets/" + req.params.at("file"));
    }, blocking);
    router.add("GET", "/", [](Request& req) {
      return redirect(cookie_value(req, kSessionHintCookie) ? "/admin" : "/signin");
    }, blocking);
    return;
  }

  RouteOptions inline_route;
  inline_route.inline_handler = true;
  for (const WebAsset& a : web_assets()) {
    if (a.path.starts_with("/assets/")) continue;  // one route below serves them all
    router.add("GET", std::string(a.path), [&a](Request& req) { return serve(req, a); }, inline_route);
  }
  router.add("GET", "/assets/{file}", [by_path](Request& req) {
    auto it = by_path->find("/assets/" + req.params.at("file"));
    if (it == by_path->end())
      return Response::error(404, "not_found", "no such asset; pages name their assets with content hashes, reload the page");
    return serve(req, *it->second);
  }, inline_route);

  // A signed-in browser holds the session hint cookie (set with the HttpOnly refresh cookie, see
  // routes_auth.cpp); it says nothing secret, it only saves a signed-out person a blank page.
  router.add("GET", "/", [](Request& req) {
    return redirect(cookie_value(req, kSessionHintCookie) ? "/admin" : "/signin");
  }, inline_route);
}

}  // namespace vc::server
