// Tests for the streaming multipart/form-data parser (videocontrol/protocol/multipart.hpp). Most bodies are
// parsed once in a single chunk and again in every other chunk size, because the hard part of a
// streaming parser is a boundary, header or escape that straddles two chunks.
#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "videocontrol/protocol/multipart.hpp"

using namespace vc;
using namespace std::string_literals;

namespace {

const std::string boundary = "----WebKitFormBoundary7MA4YWxkTrZu0gW";

struct Part {
  MultipartPartHeaders headers;
  std::string data;
  int data_calls = 0;
  bool ended = false;
};

struct Outcome {
  std::vector<Part> parts;
  std::optional<Error> error;  // from feed() or finish(), whichever failed first
  bool done = false;
};

bool same_parts(const std::vector<Part>& a, const std::vector<Part>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto &x = a[i], &y = b[i];
    if (x.headers.name != y.headers.name || x.headers.filename != y.headers.filename ||
        x.headers.has_filename != y.headers.has_filename || x.headers.content_type != y.headers.content_type ||
        x.data != y.data || x.ended != y.ended)
      return false;
  }
  return true;
}

MultipartParser::Callbacks recorder(std::vector<Part>& parts) {
  MultipartParser::Callbacks cb;
  cb.on_part_begin = [&parts](const MultipartPartHeaders& h) -> Result<void> {
    parts.push_back(Part{h, {}, 0, false});
    return {};
  };
  cb.on_part_data = [&parts](std::string_view d) -> Result<void> {
    REQUIRE(!parts.empty());
    CHECK_FALSE(d.empty());
    parts.back().data += d;
    ++parts.back().data_calls;
    return {};
  };
  cb.on_part_end = [&parts]() -> Result<void> {
    REQUIRE(!parts.empty());
    parts.back().ended = true;
    return {};
  };
  return cb;
}

// Feeds `body` in chunks of `chunk` bytes (0: all at once), then calls finish().
Outcome parse(std::string_view body, std::size_t chunk = 0, MultipartLimits limits = {},
              const std::string& b = boundary) {
  Outcome out;
  MultipartParser parser(b, recorder(out.parts), limits);
  if (chunk == 0) chunk = body.size() + 1;
  for (std::size_t i = 0; i < body.size(); i += chunk) {
    if (auto r = parser.feed(body.substr(i, chunk)); !r) {
      out.error = r.error();
      return out;
    }
  }
  if (auto r = parser.finish(); !r) out.error = r.error();
  out.done = parser.done();
  return out;
}

std::string field(std::string_view name, std::string_view value) {
  return "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + std::string(name) + "\"\r\n\r\n" +
         std::string(value) + "\r\n";
}

std::string file(std::string_view name, std::string_view filename, std::string_view type, std::string_view data) {
  return "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + std::string(name) + "\"; filename=\"" +
         std::string(filename) + "\"\r\nContent-Type: " + std::string(type) + "\r\n\r\n" + std::string(data) + "\r\n";
}

std::string closing() { return "--" + boundary + "--\r\n"; }

// Parses in one chunk and in every chunk size up to the body's length; all must agree.
Outcome parse_every_split(std::string_view body, MultipartLimits limits = {}) {
  const Outcome whole = parse(body, 0, limits);
  for (std::size_t chunk = 1; chunk <= body.size(); ++chunk) {
    const Outcome split = parse(body, chunk, limits);
    INFO("chunk size " << chunk);
    REQUIRE(same_parts(whole.parts, split.parts));
    REQUIRE(whole.error.has_value() == split.error.has_value());
    if (whole.error) REQUIRE(*whole.error == *split.error);
    REQUIRE(whole.done == split.done);
  }
  return whole;
}

std::string error_message(const Outcome& o) { return o.error ? o.error->message : ""; }

}  // namespace

