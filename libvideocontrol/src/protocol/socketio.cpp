// Engine.IO v4 / Socket.IO v5 codecs (see videocontrol/protocol/socketio.hpp for the contract).
//
// The layouts follow engine.io-parser 4.x and socket.io-parser 4.x, so that every packet those
// libraries write decodes here to the same fields. Where they are lenient (base64 with any
// spelling, "5-" meaning zero attachments, JSON.parse's unbounded nesting) we are strict: a
// message from a real client never needs the leniency, and a single canonical reading is what
// makes the round-trip properties in fuzz/socketio_fuzz.cpp hold.
//
// JSON is read with RapidJSON's SAX reader in iterative mode (nesting lives on the heap, not the
// stack) over a MemoryStream, because the text is a string_view that is not NUL-terminated.
// Decoding only validates; `data` keeps the text as received, and only event_of re-serialises,
// one Writer pass per argument. Numbers are never converted: the reader hands over their
// validated text (kParseNumbersAsStringsFlag), which keeps an argument's numbers exactly as the
// client spelled them and avoids RapidJSON 1.1.0's full-precision strtod, whose zero-significand
// path ("0e70") is undefined behaviour (__builtin_clzll(0)). Out-of-range values such as 1e999
// are still refused by the reader's own checks.
#include "videocontrol/protocol/socketio.hpp"

#include <array>
#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "../util/utf8.hpp"
#include "videocontrol/json_writer.hpp"
#include "videocontrol/text.hpp"

namespace vc {
namespace {

// ---------------------------------------------------------------------------------------------
// Small text helpers

using text::describe_byte;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool utf8_valid(std::string_view s) { return utf8::valid(s); }

// Base64 (RFC 4648 §4, padded): what engine.io-parser writes for binary packets in polling bodies.
// Strict (one accepted spelling per byte string), so the fuzz target's round trips hold.
Result<std::string> base64_decode(std::string_view in) {
  auto r = text::base64_decode(in, text::Base64::standard);
  if (!r) return make_error(ErrorCode::invalid, fmt::format("binary packet is {}", r.error().message));
  return r;
}

// ---------------------------------------------------------------------------------------------
// JSON: SAX handlers with a nesting limit, and one parse routine that turns their verdicts and
// RapidJSON's into messages.

constexpr unsigned json_parse_flags =
    rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag | rapidjson::kParseNumbersAsStringsFlag;

// Shared by the handlers: nesting depth, and strings that decode to invalid UTF-8. The reader
// validates raw bytes, but an escaped lone low surrogate ("\udc00") still decodes to bytes that
// are not UTF-8, which a Writer would then pass on as such.
template <class Derived>
struct LimitedHandler : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, Derived> {
  int depth = 0;
  bool too_deep = false;
  bool bad_string = false;

  bool enter() {
    if (++depth > sio::max_json_depth) {
      too_deep = true;
      return false;
    }
    return true;
  }
  bool string_ok(const char* s, rapidjson::SizeType n) {
    if (utf8_valid(std::string_view(s, n))) return true;
    bad_string = true;
    return false;
  }
};

enum class JsonKind { none, scalar, string, array, object };

// Validation pass: records the kind of the root and, for an array root, of its first element.
struct ShapeScanner : LimitedHandler<ShapeScanner> {
  JsonKind root = JsonKind::none;
  JsonKind first = JsonKind::none;

  void value(JsonKind k) {
    if (depth == 0)
      root = k;
    else if (depth == 1 && root == JsonKind::array && first == JsonKind::none)
      first = k;
  }
  bool Default() { value(JsonKind::scalar); return true; }
  bool RawNumber(const char*, rapidjson::SizeType, bool) { return Default(); }  // not a string
  bool String(const char* s, rapidjson::SizeType n, bool) { value(JsonKind::string); return string_ok(s, n); }
  bool Key(const char* s, rapidjson::SizeType n, bool) { return string_ok(s, n); }
  bool StartObject() { value(JsonKind::object); return enter(); }
  bool EndObject(rapidjson::SizeType) { --depth; return true; }
  bool StartArray() { value(JsonKind::array); return enter(); }
  bool EndArray(rapidjson::SizeType) { --depth; return true; }
};

// event_of's pass: the root must be an array starting with a string (the name); every further
// element is written compactly by its own Writer run.
struct ArgSplitter : LimitedHandler<ArgSplitter> {
  bool not_event = false;
  std::size_t count = 0;  // elements of the root array begun so far
  std::string name;
  std::vector<std::string> args;
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> writer{buf};

