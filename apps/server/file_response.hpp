// Serving stored bytes over HTTP: single byte ranges (RFC 9110 §14), conditional requests and
// the headers players and browsers rely on. Pure logic: the network layer streams the file.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "http_types.hpp"

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
};

// 200 / 206 / 304 / 416 for GET and HEAD, honouring Range, If-Range, If-None-Match and
// If-Modified-Since; always with Accept-Ranges, ETag and Last-Modified.
Response file_response(const Request& req, const StoredFile& file);

}  // namespace vc::server
