// Streaming multipart/form-data parser (see multipart.hpp for the contract).
//
// The body is one state machine over bytes. Preamble and part bodies are scanned for the delimiter
// "\r\n--" + boundary; a partial match at the end of a chunk is kept only as its length, because the
// bytes it stands for are the delimiter's own first bytes. That is what keeps memory independent of
// part size and lets every other byte be handed on in the feed() call that brought it. Header blocks
// are the one thing buffered, up to MultipartLimits::max_header_bytes, and parsed once complete.
#include "videocontrol/protocol/multipart.hpp"

#include "videocontrol/text.hpp"
#include "../util/utf8.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vc {
namespace {

constexpr std::size_t max_boundary_length = 70;  // RFC 2046 §5.1.1
constexpr std::size_t max_echo = 64;             // user text quoted in messages is cut to this

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

bool is_ows(char c) { return c == ' ' || c == '\t'; }

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

bool is_alnum(unsigned char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// RFC 9110 tchar: header names, parameter names and the bare words before the first ';'.
bool is_tchar(unsigned char c) {
  return is_alnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!is_tchar(static_cast<unsigned char>(c))) return false;
  return true;
}

// RFC 2046 bchars: what a boundary may contain (space only inside, never last).
bool is_bchar(unsigned char c) {
  return is_alnum(c) || std::string_view("'()+_,-./:=? ").find(static_cast<char>(c)) != std::string_view::npos;
}

// User text for an error message: shortened, with control bytes shown as '?', so a message is
// always one readable line however hostile the input.
std::string echo(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, max_echo)) {
    const auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? '?' : c;
  }
  if (s.size() > max_echo) out += "…";
  return out;
}

using text::describe_byte;

// The reason a boundary is unusable, or "" when RFC 2046 allows it.
std::string boundary_problem(std::string_view b) {
  if (b.empty()) return "multipart boundary is empty";
  if (b.size() > max_boundary_length)
    return "multipart boundary is " + std::to_string(b.size()) + " characters long; at most 70 are allowed";
  for (char c : b)
    if (!is_bchar(static_cast<unsigned char>(c)))
      return "multipart boundary \"" + echo(b) + "\" contains " + describe_byte(c) + ", which RFC 2046 does not allow";
  if (b.back() == ' ') return "multipart boundary \"" + echo(b) + "\" ends with a space";
  return "";
}

struct Param {
  std::string name;  // lower case
  std::string value;
};