  // Called as a value begins; false stops the parse (root not an array, name not a string).
  bool begin_value(bool is_string, bool is_array) {
    if (depth == 0) {
      if (!is_array) not_event = true;
      return is_array;
    }
    if (depth == 1 && ++count == 1 && !is_string) {
      not_event = true;
      return false;
    }
    return true;
  }
  // After an event: a depth-1 element that just ended goes to args.
  bool end_value(bool ok) {
    if (ok && depth == 1) {
      args.emplace_back(buf.GetString(), buf.GetSize());
      buf.Clear();
      writer.Reset(buf);
    }
    return ok;
  }

  bool Null() { return begin_value(false, false) && end_value(writer.Null()); }
  bool Bool(bool b) { return begin_value(false, false) && end_value(writer.Bool(b)); }
  bool Int(int i) { return begin_value(false, false) && end_value(writer.Int(i)); }
  bool Uint(unsigned u) { return begin_value(false, false) && end_value(writer.Uint(u)); }
  bool Int64(std::int64_t i) { return begin_value(false, false) && end_value(writer.Int64(i)); }
  bool Uint64(std::uint64_t u) { return begin_value(false, false) && end_value(writer.Uint64(u)); }
  bool Double(double d) { return begin_value(false, false) && end_value(writer.Double(d)); }
  // Writer::RawNumber would quote the digits in 1.1.0; RawValue writes them as they are.
  bool RawNumber(const char* s, rapidjson::SizeType n, bool) {
    return begin_value(false, false) && end_value(writer.RawValue(s, n, rapidjson::kNumberType));
  }
  bool String(const char* s, rapidjson::SizeType n, bool copy) {
    if (!begin_value(true, false) || !string_ok(s, n)) return false;
    if (depth == 1 && count == 1) {
      name.assign(s, n);
      return true;
    }
    return end_value(writer.String(s, n, copy));
  }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) { return string_ok(s, n) && writer.Key(s, n, copy); }
  bool StartObject() { return begin_value(false, false) && enter() && writer.StartObject(); }
  bool EndObject(rapidjson::SizeType n) {
    --depth;
    return end_value(writer.EndObject(n));
  }
  bool StartArray() {
    if (!begin_value(false, true)) return false;
    const bool root = depth == 0;
    return enter() && (root || writer.StartArray());
  }
  bool EndArray(rapidjson::SizeType n) {
    if (--depth == 0) return true;  // the root array itself is not written
    return end_value(writer.EndArray(n));
  }
};

// Parses json through handler h; the error names the first thing wrong. `what` prefixes it.
template <class Handler>
Result<void> parse_json(std::string_view json, Handler& h, std::string_view what) {
  rapidjson::MemoryStream stream(json.data(), json.size());
  rapidjson::Reader reader;
  const rapidjson::ParseResult r = reader.Parse<json_parse_flags>(stream, h);
  if (h.too_deep)
    return make_error(ErrorCode::invalid,
                      fmt::format("{}: JSON nests deeper than {} levels", what, sio::max_json_depth));
  if (h.bad_string)
    return make_error(ErrorCode::invalid, fmt::format("{}: a JSON string is not valid UTF-8 (unpaired surrogate)", what));
  if (r.IsError() && r.Code() != rapidjson::kParseErrorTermination)
    return make_error(ErrorCode::invalid, fmt::format("{}: invalid JSON: {} (at byte {} of the JSON)", what,
                                                      rapidjson::GetParseError_En(r.Code()), r.Offset()));
  if (r.IsError()) return make_error(ErrorCode::invalid, fmt::format("{}: invalid JSON", what));
  // MemoryStream reports its end as a NUL byte, so a NUL inside the text looks like the end to
  // the reader: whatever follows it would otherwise slip through as accepted trailing bytes.
  if (stream.Tell() != json.size())
    return make_error(ErrorCode::invalid,
                      fmt::format("{}: unexpected {} after the JSON value (at byte {} of the JSON)", what,
                                  describe_byte(json[stream.Tell()]), stream.Tell()));
  return {};
}

std::string_view sio_type_name(sio::PacketType t) {
  switch (t) {
    case sio::PacketType::connect: return "CONNECT";
    case sio::PacketType::disconnect: return "DISCONNECT";
    case sio::PacketType::event: return "EVENT";
    case sio::PacketType::ack: return "ACK";
    case sio::PacketType::connect_error: return "CONNECT_ERROR";
    case sio::PacketType::binary_event: return "BINARY_EVENT";
    case sio::PacketType::binary_ack: return "BINARY_ACK";
  }
  return "?";
}

// Checks p.data against what p.type allows (see decode in the header).
Result<void> check_payload(const sio::Packet& p) {
  const std::string_view type = sio_type_name(p.type);
  if (p.data.empty()) {
    switch (p.type) {
      case sio::PacketType::connect:
      case sio::PacketType::disconnect: return {};
      default: return make_error(ErrorCode::invalid, fmt::format("Socket.IO {} packet has no payload", type));
    }
  }
  if (p.type == sio::PacketType::disconnect)
    return make_error(ErrorCode::invalid, "Socket.IO DISCONNECT packet carries no payload");

  ShapeScanner shape;
  VC_TRY(parse_json(p.data, shape, fmt::format("Socket.IO {} packet", type)));
  auto shape_error = [&](std::string_view need) {
    return make_error(ErrorCode::invalid, fmt::format("Socket.IO {} payload must be {}", type, need));
  };
  switch (p.type) {
    case sio::PacketType::connect:
      if (shape.root != JsonKind::object) return shape_error("a JSON object");
      break;
    case sio::PacketType::connect_error:
      if (shape.root != JsonKind::object && shape.root != JsonKind::string)
        return shape_error("a JSON object or string");
      break;
    case sio::PacketType::event:
    case sio::PacketType::binary_event:
      if (shape.root != JsonKind::array || shape.first != JsonKind::string)
        return shape_error("a JSON array whose first element is the event name (a string)");
      break;
    case sio::PacketType::ack:
    case sio::PacketType::binary_ack:
      if (shape.root != JsonKind::array) return shape_error("a JSON array");
      break;
    case sio::PacketType::disconnect: break;
  }
  return {};
}

constexpr std::size_t max_ack_digits = 18;        // < 2^63: any such id fits, and JS clients stay far below
constexpr std::size_t max_attachment_digits = 9;  // fits an int

std::string join_array(std::string_view head, const std::vector<std::string>& items) {
  std::string out = "[";
  out += head;
  for (const auto& item : items) {
    if (out.size() > 1) out += ',';
    out += item;
  }
  out += ']';
  return out;
}

}  // namespace

