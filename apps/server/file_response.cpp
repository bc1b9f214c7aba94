#include "file_response.hpp"

#include "videocontrol/media.hpp"

#include <cctype>
#include <ctime>

#include <fmt/format.h>

namespace vc::server {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Digits only; saturates instead of overflowing (a huge position is simply past the end).
bool parse_pos(std::string_view s, std::int64_t& out) {
  if (s.empty() || s.size() > 64) return false;
  std::int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    if (v > (INT64_MAX - 9) / 10) v = INT64_MAX / 2;
    else v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

bool iequals_prefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  return true;
}

// Parses an IMF-fixdate; -1 when malformed.
std::int64_t parse_http_date(std::string_view s) {
  std::tm tm{};
  std::string text(trim(s));
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end != '\0') return -1;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000;
}

bool etag_matches(std::string_view header, std::string_view etag) {
  header = trim(header);
  if (header == "*") return true;
  while (!header.empty()) {
    auto comma = header.find(',');
    auto item = trim(header.substr(0, comma));
    if (item.starts_with("W/")) item.remove_prefix(2);  // weak comparison for If-None-Match
    if (item == etag) return true;
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
  }
  return false;
}

}  // namespace

RangeRequest parse_range(std::string_view header, std::int64_t size) {
  RangeRequest r;
  header = trim(header);
  if (!iequals_prefix(header, "bytes=")) return r;
  std::string_view spec = trim(header.substr(6));
  if (spec.empty() || spec.find(',') != std::string_view::npos) return r;
  const auto dash = spec.find('-');
  if (dash == std::string_view::npos) return r;
  const std::string_view a = trim(spec.substr(0, dash)), b = trim(spec.substr(dash + 1));
  std::int64_t first = 0, last = 0;
  if (a.empty()) {  // suffix: the last b bytes
    if (!parse_pos(b, last)) return r;
    if (last == 0 || size == 0) return RangeRequest{RangeRequest::Kind::unsatisfiable, 0, 0};
    first = last >= size ? 0 : size - last;
    return RangeRequest{RangeRequest::Kind::single, first, size - 1};
  }
  if (!parse_pos(a, first)) return r;
  if (b.empty()) last = size - 1;
  else if (!parse_pos(b, last) || last < first) return r;
  if (first >= size) return RangeRequest{RangeRequest::Kind::unsatisfiable, 0, 0};
  if (last >= size) last = size - 1;
  return RangeRequest{RangeRequest::Kind::single, first, last};
}

std::string http_date(std::int64_t epoch_ms) {
  std::time_t t = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

Response file_response(const Request& req, const StoredFile& f) {
  Response r;
  r.content_type = f.content_type;
  const std::string last_modified = http_date(f.modified_ms);
  r.headers = {{"Accept-Ranges", "bytes"}, {"ETag", f.etag}, {"Last-Modified", last_modified},
               {"Cache-Control", f.cache_control.empty() ? "private, max-age=0, must-revalidate" : f.cache_control}};

  // Conditional GET: If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2).
  if (auto inm = req.header("if-none-match"); !inm.empty()) {
    if (etag_matches(inm, f.etag)) {
      r.status = 304;
      r.content_type.clear();
      return r;
    }
  } else if (auto ims = req.header("if-modified-since"); !ims.empty()) {
    const auto since = parse_http_date(ims);
    if (since >= 0 && f.modified_ms / 1000 * 1000 <= since) {
      r.status = 304;
      r.content_type.clear();
      return r;
    }
  }

  RangeRequest range;
  if (auto h = req.header("range"); !h.empty()) {
    range = parse_range(h, f.size);
    // If-Range: serve the range only if the client's copy is still current.
    if (auto ir = trim(req.header("if-range")); !ir.empty() && ir != f.etag && ir != last_modified)
      range = RangeRequest{};
  }
  switch (range.kind) {
    case RangeRequest::Kind::unsatisfiable: {
      auto e = Response::error(416, "range_not_satisfiable",
                               fmt::format("the requested range is outside the {} bytes of this file", f.size));
      e.headers = r.headers;
      e.headers.emplace_back("Content-Range", fmt::format("bytes */{}", f.size));
      return e;
    }
    case RangeRequest::Kind::single:
      r.status = 206;
      r.headers.emplace_back("Content-Range", fmt::format("bytes {}-{}/{}", range.first, range.last, f.size));
      r.file = FileBody{f.path, range.first, range.last - range.first + 1};
      return r;
    case RangeRequest::Kind::none:
      break;
  }
  r.status = 200;
  r.file = FileBody{f.path, 0, f.size};
  return r;
}

std::string derived_version(const Media& media) {
  return media.blob_hash.substr(0, 12) + "-" + media.derived;
}

Response derived_response(const Request& req, const DerivedContent& d) {
  StoredFile f{d.path, d.size, d.etag, d.mtime_ms, d.mime, {}};
  if (auto v = req.query_param("v"); v && *v == derived_version(d.media)) f.cache_control = "private, max-age=31536000, immutable";
  return file_response(req, f);
}

Response redirect_to_store(const std::string& url) {
  Response r;
  r.status = 307;
  r.content_type.clear();
  r.headers.emplace_back("Location", url);
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

}  // namespace vc::server