TEST_CASE("one file part is reported with its name, filename, content type and bytes") {
  const auto o = parse(file("media", "clip.mp4", "video/mp4", "\x00\x01mp4 bytes"s) + closing());
  REQUIRE_FALSE(o.error);
  CHECK(o.done);
  REQUIRE(o.parts.size() == 1);
  CHECK(o.parts[0].headers.name == "media");
  CHECK(o.parts[0].headers.has_filename);
  CHECK(o.parts[0].headers.filename == "clip.mp4");
  CHECK(o.parts[0].headers.content_type == "video/mp4");
  CHECK(o.parts[0].data == "\x00\x01mp4 bytes"s);
  CHECK(o.parts[0].ended);
}

TEST_CASE("several parts, plain fields and files, come out in order") {
  const std::string body = field("title", "Lobby screen") + file("a", "a.png", "image/png", "PNGDATA") +
                           field("empty", "") + file("b", "b.pdf", "application/pdf", "%PDF-1.7\r\n%%EOF") +
                           closing();
  const auto o = parse_every_split(body);
  REQUIRE_FALSE(o.error);
  REQUIRE(o.parts.size() == 4);
  CHECK(o.parts[0].headers.name == "title");
  CHECK_FALSE(o.parts[0].headers.has_filename);
  CHECK(o.parts[0].headers.content_type == "");
  CHECK(o.parts[0].data == "Lobby screen");
  CHECK(o.parts[1].headers.filename == "a.png");
  CHECK(o.parts[1].data == "PNGDATA");
  CHECK(o.parts[2].data == "");
  CHECK(o.parts[3].headers.content_type == "application/pdf");
  CHECK(o.parts[3].data == "%PDF-1.7\r\n%%EOF");
  for (const auto& p : o.parts) CHECK(p.ended);
}

TEST_CASE("every chunk size from 1 to the body length yields byte-identical parts") {
  std::string binary;
  for (int i = 0; i < 600; ++i) binary += static_cast<char>((i * 37) & 0xff);
  const std::string body = "preamble\r\n" + field("name", "value") + file("f", "x.bin", "application/octet-stream", binary) +
                           field("tail", "\r\n--" + boundary.substr(0, 10)) + closing() + "epilogue";
  const auto o = parse_every_split(body);
  REQUIRE_FALSE(o.error);
  REQUIRE(o.parts.size() == 3);
  CHECK(o.parts[1].data == binary);
  CHECK(o.parts[2].data == "\r\n--" + boundary.substr(0, 10));
}

TEST_CASE("boundary-like bytes inside a part are kept as data") {
  const std::vector<std::string> tricky = {
      "\r\n--" + boundary.substr(0, boundary.size() - 1),  // all but the last boundary character
      "\r\n--" + boundary.substr(0, boundary.size() - 1) + "X",
      "\r",
      "\r\n",
      "\r\n-",
      "\r\n--",
      "\r\r\n\r\n--\r\n--" + boundary.substr(0, 5) + "\r\n",
      "--" + boundary,        // a boundary not at the start of a line is data
      "x\r\n--" + boundary.substr(1) + "\r\n",  // "\r\n--" followed by the boundary minus its first character
  };
  for (const auto& data : tricky) {
    INFO("data: " << data);
    const auto o = parse_every_split(file("f", "t.bin", "application/octet-stream", data) + closing());
    REQUIRE_FALSE(o.error);
    REQUIRE(o.parts.size() == 1);
    CHECK(o.parts[0].data == data);
  }
}

TEST_CASE("repeated partial boundaries right before the real one are data") {
  // Each near-miss restarts the match at the next CR; the last one must still be recognised.
  const std::string b = "aa-a";
  const std::string data = "\r\n--aa-\r\n--aa\r\n--a";
  const std::string body = "--" + b + "\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n" + data + "\r\n--" + b +
                           "--";
  for (std::size_t chunk = 0; chunk <= body.size(); ++chunk) {
    const auto o = parse(body, chunk, {}, b);
    INFO("chunk size " << chunk);
    REQUIRE_FALSE(o.error);
    REQUIRE(o.parts.size() == 1);
    CHECK(o.parts[0].data == data);
  }
}