// =============================================================================================
// Engine.IO

namespace eio {

Result<Packet> decode_packet(std::string_view text) {
  if (text.size() > max_payload)
    return make_error(ErrorCode::too_large,
                      fmt::format("Engine.IO packet of {} bytes is over maxPayload ({} bytes)", text.size(), max_payload));
  if (text.empty()) return make_error(ErrorCode::invalid, "empty Engine.IO packet");
  const char t = text.front();
  if (t < '0' || t > '6')
    return make_error(ErrorCode::invalid,
                      fmt::format("unknown Engine.IO packet type {} (expected '0'..'6')", describe_byte(t)));
  return Packet{static_cast<PacketType>(t), std::string(text.substr(1)), false};
}

std::string encode_packet(const Packet& p) {
  assert(!p.binary && "binary messages travel as WebSocket binary frames, not text");
  std::string out(1, static_cast<char>(p.type));
  out += p.data;
  return out;
}

Result<std::vector<Packet>> decode_payload(std::string_view body, std::size_t max_packets) {
  if (body.size() > max_payload)
    return make_error(ErrorCode::too_large,
                      fmt::format("Engine.IO payload of {} bytes is over maxPayload ({} bytes)", body.size(), max_payload));
  std::vector<Packet> packets;
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = body.find('\x1e', start);
    const std::string_view piece = body.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (packets.size() == max_packets)
      return make_error(ErrorCode::too_large,
                        fmt::format("Engine.IO payload holds more than {} packets", max_packets));
    const std::size_t index = packets.size() + 1;
    if (piece.empty())
      return make_error(ErrorCode::invalid, fmt::format("Engine.IO payload: packet {} is empty", index));
    if (piece.front() == 'b') {
      auto bytes = base64_decode(piece.substr(1));
      if (!bytes)
        return make_error(ErrorCode::invalid, fmt::format("Engine.IO payload: packet {}: {}", index, bytes.error().message));
      packets.push_back(Packet{PacketType::message, std::move(bytes).value(), true});
    } else {
      auto p = decode_packet(piece);
      if (!p)
        return make_error(p.error().code, fmt::format("Engine.IO payload: packet {}: {}", index, p.error().message));
      packets.push_back(std::move(p).value());
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return packets;
}

std::string encode_payload(const std::vector<Packet>& packets) {
  std::string out;
  for (std::size_t i = 0; i < packets.size(); ++i) {
    const Packet& p = packets[i];
    if (i > 0) out += '\x1e';
    if (p.binary) {
      out += 'b';
      out += text::base64_encode(p.data, text::Base64::standard);
    } else {
      assert(p.data.find('\x1e') == std::string::npos && "text packet would split at the record separator");
      out += static_cast<char>(p.type);
      out += p.data;
    }
  }
  return out;
}

}  // namespace eio

// =============================================================================================
// Socket.IO

namespace sio {

Result<Packet> decode(std::string_view text) {
  if (text.size() > eio::max_payload)
    return make_error(ErrorCode::too_large, fmt::format("Socket.IO packet of {} bytes is over maxPayload ({} bytes)",
                                                        text.size(), eio::max_payload));
  if (text.empty()) return make_error(ErrorCode::invalid, "empty Socket.IO packet");
  const char t = text.front();
  if (t < '0' || t > '6')
    return make_error(ErrorCode::invalid,
                      fmt::format("unknown Socket.IO packet type {} (expected '0'..'6')", describe_byte(t)));
  Packet p;
  p.type = static_cast<PacketType>(t - '0');
  std::size_t i = 1;

  if (p.type == PacketType::binary_event || p.type == PacketType::binary_ack) {
    std::size_t j = i;
    while (j < text.size() && is_digit(text[j])) ++j;
    if (j == i || j == text.size() || text[j] != '-')
      return make_error(ErrorCode::invalid,
                        fmt::format("Socket.IO {} packet must give its attachment count as digits followed by '-'",
                                    sio_type_name(p.type)));
    if (j - i > max_attachment_digits)
      return make_error(ErrorCode::invalid, fmt::format("Socket.IO attachment count has more than {} digits",
                                                        max_attachment_digits));
    p.attachments = 0;
    for (std::size_t k = i; k < j; ++k) p.attachments = p.attachments * 10 + (text[k] - '0');
    i = j + 1;
  }

  // As socket.io-parser: a namespace is there when the next character is '/', and ends at the
  // first ',' (consumed) or at the end of the text.
  if (i < text.size() && text[i] == '/') {
    const std::size_t comma = text.find(',', i);
    if (comma == std::string_view::npos) {
      p.nsp = std::string(text.substr(i));
      i = text.size();
    } else {
      p.nsp = std::string(text.substr(i, comma - i));
      i = comma + 1;
    }
  }

  std::size_t j = i;
  while (j < text.size() && is_digit(text[j])) ++j;
  if (j > i) {
    if (j - i > max_ack_digits)
      return make_error(ErrorCode::invalid,
                        fmt::format("Socket.IO ack id has {} digits; at most {} are accepted", j - i, max_ack_digits));
    std::uint64_t id = 0;
    for (std::size_t k = i; k < j; ++k) id = id * 10 + static_cast<std::uint64_t>(text[k] - '0');
    p.id = id;
    i = j;
  }

  p.data = std::string(text.substr(i));
  VC_TRY(check_payload(p));
  return p;
}

std::string encode(const Packet& p) {
  assert(!p.nsp.empty() && p.nsp.front() == '/' && p.nsp.find(',') == std::string::npos);
  std::string out(1, static_cast<char>('0' + static_cast<int>(p.type)));
  if (p.type == PacketType::binary_event || p.type == PacketType::binary_ack) {
    out += std::to_string(p.attachments);
    out += '-';
  }
  if (p.nsp != "/") {
    out += p.nsp;
    out += ',';
  }
  if (p.id) out += std::to_string(*p.id);
  out += p.data;
  return out;
}

Result<Event> event_of(const Packet& p) {
  if (p.type != PacketType::event && p.type != PacketType::binary_event)
    return make_error(ErrorCode::invalid,
                      fmt::format("Socket.IO {} packet is not an event", sio_type_name(p.type)));
  ArgSplitter split;
  auto parsed = parse_json(p.data, split, "Socket.IO event");
  if (split.not_event || (parsed && split.count == 0))
    return make_error(ErrorCode::invalid,
                      "Socket.IO event payload must be a JSON array whose first element is the event name (a string)");
  if (!parsed) return std::move(parsed).error();
  return Event{std::move(split.name), std::move(split.args)};
}

Packet make_event(std::string_view name, const std::vector<std::string>& args_json, std::optional<std::uint64_t> ack_id) {
  Packet p;
  p.type = PacketType::event;
  p.id = ack_id;
  p.data = join_array(json_string(name), args_json);
  return p;
}

Packet make_ack(std::uint64_t id, const std::vector<std::string>& args_json) {
  Packet p;
  p.type = PacketType::ack;
  p.id = id;
  p.data = join_array("", args_json);
  return p;
}

std::string json_string(std::string_view text) { return json_quote(text); }

}  // namespace sio
}  // namespace vc