// Parses `; name=value; name="quoted"` (what follows the first word of Content-Type and
// Content-Disposition). Empty list elements are tolerated, as senders emit trailing ';'. Inside
// quotes only \" and \\ are escapes: browsers put Windows paths in filename="…" with bare
// backslashes, and unescaping "\U" to "U" would silently change the name.
Result<std::vector<Param>> parse_params(std::string_view s, std::string_view header) {
  std::vector<Param> out;
  std::size_t i = 0;
  const auto malformed = [&](std::string what) {
    return make_error(ErrorCode::invalid, std::string(header) + " " + what);
  };
  while (true) {
    while (i < s.size() && (is_ows(s[i]) || s[i] == ';')) ++i;
    if (i == s.size()) return out;
    const std::size_t name_begin = i;
    while (i < s.size() && is_tchar(static_cast<unsigned char>(s[i]))) ++i;
    const std::string_view name = s.substr(name_begin, i - name_begin);
    if (name.empty()) return malformed("has a parameter starting with " + describe_byte(s[i]) + " instead of a name");
    while (i < s.size() && is_ows(s[i])) ++i;
    if (i == s.size() || s[i] != '=')
      return malformed("parameter \"" + echo(name) + "\" has no '=' and value");
    ++i;
    while (i < s.size() && is_ows(s[i])) ++i;
    Param p{lower(name), {}};
    if (i < s.size() && s[i] == '"') {
      ++i;
      bool closed = false;
      while (i < s.size()) {
        const char c = s[i++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\' && i < s.size() && (s[i] == '"' || s[i] == '\\')) {
          p.value += s[i++];
        } else {
          p.value += c;
        }
      }
      if (!closed) return malformed("parameter \"" + echo(name) + "\" has an unterminated quoted value");
      while (i < s.size() && is_ows(s[i])) ++i;
      if (i < s.size() && s[i] != ';')
        return malformed("parameter \"" + echo(name) + "\" has " + describe_byte(s[i]) + " after its quoted value");
    } else {
      // Unquoted: up to the next ';'. Looser than a token so that "filename=my file.txt" from
      // careless clients still works; nothing ambiguous is accepted because ';' always ends it.
      const std::size_t end = std::min(s.find(';', i), s.size());
      p.value = std::string(trim_ows(s.substr(i, end - i)));
      i = end;
      if (p.value.empty()) return malformed("parameter \"" + echo(name) + "\" has an empty value");
    }
    out.push_back(std::move(p));
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 5987 ext-value: charset'language'percent-encoded. Recipients must support UTF-8 and
// ISO-8859-1; the latter is widened to UTF-8 so callers see one encoding.
Result<std::string> decode_ext_value(std::string_view v) {
  const auto q1 = v.find('\'');
  const auto q2 = q1 == std::string_view::npos ? q1 : v.find('\'', q1 + 1);
  if (q2 == std::string_view::npos)
    return make_error(ErrorCode::invalid, "Content-Disposition filename* is not of the form charset'language'value");
  const std::string_view charset = v.substr(0, q1);
  const bool latin1 = iequals(charset, "iso-8859-1");
  if (!latin1 && !iequals(charset, "utf-8"))
    return make_error(ErrorCode::invalid, "Content-Disposition filename* uses charset \"" + echo(charset) +
                                              "\"; only UTF-8 and ISO-8859-1 are supported");
  std::string out;
  const std::string_view enc = v.substr(q2 + 1);
  for (std::size_t i = 0; i < enc.size(); ++i) {
    auto byte = static_cast<unsigned char>(enc[i]);
    if (enc[i] == '%') {
      if (enc.size() - i < 3 || hex_value(enc[i + 1]) < 0 || hex_value(enc[i + 2]) < 0)
        return make_error(ErrorCode::invalid, "Content-Disposition filename* has a malformed %-escape");
      byte = static_cast<unsigned char>(hex_value(enc[i + 1]) * 16 + hex_value(enc[i + 2]));
      i += 2;
    }
    if (latin1 && byte >= 0x80) {
      out += static_cast<char>(0xc0 | (byte >> 6));
      out += static_cast<char>(0x80 | (byte & 0x3f));
    } else {
      out += static_cast<char>(byte);
    }
  }
  if (!latin1 && !utf8::valid(out))
    return make_error(ErrorCode::invalid, "Content-Disposition filename* says UTF-8 but its bytes are not valid UTF-8");
  return out;
}

}  // namespace

struct MultipartParser::Impl {
  enum class State {
    preamble,        // before the first delimiter; bytes are dropped
    after_delimiter, // just after "\r\n--boundary": "--" (end) or padding and CRLF (next part)
    after_dash,      // saw one '-' of the closing "--"
    padding,         // spaces/tabs after a boundary
    after_cr,        // saw the CR of the boundary line's CRLF
    headers,         // collecting a header block
    body,            // part bytes, scanning for the delimiter
    done,            // closing boundary seen; the epilogue is dropped
    failed,
  };

  std::string boundary;
  std::string delimiter;            // "\r\n--" + boundary
  std::vector<std::size_t> prefix;  // KMP prefix function of delimiter
  Callbacks callbacks;
  MultipartLimits limits;

  State state = State::preamble;
  // How many leading bytes of the delimiter the input currently ends with. Starts at 2 so the first
  // boundary line may open the body without a CRLF before it (RFC 2046 allows either).
  std::size_t matched = 2;
  std::string header_block;
  std::string part_name;  // for messages about the current part
  std::size_t parts = 0;
  std::uint64_t part_bytes = 0;
  std::optional<Error> error;

  Impl(std::string b, Callbacks cb, MultipartLimits lim)
      : boundary(std::move(b)), delimiter("\r\n--" + boundary), callbacks(std::move(cb)), limits(lim) {
    prefix.assign(delimiter.size(), 0);
    for (std::size_t i = 1, k = 0; i < delimiter.size(); ++i) {
      while (k > 0 && delimiter[i] != delimiter[k]) k = prefix[k - 1];
      if (delimiter[i] == delimiter[k]) ++k;
      prefix[i] = k;
    }
    if (auto problem = boundary_problem(boundary); !problem.empty())
      fail(make_error(ErrorCode::invalid, std::move(problem)));
  }

  Error fail(Error e) {
    error = e;
    state = State::failed;
    return e;
  }

  Error fail_invalid(std::string message) { return fail(make_error(ErrorCode::invalid, std::move(message))); }

  Result<void> call(Result<void> r) {
    if (!r.ok()) return fail(std::move(r).error());
    return {};
  }

  Result<void> emit(std::string_view data) {
    if (data.empty() || state == State::preamble) return {};
    if (data.size() > limits.max_part_bytes - part_bytes)
      return fail(make_error(ErrorCode::too_large, "part \"" + echo(part_name) + "\" is larger than " +
                                                       std::to_string(limits.max_part_bytes) + " bytes"));
    part_bytes += data.size();
    if (callbacks.on_part_data) return call(callbacks.on_part_data(data));
    return {};
  }

  // Consumes `in` up to and including the next delimiter, handing the bytes before it to emit().
  // Returns whether the delimiter completed; if not, all of `in` was consumed.
  Result<bool> scan(std::string_view& in) {
    const std::string_view d = delimiter;
    // A partial match carried over from the last chunk: extend it byte by byte, and on a mismatch
    // fall back (KMP) to the longest delimiter prefix that still fits, releasing the bytes it drops.
    while (matched > 0 && !in.empty()) {
      if (d[matched] == in.front()) {
        in.remove_prefix(1);
        if (++matched == d.size()) {
          matched = 0;
          return true;
        }
        continue;
      }
      std::size_t k = matched;
      while (k > 0 && d[k] != in.front()) k = prefix[k - 1];
      VC_TRY(emit(d.substr(0, matched - k)));
      matched = k;
    }
    if (in.empty()) return false;
    // Nothing pending: search the chunk in bulk, the fast path for large parts.
    if (const auto pos = in.find(d); pos != std::string_view::npos) {
      VC_TRY(emit(in.substr(0, pos)));
      in.remove_prefix(pos + d.size());
      return true;
    }
    // Hold back the longest tail that could still be the start of the delimiter.
    std::size_t tail = in.size() >= d.size() ? in.size() - (d.size() - 1) : 0;
    for (; tail < in.size(); ++tail)
      if (in[tail] == d[0] && d.substr(0, in.size() - tail) == in.substr(tail)) break;
    VC_TRY(emit(in.substr(0, tail)));
    matched = in.size() - tail;
    in = {};
    return false;
  }

  Result<void> begin_part_headers() {
    if (parts == limits.max_parts)
      return fail(make_error(ErrorCode::too_large, "body has more than " + std::to_string(limits.max_parts) + " parts"));
    ++parts;
    header_block.clear();
    state = State::headers;
    return {};
  }

  Result<void> read_headers(std::string_view& in) {
    while (!in.empty()) {
      const auto nl = in.find('\n');
      const std::size_t take = nl == std::string_view::npos ? in.size() : nl + 1;
      if (take > limits.max_header_bytes - header_block.size())
        return fail(make_error(ErrorCode::too_large, "part headers are longer than " +
                                                         std::to_string(limits.max_header_bytes) + " bytes"));
      header_block.append(in.substr(0, take));
      in.remove_prefix(take);
      if (nl == std::string_view::npos) return {};
      if (header_block == "\r\n" || header_block.ends_with("\r\n\r\n")) {
        auto headers = parse_header_block();
        if (!headers) return fail(std::move(headers).error());
        part_name = headers->name;
        part_bytes = 0;
        matched = 0;
        state = State::body;
        header_block.clear();
        header_block.shrink_to_fit();  // a large block's buffer is not kept for the whole part
        if (callbacks.on_part_begin) return call(callbacks.on_part_begin(*headers));
        return {};
      }
    }
    return {};
  }

  // REQUIRES: header_block is CRLF-terminated lines ending with an empty line.
  Result<MultipartPartHeaders> parse_header_block() const {
    std::vector<std::pair<std::string, std::string>> fields;
    std::string_view rest = std::string_view(header_block).substr(0, header_block.size() - 2);
    const std::string dash_boundary = "--" + boundary;
    while (!rest.empty()) {
      const auto end = rest.find("\r\n");
      const std::string_view line = rest.substr(0, end);
      rest.remove_prefix(end + 2);
      if (line.empty()) continue;  // cannot happen: the first empty line ends the block
      if (line.starts_with(dash_boundary))
        return make_error(ErrorCode::invalid, "part headers run into the next boundary; they must end with an empty line");
      for (char c : line) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '\r' || c == '\n') return make_error(ErrorCode::invalid, "part header line contains a bare CR or LF");
        if ((u < 0x20 && c != '\t') || u == 0x7f)
          return make_error(ErrorCode::invalid, "part header line \"" + echo(line) + "\" contains a control character");
      }
      if (is_ows(line.front())) {
        // obs-fold (RFC 9110 §5.5): a continuation of the previous field, joined with one space.
        if (fields.empty()) return make_error(ErrorCode::invalid, "part headers start with a continuation line");
        fields.back().second += ' ';
        fields.back().second += trim_ows(line);
        continue;
      }
      const auto colon = line.find(':');
      const std::string_view name = line.substr(0, colon);
      if (colon == std::string_view::npos || !is_token(name))
        return make_error(ErrorCode::invalid, "part header line \"" + echo(line) + "\" is not of the form \"Name: value\"");
      fields.emplace_back(lower(name), std::string(trim_ows(line.substr(colon + 1))));
    }

    MultipartPartHeaders h;
    std::optional<std::string> disposition;
    bool has_content_type = false;
    for (auto& [name, value] : fields) {
      if (name == "content-disposition") {
        if (disposition) return make_error(ErrorCode::invalid, "part headers repeat Content-Disposition");
        disposition = std::move(value);
      } else if (name == "content-type") {
        if (has_content_type) return make_error(ErrorCode::invalid, "part headers repeat Content-Type");
        has_content_type = true;
        h.content_type = std::move(value);
      }
    }
    if (!disposition) return make_error(ErrorCode::invalid, "part headers are missing Content-Disposition");

    const std::string_view cd = *disposition;
    const auto semi = cd.find(';');
    const std::string_view type = trim_ows(cd.substr(0, semi));
    if (!iequals(type, "form-data"))
      return make_error(ErrorCode::invalid, "part Content-Disposition is \"" + echo(type) + "\", expected form-data");
    auto params = parse_params(semi == std::string_view::npos ? std::string_view() : cd.substr(semi + 1),
                               "part Content-Disposition");
    if (!params) return std::move(params).error();
    // A repeated parameter is refused rather than resolved: two parsers picking different copies is
    // how one field gets smuggled past a check made by another.
    std::optional<std::string> name, filename, filename_ext;
    for (auto& p : *params) {
      std::optional<std::string>* slot = p.name == "name"        ? &name
                                         : p.name == "filename"  ? &filename
                                         : p.name == "filename*" ? &filename_ext
                                                                 : nullptr;
      if (!slot) continue;
      if (*slot) return make_error(ErrorCode::invalid, "part Content-Disposition repeats the " + p.name + " parameter");
      *slot = std::move(p.value);
    }
    if (!name) return make_error(ErrorCode::invalid, "part Content-Disposition has no name parameter");
    h.name = std::move(*name);
    if (filename_ext) {
      auto decoded = decode_ext_value(*filename_ext);
      if (!decoded) return std::move(decoded).error();
      h.filename = std::move(*decoded);
      h.has_filename = true;
    } else if (filename) {
      h.filename = std::move(*filename);
      h.has_filename = true;
    }
    return h;
  }

  Result<void> feed(std::string_view in) {
    while (true) {
      switch (state) {
        case State::failed: return *error;
        case State::done: return {};  // epilogue
        default: break;
      }
      if (in.empty()) return {};
      switch (state) {
        case State::preamble:
        case State::body: {
          const bool in_part = state == State::body;
          auto found = scan(in);
          if (!found) return std::move(found).error();
          if (*found) {
            state = State::after_delimiter;
            if (in_part && callbacks.on_part_end) VC_TRY(call(callbacks.on_part_end()));
          }
          break;
        }
        case State::headers: VC_TRY(read_headers(in)); break;
        default: VC_TRY(boundary_line_byte(in.front())); in.remove_prefix(1); break;
      }
    }
  }

  // The rest of a boundary line, one byte at a time (it is a few bytes at most, plus padding).
  Result<void> boundary_line_byte(char c) {
    const auto unexpected = [&] {
      return fail_invalid("boundary \"--" + boundary + "\" is followed by " + describe_byte(c) +
                          " instead of a line break or \"--\"");
    };
    switch (state) {
      case State::after_delimiter:
        if (c == '-') state = State::after_dash;
        else if (is_ows(c)) state = State::padding;
        else if (c == '\r') state = State::after_cr;
        else return unexpected();
        return {};
      case State::after_dash:
        if (c != '-') return unexpected();
        state = State::done;
        return {};
      case State::padding:
        if (c == '\r') state = State::after_cr;
        else if (!is_ows(c)) return unexpected();
        return {};
      case State::after_cr:
        if (c != '\n') return fail_invalid("boundary line \"--" + boundary + "\" ends with a bare CR");
        return begin_part_headers();
      default: return {};
    }
  }

  Result<void> finish() {
    switch (state) {
      case State::failed: return *error;
      case State::done: return {};
      case State::preamble:
        return fail_invalid("body has no boundary line \"--" + boundary + "\"; is the Content-Type boundary right?");
      case State::headers: return fail_invalid("body ended inside a part's headers");
      default: return fail_invalid("body ended before the closing boundary \"--" + boundary + "--\"");
    }
  }
};

