#include <doctest/doctest.h>

#include "file_response.hpp"

using namespace vc::server;
using K = RangeRequest::Kind;

namespace {
RangeRequest R(std::string_view h, std::int64_t size = 1000) { return parse_range(h, size); }
std::string header(const Response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}
StoredFile file() { return StoredFile{"/tmp/x", 1000, "\"abc\"", 1'700'000'000'000, "video/mp4", {}}; }
}  // namespace

TEST_CASE("single byte ranges: first byte, last byte, suffix, open, whole") {
  CHECK(R("bytes=0-0").kind == K::single);
  CHECK(R("bytes=0-0").last == 0);
  auto last = R("bytes=999-999");
  CHECK((last.kind == K::single && last.first == 999 && last.last == 999));
  auto suffix = R("bytes=-100");
  CHECK((suffix.first == 900 && suffix.last == 999));
  auto open = R("bytes=500-");
  CHECK((open.first == 500 && open.last == 999));
  auto clamp = R("bytes=10-5000");
  CHECK((clamp.first == 10 && clamp.last == 999));
  auto big_suffix = R("bytes=-5000");
  CHECK((big_suffix.first == 0 && big_suffix.last == 999));
  CHECK(R(" bytes = 1 - 2 ").kind == K::none);  // "bytes =" is not the unit token
  CHECK(R("BYTES=1-2").kind == K::single);
}

TEST_CASE("ranges past the end are unsatisfiable") {
  CHECK(R("bytes=1000-").kind == K::unsatisfiable);
  CHECK(R("bytes=1000-2000").kind == K::unsatisfiable);
  CHECK(R("bytes=-0").kind == K::unsatisfiable);
  CHECK(R("bytes=0-", 0).kind == K::unsatisfiable);
  CHECK(R("bytes=99999999999999999999999-").kind == K::unsatisfiable);
}

TEST_CASE("malformed or multiple ranges are ignored") {
  for (auto h : {"", "bytes", "bytes=", "bytes=-", "bytes=a-b", "bytes=5-3", "items=0-1", "bytes=0-1,3-4",
                 "bytes=1", "bytes=--1", "bytes=1-2-3", "bytes=0x10-"})
    CHECK_MESSAGE(R(h).kind == K::none, h);
}

TEST_CASE("a range request is answered 206 with Content-Range and the right slice") {
  Request req;
  req.headers = {{"range", "bytes=100-199"}};
  auto r = file_response(req, file());
  CHECK(r.status == 206);
  CHECK(header(r, "Content-Range") == "bytes 100-199/1000");
  REQUIRE(r.file.has_value());
  CHECK(r.file->offset == 100);
  CHECK(r.file->length == 100);
  CHECK(header(r, "Accept-Ranges") == "bytes");
  CHECK(header(r, "ETag") == "\"abc\"");
}

TEST_CASE("an unsatisfiable range is 416 with the size in Content-Range") {
  Request req;
  req.headers = {{"range", "bytes=5000-"}};
  auto r = file_response(req, file());
  CHECK(r.status == 416);
  CHECK(header(r, "Content-Range") == "bytes */1000");
  CHECK_FALSE(r.file.has_value());
}

TEST_CASE("If-None-Match with the current ETag is 304 without a body") {
  Request req;
  req.headers = {{"if-none-match", "\"zzz\", \"abc\""}};
  auto r = file_response(req, file());
  CHECK(r.status == 304);
  CHECK_FALSE(r.file.has_value());
  req.headers = {{"if-none-match", "\"zzz\""}};
  CHECK(file_response(req, file()).status == 200);
}

TEST_CASE("If-Modified-Since at or after Last-Modified is 304") {
  Request req;
  req.headers = {{"if-modified-since", http_date(1'700'000'000'000)}};
  CHECK(file_response(req, file()).status == 304);
  req.headers = {{"if-modified-since", http_date(1'600'000'000'000)}};
  CHECK(file_response(req, file()).status == 200);
  req.headers = {{"if-modified-since", "yesterday"}};
  CHECK(file_response(req, file()).status == 200);
}

TEST_CASE("If-Range with a stale validator sends the whole file") {
  Request req;
  req.headers = {{"range", "bytes=0-9"}, {"if-range", "\"old\""}};
  auto r = file_response(req, file());
  CHECK(r.status == 200);
  CHECK(r.file->length == 1000);
  req.headers = {{"range", "bytes=0-9"}, {"if-range", "\"abc\""}};
  CHECK(file_response(req, file()).status == 206);
}

TEST_CASE("HTTP dates are IMF-fixdate") { CHECK(http_date(784111777000) == "Sun, 06 Nov 1994 08:49:37 GMT"); }