TEST_CASE("binary data with every byte value, NULs and CRs included, survives unchanged") {
  std::string data;
  for (int i = 0; i < 256; ++i) data += static_cast<char>(i);
  data += "\0\0\r\0\n"s;
  const auto o = parse_every_split(file("blob", "all.bin", "application/octet-stream", data) + closing());
  REQUIRE_FALSE(o.error);
  REQUIRE(o.parts.size() == 1);
  CHECK(o.parts[0].data.size() == data.size());
  CHECK(o.parts[0].data == data);
}

TEST_CASE("an empty part begins and ends without any data callback") {
  const auto o = parse_every_split(file("f", "", "application/octet-stream", "") + closing());
  REQUIRE_FALSE(o.error);
  REQUIRE(o.parts.size() == 1);
  CHECK(o.parts[0].data_calls == 0);
  CHECK(o.parts[0].ended);
  CHECK(o.parts[0].headers.has_filename);  // filename="" still marks a file input
  CHECK(o.parts[0].headers.filename == "");
}

TEST_CASE("data is handed on in the feed call that brings it, holding back only a possible boundary") {
  std::vector<Part> parts;
  MultipartParser parser(boundary, recorder(parts));
  REQUIRE(parser.feed("--" + boundary + "\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\n").ok());
  REQUIRE(parts.size() == 1);
  REQUIRE(parser.feed(std::string(100000, 'x')).ok());
  CHECK(parts[0].data.size() == 100000);
  REQUIRE(parser.feed("abc\r\n--" + boundary.substr(0, 3)).ok());  // might be the boundary: held back
  CHECK(parts[0].data.size() == 100003);
  REQUIRE(parser.feed("X").ok());  // it was not
  CHECK(parts[0].data.size() == 100003 + 2 + 2 + 3 + 1);
  CHECK_FALSE(parts[0].ended);
  REQUIRE(parser.feed("\r\n--" + boundary + "--").ok());
  CHECK(parts[0].ended);
  CHECK(parser.done());
  CHECK(parser.finish().ok());
}

TEST_CASE("filenames with quotes, ../ and slashes are reported raw") {
  const auto disposition = [](std::string_view params) {
    return "--" + boundary + "\r\nContent-Disposition: form-data; name=\"f\"; " + std::string(params) +
           "\r\n\r\nx\r\n" + closing();
  };
  struct Case {
    std::string params, filename;
  };
  const std::vector<Case> cases = {
      {R"(filename="../../etc/passwd")", "../../etc/passwd"},
      {R"(filename="dir/sub/x.txt")", "dir/sub/x.txt"},
      {R"(filename="a\"b.txt")", "a\"b.txt"},
      {R"(filename="back\\slash")", "back\\slash"},
      {R"(filename="C:\Users\me\new.txt")", R"(C:\Users\me\new.txt)"},  // bare backslashes kept (browsers send them)
      {R"(filename="semi;colon.txt")", "semi;colon.txt"},
      {"filename=\"caf\xc3\xa9.png\"", "caf\xc3\xa9.png"},  // raw UTF-8, as browsers send it
      {"filename=plain.txt", "plain.txt"},
      {"FileName=\"Upper.TXT\"", "Upper.TXT"},
  };
  for (const auto& c : cases) {
    INFO(c.params);
    const auto o = parse_every_split(disposition(c.params));
    REQUIRE_FALSE(o.error);
    REQUIRE(o.parts.size() == 1);
    CHECK(o.parts[0].headers.has_filename);
    CHECK(o.parts[0].headers.filename == c.filename);
  }
}

