// Serving stored bytes over HTTP: single byte ranges (RFC 9110 §14), conditional requests and
// the headers players and browsers rely on. Pure logic: the network layer streams the file.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "http_types.hpp"

namespace vc {
struct DerivedContent;
struct Media;
}  // namespace vc

namespace vc::server {

struct RangeRequest {
  enum class Kind { none, single, unsatisfiable };
  Kind kind = Kind::none;
  std::int64_t first = 0;  // inclusive
  std::int64_t last = 0;   // inclusive
};

// Parses a Range header for a resource of `size` bytes. Only one range is served: several ranges,
// other units and malformed values are ignored (the whole resource is sent, as RFC 9110 allows).
RangeRequest parse_range(std::string_view header, std::int64_t size);

// "Sun, 06 Nov 1994 08:49:37 GMT"
std::string http_date(std::int64_t epoch_ms);

struct StoredFile {
  std::string path;
  std::int64_t size = 0;
  std::string etag;           // quoted strong validator, e.g. "\"<sha256>\""
  std::int64_t modified_ms = 0;
  std::string content_type;
  std::string cache_control;  // empty: private, revalidated each time (max-age=0, must-revalidate)
};

// 200 / 206 / 304 / 416 for GET and HEAD, honouring Range, If-Range, If-None-Match and
// If-Modified-Since; always with Accept-Ranges, ETag and Last-Modified.
Response file_response(const Request& req, const StoredFile& file);

// Bytes an object store serves itself: 307 to its short-lived pre-signed URL (not cached: the
// URL expires). Range and conditional headers are the store's to honour.
Response redirect_to_store(const std::string& url);

// A derived file of the content pipeline (a page, a folder image, a thumbnail). Its bytes never
// change, so a request naming its version (?v=, as the listings' URLs do) may be cached for a year;
// other requests revalidate with the ETag.
Response derived_response(const Request& req, const DerivedContent& content);
// The version a listing puts in ?v= for a media item's derived files.
std::string derived_version(const Media& media);

}  // namespace vc::server
