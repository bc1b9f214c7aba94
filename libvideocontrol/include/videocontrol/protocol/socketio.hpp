// Engine.IO v4 and Socket.IO v5 wire codecs (PROTOCOL.md): pure functions, no I/O. The server shell
// moves bytes; everything that interprets them is here, and fuzzed (fuzz/socketio_fuzz.cpp).
// Decoders take untrusted input and never crash on it: every malformed input is an Error.
#pragma once

#include "videocontrol/export.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "videocontrol/result.hpp"

namespace vc::eio {

// Engine.IO's default maxPayload (bytes): the open packet announces it, and the decoders refuse
// longer input as too_large, so one body or frame can never make the server hold more.
inline constexpr std::size_t max_payload = 1'000'000;

enum class PacketType : char {
  open = '0', close = '1', ping = '2', pong = '3', message = '4', upgrade = '5', noop = '6'
};

struct VC_API Packet {
  PacketType type = PacketType::message;
  std::string data;     // text after the type character, or the raw bytes of a binary message
  bool binary = false;  // binary message (WebSocket binary frame, or "b<base64>" in a polling payload)

  friend bool operator==(const Packet&, const Packet&) = default;
};

// One packet from a WebSocket text frame (binary frames are messages as they are).
// Errors: invalid (empty, unknown type); too_large (over max_payload).
VC_API Result<Packet> decode_packet(std::string_view text);
// The text of one packet for a WebSocket text frame. REQUIRES: !p.binary.
VC_API std::string encode_packet(const Packet& p);

// A long-polling body: packets separated by the record separator 0x1E; binary ones as "b" + base64
// (standard alphabet, padded; decoded strictly: only the canonical spelling is accepted).
// Errors: invalid (empty packet, unknown type, bad base64); too_large when the body is over
// max_payload or holds more than max_packets packets.
VC_API Result<std::vector<Packet>> decode_payload(std::string_view body, std::size_t max_packets = 1000);
// REQUIRES: no text packet's data contains 0x1E (it would split the packet in two).
VC_API std::string encode_payload(const std::vector<Packet>& packets);

}  // namespace vc::eio

namespace vc::sio {

// Deepest JSON nesting a packet may carry ("[[1]]" is 2); deeper is refused as invalid.
inline constexpr int max_json_depth = 64;

enum class PacketType : int {
  connect = 0, disconnect = 1, event = 2, ack = 3, connect_error = 4, binary_event = 5, binary_ack = 6
};

struct VC_API Packet {
  PacketType type = PacketType::event;
  std::string nsp = "/";
  std::optional<std::uint64_t> id;  // ack id, at most 18 decimal digits
  std::string data;                 // JSON text of the payload ("" when absent)
  int attachments = 0;              // binary packets only

  friend bool operator==(const Packet&, const Packet&) = default;
};

// Parses "<type>[<attachments>-][<nsp>,][<id>][<json>]" as socket.io-parser does: the namespace is
// present when the text after the type (and attachments) starts with '/', and runs to the first ','
// or the end. The JSON must be well-formed UTF-8, nest at most max_json_depth deep, and be of the
// shape the type requires: CONNECT an object (or absent), DISCONNECT absent, EVENT / BINARY_EVENT
// an array whose first element is a string, ACK / BINARY_ACK an array, CONNECT_ERROR an object (or
// a string, as socket.io-parser also accepts). `data` keeps the JSON text as received.
// Errors: invalid, with the reason; too_large when text is over eio::max_payload.
VC_API Result<Packet> decode(std::string_view text);
// REQUIRES: p.nsp starts with '/' and has no ','; p.id < 10^18; p.data is "" or valid JSON.
VC_API std::string encode(const Packet& p);

// An EVENT's name and its arguments as JSON texts (re-serialised compactly, one per argument).
// Accepts EVENT and BINARY_EVENT packets (placeholders stay in the arguments as they are).
// Errors: invalid when p is not an event or its data is not an event array.
struct VC_API Event {
  std::string name;
  std::vector<std::string> args;  // each a JSON value
};
VC_API Result<Event> event_of(const Packet& p);

// Builds EVENT / ACK packets on the default namespace from JSON texts of the arguments.
// REQUIRES: each args_json element is valid JSON; ack ids < 10^18.
VC_API Packet make_event(std::string_view name, const std::vector<std::string>& args_json, std::optional<std::uint64_t> ack_id = {});
VC_API Packet make_ack(std::uint64_t id, const std::vector<std::string>& args_json);

// JSON string literal for text (quotes and escapes), for building argument lists. Invalid UTF-8
// sequences become U+FFFD, so the result is always valid JSON.
VC_API std::string json_string(std::string_view text);

}  // namespace vc::sio