TEST_CASE("filename* (RFC 5987) is percent-decoded and takes precedence over filename") {
  const auto body = [](std::string_view params) {
    return "--" + boundary + "\r\nContent-Disposition: form-data; name=\"f\"; " + std::string(params) +
           "\r\n\r\nx\r\n" + closing();
  };
  auto o = parse_every_split(body("filename=\"euro.txt\"; filename*=UTF-8''%E2%82%AC%20rates.txt"));
  REQUIRE_FALSE(o.error);
  CHECK(o.parts[0].headers.filename == "\xe2\x82\xac rates.txt");

  o = parse(body("filename*=utf-8'en'..%2F..%2Fx"));  // order and language do not matter; still raw
  REQUIRE_FALSE(o.error);
  CHECK(o.parts[0].headers.filename == "../../x");

  o = parse(body("filename*=ISO-8859-1''caf%E9"));  // widened to UTF-8
  REQUIRE_FALSE(o.error);
  CHECK(o.parts[0].headers.filename == "caf\xc3\xa9");

  o = parse(body("filename*=UTF-8''bad%2"));
  REQUIRE(o.error);
  CHECK(o.error->code == ErrorCode::invalid);
  CHECK(o.error->message.find("%-escape") != std::string::npos);

  o = parse(body("filename*=Shift_JIS''x"));
  REQUIRE(o.error);
  CHECK(o.error->message.find("Shift_JIS") != std::string::npos);
}

TEST_CASE("header names and the disposition type are case-insensitive; other headers are ignored") {
  const std::string body = "--" + boundary +
                           "\r\ncontent-disposition: FORM-DATA; NAME=\"n\"\r\nX-Whatever: 1\r\n"
                           "CONTENT-TYPE:  text/plain; charset=utf-8 \r\nContent-Transfer-Encoding: binary\r\n\r\nhi\r\n" +
                           closing();
  const auto o = parse_every_split(body);
  REQUIRE_FALSE(o.error);
  REQUIRE(o.parts.size() == 1);
  CHECK(o.parts[0].headers.name == "n");
  CHECK(o.parts[0].headers.content_type == "text/plain; charset=utf-8");
  CHECK(o.parts[0].data == "hi");
}

TEST_CASE("padding after a boundary, a preamble and an epilogue are tolerated") {
  const std::string body = "This is the preamble.\r\n--" + boundary.substr(0, 8) + " not it\r\n--" + boundary +
                           " \t \r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--" + boundary +
                           "\t\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\n2\r\n--" + boundary +
                           "--  trailing\r\nepilogue --" + boundary + "\r\nContent-Disposition: x\r\n\r\n";
  const auto o = parse_every_split(body);
  REQUIRE_FALSE(o.error);
  CHECK(o.done);
  REQUIRE(o.parts.size() == 2);
  CHECK(o.parts[0].data == "1");
  CHECK(o.parts[1].data == "2");
}

TEST_CASE("garbage before the first boundary is ignored") {
  const auto o = parse_every_split("\0\xff garbage --"s + boundary + "x\r\n\r\n--" + boundary.substr(1) + "\r\n" +
                                   field("a", "1") + closing());
  REQUIRE_FALSE(o.error);
  REQUIRE(o.parts.size() == 1);
  CHECK(o.parts[0].data == "1");
}

TEST_CASE("a body without the closing boundary fails on finish") {
  auto o = parse_every_split(field("a", "1"));  // ends with the field's CRLF, no next boundary
  REQUIRE(o.error);
  CHECK(o.error->code == ErrorCode::invalid);
  CHECK(error_message(o) == "body ended before the closing boundary \"--" + boundary + "--\"");
  REQUIRE(o.parts.size() == 1);
  CHECK_FALSE(o.parts[0].ended);

  o = parse(field("a", "1") + "--" + boundary);  // boundary line cut short
  REQUIRE(o.error);
  CHECK(error_message(o).find("before the closing boundary") != std::string::npos);

  o = parse("--" + boundary + "\r\nContent-Disposition: form-data; name=\"a\"\r\n");
  REQUIRE(o.error);
  CHECK(error_message(o) == "body ended inside a part's headers");

  o = parse("no boundary here at all");
  REQUIRE(o.error);
  CHECK(error_message(o).find("no boundary line") != std::string::npos);

  o = parse("");
  REQUIRE(o.error);
  CHECK(o.error->code == ErrorCode::invalid);
}

