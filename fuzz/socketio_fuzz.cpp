// libFuzzer target for the Engine.IO v4 / Socket.IO v5 codecs (videocontrol/protocol/socketio.hpp,
// libvideocontrol/src/protocol/socketio.cpp): everything a device or browser sends on the
// realtime channel goes through these decoders before anything else looks at it.
//
// The whole input is used as: a WebSocket text frame (eio::decode_packet), a polling body
// (eio::decode_payload, and sio::decode on each text message in it), a Socket.IO packet
// (sio::decode, then event_of), and an event name (json_string / make_event).
// Invariants:
//   - refusals are `invalid` (or `too_large` for input over maxPayload) with a message;
//   - the decoders are exact inverses of the encoders on what they accept: an accepted frame or
//     body re-encodes to the same bytes (the strict base64 has one spelling per byte string), and
//     a decoded Socket.IO packet re-encodes to text that decodes to equal fields;
//   - a decoded EVENT always splits (event_of), and rebuilding it with make_event from its name
//     and argument texts gives an event with the same name and arguments;
//   - json_string always yields a JSON string that decodes, to the text itself when it is UTF-8.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "videocontrol/protocol/socketio.hpp"

#include "fuzz_check.hpp"

namespace {

bool is_event(vc::sio::PacketType t) {
  return t == vc::sio::PacketType::event || t == vc::sio::PacketType::binary_event;
}

void check_sio(std::string_view in) {
  auto r = vc::sio::decode(in);
  if (!r) {
    FUZZ_CHECK(!r.error().message.empty());
    FUZZ_CHECK(r.error().code == vc::ErrorCode::invalid ||
               (r.error().code == vc::ErrorCode::too_large && in.size() > vc::eio::max_payload));
    return;
  }
  const vc::sio::Packet& p = *r;
  FUZZ_CHECK(!p.nsp.empty() && p.nsp.front() == '/' && p.nsp.find(',') == std::string::npos);
  FUZZ_CHECK(!p.id || *p.id < 1'000'000'000'000'000'000ULL);
  const bool binary = p.type == vc::sio::PacketType::binary_event || p.type == vc::sio::PacketType::binary_ack;
  FUZZ_CHECK(binary ? p.attachments >= 0 : p.attachments == 0);

  const std::string again = vc::sio::encode(p);
  auto r2 = vc::sio::decode(again);
  FUZZ_CHECK(r2.ok());
  FUZZ_CHECK(*r2 == p);
  FUZZ_CHECK(vc::sio::encode(*r2) == again);

  auto ev = vc::sio::event_of(p);
  FUZZ_CHECK(ev.ok() == is_event(p.type));
  if (!ev) return;
  const vc::sio::Packet rebuilt = vc::sio::make_event(ev->name, ev->args, p.id);
  auto r3 = vc::sio::decode(vc::sio::encode(rebuilt));
  FUZZ_CHECK(r3.ok());
  FUZZ_CHECK(r3->id == p.id);
  auto ev3 = vc::sio::event_of(*r3);
  FUZZ_CHECK(ev3.ok());
  FUZZ_CHECK(ev3->name == ev->name);
  FUZZ_CHECK(ev3->args == ev->args);
}

void check_eio_packet(std::string_view in) {
  auto r = vc::eio::decode_packet(in);
  if (!r) {
    FUZZ_CHECK(!r.error().message.empty());
    FUZZ_CHECK(r.error().code == vc::ErrorCode::invalid ||
               (r.error().code == vc::ErrorCode::too_large && in.size() > vc::eio::max_payload));
    return;
  }
  FUZZ_CHECK(!r->binary);
  FUZZ_CHECK(vc::eio::encode_packet(*r) == in);
}

void check_eio_payload(std::string_view in) {
  constexpr std::size_t max_packets = 64;
  auto r = vc::eio::decode_payload(in, max_packets);
  if (!r) {
    FUZZ_CHECK(!r.error().message.empty());
    if (r.error().code == vc::ErrorCode::too_large) {
      const auto separators = static_cast<std::size_t>(std::count(in.begin(), in.end(), '\x1e'));
      FUZZ_CHECK(in.size() > vc::eio::max_payload || separators + 1 > max_packets);
    } else {
      FUZZ_CHECK(r.error().code == vc::ErrorCode::invalid);
    }
    return;
  }
  FUZZ_CHECK(!r->empty() && r->size() <= max_packets);
  const std::string body = vc::eio::encode_payload(*r);
  FUZZ_CHECK(body == in);
  auto again = vc::eio::decode_payload(body, max_packets);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(*again == *r);
  for (const auto& p : *r)
    if (!p.binary && p.type == vc::eio::PacketType::message) check_sio(p.data);
}

void check_json_string(std::string_view in) {
  const std::string literal = vc::sio::json_string(in);
  FUZZ_CHECK(literal.size() >= 2 && literal.front() == '"' && literal.back() == '"');
  const std::string text = vc::sio::encode(vc::sio::make_event(in, {literal}));
  if (text.size() > vc::eio::max_payload) return;
  auto p = vc::sio::decode(text);
  FUZZ_CHECK(p.ok());
  auto ev = vc::sio::event_of(*p);
  FUZZ_CHECK(ev.ok());
  FUZZ_CHECK(ev->args.size() == 1);
  // The name read back is the text with invalid UTF-8 repaired; quoting it again changes nothing.
  FUZZ_CHECK(vc::sio::json_string(ev->name) == literal);
  const bool ascii = std::all_of(in.begin(), in.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (ascii) FUZZ_CHECK(ev->name == in);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  check_eio_packet(in);
  check_eio_payload(in);
  check_sio(in);
  check_json_string(in);
  return 0;
}
