// The web pages and their scripts, styles and icons, built by web/build.mjs and compiled into the
// server (generated web_assets.cpp). Served by routes_web.cpp.
#pragma once

#include <span>
#include <string_view>

namespace vc::server {

struct WebAsset {
  std::string_view path;          // as requested: "/admin", "/assets/admin-3F2A….js", "/favicon.svg"
  std::string_view content_type;  // with charset for text
  std::string_view etag;          // quoted, from the content's SHA-256
  bool immutable = false;         // content-hashed name: cached for a year; else revalidated
  std::string_view identity;      // the bytes
  std::string_view gzip;          // empty when not worth compressing
  std::string_view brotli;        // empty when not worth compressing
};

std::span<const WebAsset> web_assets();

}  // namespace vc::server