TEST_CASE("malformed part headers are invalid with a message saying what is wrong") {
  const auto with_headers = [](std::string_view headers) {
    return "--" + boundary + "\r\n" + std::string(headers) + "\r\nx\r\n" + closing();
  };
  struct Case {
    std::string headers, message_part;
  };
  const std::vector<Case> cases = {
      {"Content-Type: text/plain\r\n", "missing Content-Disposition"},
      {"", "missing Content-Disposition"},
      {"Content-Disposition: attachment; name=\"a\"\r\n", "expected form-data"},
      {"Content-Disposition: form-data; filename=\"a\"\r\n", "no name parameter"},
      {"Content-Disposition: form-data; name=\"a\r\n", "unterminated quoted value"},
      {"Content-Disposition: form-data; name=\"a\"; name=\"b\"\r\n", "repeats the name parameter"},
      {"Content-Disposition: form-data; name=\"a\"\r\nContent-Disposition: form-data; name=\"b\"\r\n",
       "repeat Content-Disposition"},
      {"Content-Disposition: form-data; name=\"a\"\r\nno colon here\r\n", "not of the form"},
      {"Content-Disposition: form-data; name=\"a\"\nX: y\r\n", "bare CR or LF"},
      {"Content-Disposition: form-data; name=\"a\"; filename=\"a\0b\"\r\n"s, "control character"},
      {"Content-Disposition: form-data; name\r\n", "has no '=' and value"},
  };
  for (const auto& c : cases) {
    INFO(c.headers);
    const auto o = parse_every_split(with_headers(c.headers));
    REQUIRE(o.error);
    CHECK(o.error->code == ErrorCode::invalid);
    CHECK(o.error->message.find(c.message_part) != std::string::npos);
    CHECK(o.parts.empty());
  }

  // Headers that forget the empty line run into the next boundary.
  const auto o = parse("--" + boundary + "\r\nContent-Disposition: form-data; name=\"a\"\r\n--" + boundary +
                       "\r\nX: y\r\n\r\n");
  REQUIRE(o.error);
  CHECK(error_message(o).find("run into the next boundary") != std::string::npos);
}

TEST_CASE("a folded header line continues the previous header") {
  const auto o = parse_every_split("--" + boundary + "\r\nContent-Disposition: form-data;\r\n name=\"folded\"\r\n\r\nv\r\n" +
                                   closing());
  REQUIRE_FALSE(o.error);
  REQUIRE(o.parts.size() == 1);
  CHECK(o.parts[0].headers.name == "folded");
}

TEST_CASE("a boundary followed by anything but a line break or -- is invalid") {
  const auto o = parse_every_split(field("a", "1") + "--" + boundary + "X\r\n" + closing());
  REQUIRE(o.error);
  CHECK(o.error->code == ErrorCode::invalid);
  CHECK(o.error->message.find("followed by 'X'") != std::string::npos);
  REQUIRE(o.parts.size() == 1);
  CHECK(o.parts[0].ended);
}

TEST_CASE("part headers over the limit are too_large") {
  MultipartLimits limits;
  limits.max_header_bytes = 64;
  const std::string header = "Content-Disposition: form-data; name=\"a\"\r\n";  // 42 bytes
  auto o = parse_every_split("--" + boundary + "\r\n" + header + "X-Pad: " + std::string(100, 'p') + "\r\n\r\nx\r\n" +
                                 closing(),
                             limits);
  REQUIRE(o.error);
  CHECK(o.error->code == ErrorCode::too_large);
  CHECK(o.error->message == "part headers are longer than 64 bytes");

  // Exactly at the limit (line ends and the empty line included) is accepted.
  const std::string exact = header + "X: " + std::string(64 - header.size() - 3 - 4, 'p') + "\r\n\r\n";
  REQUIRE(exact.size() == 64);
  o = parse_every_split("--" + boundary + "\r\n" + exact + "x\r\n" + closing(), limits);
  CHECK_FALSE(o.error);

  // Endless header bytes without a line end are refused too, not buffered.
  std::vector<Part> parts;
  MultipartParser parser(boundary, recorder(parts), limits);
  REQUIRE(parser.feed("--" + boundary + "\r\n").ok());
  Result<void> r;
  for (int i = 0; i < 100 && r.ok(); ++i) r = parser.feed("aaaa");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::too_large);
}