MultipartParser::MultipartParser(std::string boundary, Callbacks callbacks, MultipartLimits limits)
    : impl_(std::make_unique<Impl>(std::move(boundary), std::move(callbacks), limits)) {}
MultipartParser::~MultipartParser() = default;
MultipartParser::MultipartParser(MultipartParser&&) noexcept = default;
MultipartParser& MultipartParser::operator=(MultipartParser&&) noexcept = default;

Result<void> MultipartParser::feed(std::string_view chunk) {
  try {
    return impl_->feed(chunk);
  } catch (...) {
    // The state machine may be mid-step; refuse everything after rather than resume from it.
    impl_->fail(make_error(ErrorCode::internal, "a multipart callback threw an exception"));
    throw;
  }
}

Result<void> MultipartParser::finish() { return impl_->finish(); }

bool MultipartParser::done() const noexcept { return impl_ && impl_->state == Impl::State::done; }

Result<std::string> multipart_boundary(std::string_view content_type) {
  const auto semi = content_type.find(';');
  const std::string_view type = trim_ows(content_type.substr(0, semi));
  if (!iequals(type, "multipart/form-data"))
    return make_error(ErrorCode::unsupported,
                      "Content-Type \"" + echo(type) + "\" is not supported here; send multipart/form-data");
  auto params = parse_params(semi == std::string_view::npos ? std::string_view() : content_type.substr(semi + 1),
                             "Content-Type");
  if (!params) return std::move(params).error();
  std::optional<std::string> boundary;
  for (auto& p : *params) {
    if (p.name != "boundary") continue;
    if (boundary) return make_error(ErrorCode::invalid, "Content-Type has more than one boundary parameter");
    boundary = std::move(p.value);
  }
  if (!boundary) return make_error(ErrorCode::invalid, "Content-Type multipart/form-data has no boundary parameter");
  if (auto problem = boundary_problem(*boundary); !problem.empty())
    return make_error(ErrorCode::invalid, std::move(problem));
  return std::move(*boundary);
}

std::string multipart_file_head(std::string_view boundary, std::string_view field, std::string_view filename) {
  std::string out = "--";
  out.append(boundary);
  out += "\r\nContent-Disposition: form-data; name=\"";
  out.append(field);
  out += "\"; filename=\"";
  for (char c : filename) {
    if (c == '"') out += "%22";
    else if (c == '\\') out += "%5C";
    else if (c == '\r') out += "%0D";
    else if (c == '\n') out += "%0A";
    else out += c;
  }
  out += "\"\r\nContent-Type: application/octet-stream\r\n\r\n";
  return out;
}

std::string multipart_close(std::string_view boundary) {
  std::string out = "\r\n--";
  out.append(boundary);
  out += "--\r\n";
  return out;
}

}  // namespace vc
