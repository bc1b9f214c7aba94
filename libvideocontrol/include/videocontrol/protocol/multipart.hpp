// A streaming multipart/form-data parser (RFC 7578 over RFC 2046 §5.1). It is fed the request body
// in chunks of any size, as they arrive from the network, and reports parts through callbacks, so a
// multi-GiB upload is never held in memory. Pure: no I/O, no allocation proportional to part size.
#pragma once

#include "videocontrol/export.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "videocontrol/result.hpp"

namespace vc {

struct VC_API MultipartPartHeaders {
  // Content-Disposition name="…" (required by RFC 7578; may be empty when sent as name="").
  std::string name;
  // Content-Disposition filename*= (RFC 5987, UTF-8 or ISO-8859-1, decoded to UTF-8) when present,
  // else filename="…". Raw and untrusted: it may hold "../", slashes, backslashes or any UTF-8;
  // turning it into anything path-like is the caller's job (DESIGN.md principle 5). Inside quotes
  // only \" and \\ are unescaped: browsers send Windows paths with bare backslashes.
  std::string filename;
  bool has_filename = false;  // true even for filename="" (a file input with no file chosen)
  std::string content_type;  // Content-Type of the part, trimmed, parameters kept ("" if absent)
};

// Each limit is checked at the same input position whatever the chunking, so a body is refused
// the same way however it arrives.
struct VC_API MultipartLimits {
  // Per part's header block, counting line ends and the empty line; over it: too_large.
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_parts = 1000;  // a further part: too_large
  std::uint64_t max_part_bytes = UINT64_MAX;  // body bytes of one part; over it: too_large
};

// Parts are reported in order: on_part_begin, zero or more on_part_data, on_part_end. Memory use is
// O(boundary length + max_header_bytes): body bytes are handed on in the feed() call that proves
// they are not the start of a boundary, so at most boundary length + 3 bytes wait for the next chunk.
// Preamble and epilogue are ignored; padding (spaces, tabs) after a boundary is tolerated. Not
// thread-safe; callbacks must not call back into the parser.
class VC_API MultipartParser {
 public:
  // Empty std::function members are skipped. A callback that throws leaves the parser failed and
  // the exception propagates out of feed().
  struct Callbacks {
    // A part's headers are complete. Return an error to stop parsing (it is returned from feed()).
    std::function<Result<void>(const MultipartPartHeaders&)> on_part_begin;
    // Some body bytes of the current part (any size, never empty). The view is only valid during
    // the call. An error stops parsing.
    std::function<Result<void>(std::string_view)> on_part_data;
    // The current part ended (its closing boundary was seen). An error stops parsing.
    std::function<Result<void>()> on_part_end;
  };

  // boundary: the value of the boundary parameter (without leading "--"), e.g. from
  // multipart_boundary(). One RFC 2046 forbids makes every feed() and finish() fail with invalid.
  MultipartParser(std::string boundary, Callbacks callbacks, MultipartLimits limits = {});
  ~MultipartParser();
  // A moved-from parser may only be destroyed or assigned to.
  MultipartParser(MultipartParser&&) noexcept;
  MultipartParser& operator=(MultipartParser&&) noexcept;

  // Feeds the next chunk. Errors: invalid (malformed body, with a message), too_large (a limit), or
  // whatever a callback returned. After an error the parser stays failed and returns that error.
  // Bytes after the closing boundary (the epilogue) are ignored.
  Result<void> feed(std::string_view chunk);

  // Call after the last chunk. Errors: invalid when the closing boundary was not seen (truncated),
  // or the error feed() already returned.
  Result<void> finish();

  bool done() const noexcept;  // the closing boundary "--boundary--" was seen

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Extracts the boundary from a Content-Type header value ("multipart/form-data; boundary=…",
// quoted or not; the type and parameter names are case-insensitive, other parameters are ignored).
// Errors: unsupported when the type is not multipart/form-data, invalid when the parameters are
// malformed or the boundary is missing, repeated, empty, longer than 70 characters or has
// characters RFC 2046 forbids.
VC_API Result<std::string> multipart_boundary(std::string_view content_type);

// Writing a body of one file part (clients: vcctl, the C API's uploads): what goes before the file's
// bytes ("--boundary", Content-Disposition with `field` and `filename`, Content-Type
// application/octet-stream, blank line) and what closes the body after them. A quote, backslash or
// line break in the file name is escaped as browsers do (%22, %5C, %0D, %0A), so the name cannot end
// the header parameter. REQUIRES: `boundary` and `field` are valid tokens (no quotes or line breaks).
VC_API std::string multipart_file_head(std::string_view boundary, std::string_view field, std::string_view filename);
VC_API std::string multipart_close(std::string_view boundary);

}  // namespace vc
