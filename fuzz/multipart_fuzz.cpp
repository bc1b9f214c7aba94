// libFuzzer target for the streaming multipart/form-data parser: vc::MultipartParser and
// vc::multipart_boundary (libvideocontrol/include/videocontrol/protocol/multipart.hpp,
// libvideocontrol/src/protocol/multipart.cpp).
//
// Input layout: the first byte seeds the chunking, the rest is a multipart body with the fixed
// boundary "XyZ" (e.g. "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--XyZ--").
// The body is parsed three times: in one chunk, in chunks of (seed % 64) + 1 bytes, and in chunks
// of pseudo-random sizes drawn from the seed. A streaming parser's bugs live where a boundary or a
// header straddles two chunks, so the invariant that matters most is that all three runs report the
// same parts and the same error. Small limits make the too_large paths reachable; a part named
// "stop" makes on_part_begin fail, checking that a callback's error is what comes back.
// The body is also given to multipart_boundary() as a Content-Type value.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "videocontrol/protocol/multipart.hpp"

#include "fuzz_check.hpp"

namespace {

const std::string boundary = "XyZ";

vc::MultipartLimits limits() {
  vc::MultipartLimits l;
  l.max_header_bytes = 256;
  l.max_parts = 8;
  l.max_part_bytes = 512;
  return l;
}

struct Part {
  vc::MultipartPartHeaders headers;
  std::string data;
  bool ended = false;
};

struct Outcome {
  std::vector<Part> parts;
  std::optional<vc::Error> error;
  bool error_from_feed = false;
  bool done = false;
};

// Feeds `body` in pieces whose sizes come from next_size(), then finishes.
template <class NextSize>
Outcome run(std::string_view body, NextSize next_size) {
  Outcome out;
  vc::MultipartParser::Callbacks cb;
  cb.on_part_begin = [&out](const vc::MultipartPartHeaders& h) -> vc::Result<void> {
    FUZZ_CHECK(out.parts.empty() || out.parts.back().ended);
    FUZZ_CHECK(h.has_filename || h.filename.empty());
    out.parts.push_back(Part{h, {}, false});
    if (h.name == "stop") return vc::make_error(vc::ErrorCode::forbidden, "stopped by the callback");
    return {};
  };
  cb.on_part_data = [&out](std::string_view d) -> vc::Result<void> {
    FUZZ_CHECK(!d.empty());
    FUZZ_CHECK(!out.parts.empty() && !out.parts.back().ended);
    out.parts.back().data += d;
    return {};
  };
  cb.on_part_end = [&out]() -> vc::Result<void> {
    FUZZ_CHECK(!out.parts.empty() && !out.parts.back().ended);
    out.parts.back().ended = true;
    return {};
  };
  vc::MultipartParser parser(boundary, cb, limits());
  std::size_t i = 0;
  while (i < body.size()) {
    const std::size_t n = next_size();
    auto r = parser.feed(body.substr(i, n));
    i += n;
    if (!r) {
      out.error = r.error();
      out.error_from_feed = true;
      // A failed parser stays failed with the same error.
      auto again = parser.feed("--XyZ--");
      FUZZ_CHECK(!again.ok() && again.error() == *out.error);
      FUZZ_CHECK(!parser.done());
      return out;
    }
  }
  out.done = parser.done();
  if (auto r = parser.finish(); !r) out.error = r.error();
  FUZZ_CHECK(out.done == !out.error.has_value());
  return out;
}

void check_outcome(const Outcome& o, std::string_view body) {
  const auto l = limits();
  FUZZ_CHECK(o.parts.size() <= l.max_parts);
  std::size_t total = 0;
  for (const auto& p : o.parts) {
    FUZZ_CHECK(p.data.size() <= l.max_part_bytes);
    total += p.data.size();
  }
  FUZZ_CHECK(total <= body.size());
  if (o.done) {
    for (const auto& p : o.parts) FUZZ_CHECK(p.ended);
  }
  if (o.error) {
    FUZZ_CHECK(!o.error->message.empty());
    const auto code = o.error->code;
    FUZZ_CHECK(code == vc::ErrorCode::invalid || code == vc::ErrorCode::too_large ||
               code == vc::ErrorCode::forbidden);
    if (code == vc::ErrorCode::forbidden) FUZZ_CHECK(!o.parts.empty() && o.parts.back().headers.name == "stop");
    if (!o.error_from_feed) FUZZ_CHECK(code == vc::ErrorCode::invalid);
  }
}

bool same_headers(const vc::MultipartPartHeaders& a, const vc::MultipartPartHeaders& b) {
  return a.name == b.name && a.filename == b.filename && a.has_filename == b.has_filename &&
         a.content_type == b.content_type;
}

// Chunking may change how much of a refused part was handed on before the refusal, never anything
// else: same parts, same headers, same bytes, same error.
void check_same(const Outcome& a, const Outcome& b) {
  FUZZ_CHECK(a.done == b.done);
  FUZZ_CHECK(a.error.has_value() == b.error.has_value());
  if (a.error) FUZZ_CHECK(*a.error == *b.error);
  FUZZ_CHECK(a.error_from_feed == b.error_from_feed);
  FUZZ_CHECK(a.parts.size() == b.parts.size());
  for (std::size_t i = 0; i < a.parts.size(); ++i) {
    const Part& x = a.parts[i];
    const Part& y = b.parts[i];
    FUZZ_CHECK(same_headers(x.headers, y.headers));
    FUZZ_CHECK(x.ended == y.ended);
    const bool last_cut_short = i + 1 == a.parts.size() && !x.ended && a.error_from_feed;
    if (last_cut_short) {
      const auto n = std::min(x.data.size(), y.data.size());
      FUZZ_CHECK(x.data.compare(0, n, y.data, 0, n) == 0);
    } else {
      FUZZ_CHECK(x.data == y.data);
    }
  }
}

void check_boundary(std::string_view content_type) {
  auto r = vc::multipart_boundary(content_type);
  if (!r) {
    FUZZ_CHECK(r.error().code == vc::ErrorCode::invalid || r.error().code == vc::ErrorCode::unsupported);
    FUZZ_CHECK(!r.error().message.empty());
    return;
  }
  const std::string& b = *r;
  FUZZ_CHECK(!b.empty() && b.size() <= 70 && b.back() != ' ');
  // bchars contain neither '"' nor '\', so quoting it again must give the same boundary back.
  auto again = vc::multipart_boundary("multipart/form-data; boundary=\"" + b + "\"");
  FUZZ_CHECK(again.ok() && *again == b);
  // And the parser accepts it.
  std::string seen;
  vc::MultipartParser::Callbacks cb;
  cb.on_part_data = [&seen](std::string_view d) -> vc::Result<void> {
    seen += d;
    return {};
  };
  vc::MultipartParser parser(b, cb);
  FUZZ_CHECK(parser.feed("--" + b + "\r\nContent-Disposition: form-data; name=\"n\"\r\n\r\nx\r\n--" + b + "--").ok());
  FUZZ_CHECK(parser.finish().ok());
  FUZZ_CHECK(seen == "x");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t seed = data[0];
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);

  const Outcome whole = run(body, [&] { return body.size(); });
  check_outcome(whole, body);

  const std::size_t fixed = (seed % 64) + 1;
  const Outcome chunked = run(body, [&] { return fixed; });
  check_outcome(chunked, body);
  check_same(whole, chunked);

  std::uint32_t state = seed * 2654435761u + 1;
  const Outcome random = run(body, [&] {
    state = state * 1664525u + 1013904223u;
    return static_cast<std::size_t>((state >> 24) % 17);  // 0..16: empty chunks must be harmless
  });
  check_outcome(random, body);
  check_same(whole, random);

  check_boundary(body);
  return 0;
}