TEST_CASE("more parts than allowed are too_large") {
  MultipartLimits limits;
  limits.max_parts = 2;
  auto o = parse_every_split(field("a", "1") + field("b", "2") + closing(), limits);
  CHECK_FALSE(o.error);
  o = parse_every_split(field("a", "1") + field("b", "2") + field("c", "3") + closing(), limits);
  REQUIRE(o.error);
  CHECK(o.error->code == ErrorCode::too_large);
  CHECK(o.error->message == "body has more than 2 parts");
  CHECK(o.parts.size() == 2);
}

TEST_CASE("a part over max_part_bytes is too_large") {
  MultipartLimits limits;
  limits.max_part_bytes = 10;
  auto o = parse_every_split(file("f", "f.bin", "application/octet-stream", std::string(10, 'x')) + closing(), limits);
  CHECK_FALSE(o.error);  // exactly at the limit

  const std::string body = file("f", "f.bin", "application/octet-stream", std::string(11, 'x')) + closing();
  for (std::size_t chunk = 0; chunk <= body.size(); ++chunk) {
    o = parse(body, chunk, limits);
    INFO("chunk size " << chunk);
    REQUIRE(o.error);
    CHECK(o.error->code == ErrorCode::too_large);
    CHECK(o.error->message == "part \"f\" is larger than 10 bytes");
    REQUIRE(o.parts.size() == 1);
    CHECK(o.parts[0].data.size() <= 10);
  }
}

TEST_CASE("an error from a callback stops parsing and is returned from feed") {
  int begins = 0, data_calls = 0;
  MultipartParser::Callbacks cb;
  cb.on_part_begin = [&](const MultipartPartHeaders& h) -> Result<void> {
    ++begins;
    if (h.name == "second") return make_error(ErrorCode::quota, "storage quota reached");
    return {};
  };
  cb.on_part_data = [&](std::string_view) -> Result<void> {
    ++data_calls;
    return {};
  };
  MultipartParser parser(boundary, cb);
  auto r = parser.feed(field("first", "1") + field("second", "2") + field("third", "3") + closing());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::quota);
  CHECK(r.error().message == "storage quota reached");
  CHECK(begins == 2);
  CHECK(data_calls == 1);
  // The parser stays failed: more input is refused with the same error and no callbacks.
  r = parser.feed(field("fourth", "4"));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::quota);
  CHECK(begins == 2);
  CHECK_FALSE(parser.finish().ok());
  CHECK_FALSE(parser.done());
}

TEST_CASE("data and end callbacks can stop parsing too") {
  MultipartParser::Callbacks cb;
  cb.on_part_data = [](std::string_view) -> Result<void> { return make_error(ErrorCode::unavailable, "disk full"); };
  MultipartParser a(boundary, cb);
  auto r = a.feed(field("a", "1") + closing());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "disk full");

  MultipartParser::Callbacks cb2;
  cb2.on_part_end = []() -> Result<void> { return make_error(ErrorCode::invalid, "hash mismatch"); };
  MultipartParser b(boundary, cb2);
  r = b.feed(field("a", "1") + closing());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "hash mismatch");
  CHECK_FALSE(b.done());
}

TEST_CASE("input after the closing boundary is ignored and finish succeeds") {
  MultipartParser parser(boundary, {});  // no callbacks at all is fine
  REQUIRE(parser.feed(field("a", "1") + closing()).ok());
  CHECK(parser.done());
  CHECK(parser.feed("anything\r\n--" + boundary + "\r\n").ok());
  CHECK(parser.finish().ok());
  CHECK(parser.finish().ok());
}

TEST_CASE("a parser built with an invalid boundary refuses every feed") {
  MultipartParser parser("bad\rboundary", {});
  auto r = parser.feed("--bad\rboundary\r\n");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == ErrorCode::invalid);
  CHECK_FALSE(parser.finish().ok());
  CHECK_FALSE(MultipartParser("", {}).feed("x").ok());
}

TEST_CASE("a moved parser keeps its state") {
  std::vector<Part> parts;
  MultipartParser a(boundary, recorder(parts));
  REQUIRE(a.feed(field("a", "1").substr(0, 20)).ok());
  MultipartParser b = std::move(a);
  REQUIRE(b.feed(field("a", "1").substr(20) + closing()).ok());
  CHECK(b.done());
  REQUIRE(parts.size() == 1);
  CHECK(parts[0].data == "1");
}

TEST_CASE("multipart_boundary extracts the boundary from a Content-Type") {
  CHECK(multipart_boundary("multipart/form-data; boundary=abc123").value() == "abc123");
  CHECK(multipart_boundary("multipart/form-data; boundary=" + boundary).value() == boundary);
  CHECK(multipart_boundary("Multipart/Form-Data;BOUNDARY=\"quoted boundary:(x)\"").value() == "quoted boundary:(x)");
  CHECK(multipart_boundary("multipart/form-data; charset=utf-8; boundary=\"a=b,c\"; foo=bar").value() == "a=b,c");
  CHECK(multipart_boundary("multipart/form-data; boundary=\"a;b\"").error().code == ErrorCode::invalid);  // ; is no bchar
  CHECK(multipart_boundary("  multipart/form-data ;boundary = xyz ;").value() == "xyz");
  CHECK(multipart_boundary("multipart/form-data; boundary=" + std::string(70, 'b')).ok());
}

TEST_CASE("multipart_boundary refuses missing, empty, long or forbidden boundaries") {
  const auto code_of = [](std::string_view ct) {
    auto r = multipart_boundary(ct);
    REQUIRE_FALSE(r.ok());
    CHECK_FALSE(r.error().message.empty());
    return r.error().code;
  };
  CHECK(code_of("multipart/form-data") == ErrorCode::invalid);
  CHECK(code_of("multipart/form-data; charset=utf-8") == ErrorCode::invalid);
  CHECK(code_of("multipart/form-data; boundary=\"\"") == ErrorCode::invalid);
  CHECK(code_of("multipart/form-data; boundary=") == ErrorCode::invalid);
  CHECK(code_of("multipart/form-data; boundary=" + std::string(71, 'b')) == ErrorCode::invalid);
  CHECK(code_of("multipart/form-data; boundary=\"ends with space \"") == ErrorCode::invalid);
  CHECK(code_of("multipart/form-data; boundary=\"bad\\\"quote\"") == ErrorCode::invalid);
  CHECK(code_of("multipart/form-data; boundary=tab\there") == ErrorCode::invalid);
  CHECK(code_of("multipart/form-data; boundary=a; boundary=b") == ErrorCode::invalid);
  CHECK(code_of("multipart/form-data; boundary=\"unterminated") == ErrorCode::invalid);
  CHECK(code_of("multipart/form-data; =x") == ErrorCode::invalid);

  CHECK(code_of("application/json") == ErrorCode::unsupported);
  CHECK(code_of("multipart/mixed; boundary=abc") == ErrorCode::unsupported);
  CHECK(code_of("") == ErrorCode::unsupported);
  CHECK(code_of("multipart/form-data-x; boundary=abc") == ErrorCode::unsupported);

  auto r = multipart_boundary("multipart/form-data; boundary=" + std::string(71, 'b'));
  CHECK(r.error().message.find("at most 70") != std::string::npos);
}

TEST_CASE("multipart_file_head and multipart_close write a body the parser reads back") {
  const std::string bytes = "\x00\r\n--not-the-boundary\r\nPNG"s;
  for (const std::string name : {"clip.mp4", "Красный круг.png", "a\"b\\c\r\nd.png"}) {
    const auto body = multipart_file_head(boundary, "files", name) + bytes + multipart_close(boundary);
    const auto o = parse_every_split(body);
    REQUIRE_FALSE(o.error);
    CHECK(o.done);
    REQUIRE(o.parts.size() == 1);
    CHECK(o.parts[0].headers.name == "files");
    CHECK(o.parts[0].headers.content_type == "application/octet-stream");
    CHECK(o.parts[0].data == bytes);
    if (name.find('"') == std::string::npos) CHECK(o.parts[0].headers.filename == name);
    else CHECK(o.parts[0].headers.filename == "a%22b%5Cc%0D%0Ad.png");  // escaped as browsers do
  }
}
