// Tests for the Engine.IO v4 / Socket.IO v5 codecs (videocontrol/protocol/socketio.hpp). The wire
// strings are the ones the public protocol documents and the JS parsers produce, so a pass here
// means real clients' packets decode to the fields the gateway expects.
#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "videocontrol/protocol/socketio.hpp"

using namespace vc;
using namespace std::string_literals;

namespace {

// The error code for a text the Socket.IO decoder must refuse (fails the test if it accepts it).
ErrorCode sio_refusal(std::string_view text) {
  auto r = sio::decode(text);
  REQUIRE_FALSE(r.ok());
  CHECK_FALSE(r.error().message.empty());
  return r.error().code;
}

ErrorCode eio_payload_refusal(std::string_view body, std::size_t max_packets = 1000) {
  auto r = eio::decode_payload(body, max_packets);
  REQUIRE_FALSE(r.ok());
  CHECK_FALSE(r.error().message.empty());
  return r.error().code;
}

std::string nested_event(int depth) {  // an event whose second argument nests `depth` levels in all
  return "2[\"e\"," + std::string(static_cast<std::size_t>(depth - 1), '[') + std::string(static_cast<std::size_t>(depth - 1), ']') + "]";
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Engine.IO packets

TEST_CASE("the Engine.IO open packet decodes to type open with the handshake JSON as data") {
  const std::string open =
      R"(0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000})";
  auto p = eio::decode_packet(open);
  REQUIRE(p.ok());
  CHECK(p->type == eio::PacketType::open);
  CHECK(p->data == open.substr(1));
  CHECK_FALSE(p->binary);
  CHECK(eio::encode_packet(*p) == open);
}

TEST_CASE("Engine.IO ping, pong, probe, upgrade, noop and close packets decode by their type digit") {
  struct Case { std::string text; eio::PacketType type; std::string data; };
  const std::vector<Case> cases = {
      {"2", eio::PacketType::ping, ""},        {"3", eio::PacketType::pong, ""},
      {"2probe", eio::PacketType::ping, "probe"}, {"3probe", eio::PacketType::pong, "probe"},
      {"5", eio::PacketType::upgrade, ""},     {"6", eio::PacketType::noop, ""},
      {"1", eio::PacketType::close, ""},       {"4hello", eio::PacketType::message, "hello"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    auto p = eio::decode_packet(c.text);
    REQUIRE(p.ok());
    CHECK(p->type == c.type);
    CHECK(p->data == c.data);
    CHECK(eio::encode_packet(*p) == c.text);
  }
}

TEST_CASE("an empty or unknown-type Engine.IO packet is invalid") {
  for (std::string bad : {""s, "7"s, "x"s, "b"s, "\x1e"s, "/4"s}) {
    CAPTURE(bad);
    auto p = eio::decode_packet(bad);
    REQUIRE_FALSE(p.ok());
    CHECK(p.error().code == ErrorCode::invalid);
  }
}

TEST_CASE("an Engine.IO packet over maxPayload is too_large") {
  const std::string big = "4" + std::string(eio::max_payload, 'a');
  auto p = eio::decode_packet(big);
  REQUIRE_FALSE(p.ok());
  CHECK(p.error().code == ErrorCode::too_large);
  CHECK(eio::decode_packet(big.substr(0, eio::max_payload)).ok());
}

// ---------------------------------------------------------------------------------------------
// Engine.IO polling payloads

TEST_CASE("a polling payload splits at the record separator into its packets") {
  auto r = eio::decode_payload("40\x1e" R"(42["player/register",{"device_id":"tv1"}])" "\x1e" "2\x1e" "6");
  REQUIRE(r.ok());
  REQUIRE(r->size() == 4);
  CHECK((*r)[0] == eio::Packet{eio::PacketType::message, "0", false});
  CHECK((*r)[1] == eio::Packet{eio::PacketType::message, R"(2["player/register",{"device_id":"tv1"}])", false});
  CHECK((*r)[2] == eio::Packet{eio::PacketType::ping, "", false});
  CHECK((*r)[3] == eio::Packet{eio::PacketType::noop, "", false});
}

TEST_CASE("a binary packet in a polling payload is 'b' plus base64 (engine.io-parser's own example)") {
  // engine.io-parser 4.0.0 changelog: [message "hello", message <01 02 03>] -> "4hello\x1ebAQID".
  const std::string body = "4hello\x1e" "bAQID";
  auto r = eio::decode_payload(body);
  REQUIRE(r.ok());
  REQUIRE(r->size() == 2);
  CHECK((*r)[0] == eio::Packet{eio::PacketType::message, "hello", false});
  CHECK((*r)[1] == eio::Packet{eio::PacketType::message, "\x01\x02\x03", true});
  CHECK(eio::encode_payload(*r) == body);
}

TEST_CASE("base64 in polling payloads pads, round-trips every byte value, and allows an empty message") {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (std::size_t n : {0u, 1u, 2u, 3u, 4u, 5u, 256u}) {
    CAPTURE(n);
    const std::vector<eio::Packet> in = {{eio::PacketType::message, all.substr(0, n), true},
                                         {eio::PacketType::ping, "", false}};
    const std::string body = eio::encode_payload(in);
    auto out = eio::decode_payload(body);
    REQUIRE(out.ok());
    CHECK(*out == in);
  }
  CHECK(eio::encode_payload({{eio::PacketType::message, "\x01", true}}) == "bAQ==");
  CHECK(eio::encode_payload({{eio::PacketType::message, "\x01\x02", true}}) == "bAQI=");
}

TEST_CASE("bad base64 in a polling payload is invalid, including non-canonical spellings") {
  for (std::string bad : {"b!!!!"s, "bAQI"s, "bAQ="s, "b===="s, "bA==="s, "bAQ==AQID"s, "bAQJ="s, "bAR=="s, "bAQID\n"s,
                          "bAQ-_"s}) {
    CAPTURE(bad);
    CHECK(eio_payload_refusal(bad) == ErrorCode::invalid);
  }
}

TEST_CASE("an empty polling payload or an empty packet between separators is invalid") {
  CHECK(eio_payload_refusal("") == ErrorCode::invalid);
  CHECK(eio_payload_refusal("\x1e") == ErrorCode::invalid);
  CHECK(eio_payload_refusal("4a\x1e") == ErrorCode::invalid);
  CHECK(eio_payload_refusal("4a\x1e\x1e" "4b") == ErrorCode::invalid);
  CHECK(eio_payload_refusal("4a\x1e" "9") == ErrorCode::invalid);
}

TEST_CASE("a polling payload with more packets than allowed, or over maxPayload, is too_large") {
  CHECK(eio::decode_payload("2\x1e" "2", 2).ok());
  CHECK(eio_payload_refusal("2\x1e" "2\x1e" "2", 2) == ErrorCode::too_large);
  CHECK(eio_payload_refusal("4" + std::string(eio::max_payload, 'x')) == ErrorCode::too_large);
}

// ---------------------------------------------------------------------------------------------
// Socket.IO packets

TEST_CASE("a Socket.IO CONNECT without auth is '0' on the default namespace") {
  auto eio_packet = eio::decode_packet("40");
  REQUIRE(eio_packet.ok());
  CHECK(eio_packet->type == eio::PacketType::message);
  auto p = sio::decode(eio_packet->data);
  REQUIRE(p.ok());
  CHECK(p->type == sio::PacketType::connect);
  CHECK(p->nsp == "/");
  CHECK_FALSE(p->id.has_value());
  CHECK(p->data.empty());
  CHECK(sio::encode(*p) == "0");
}

TEST_CASE("a Socket.IO CONNECT carries its auth object as data") {
  auto p = sio::decode(R"(0{"token":"x"})");
  REQUIRE(p.ok());
  CHECK(p->type == sio::PacketType::connect);
  CHECK(p->nsp == "/");
  CHECK(p->data == R"({"token":"x"})");
}

TEST_CASE("a namespace starts with '/' and ends at the first ','") {
  auto p = sio::decode("0/admin,{}");
  REQUIRE(p.ok());
  CHECK(p->type == sio::PacketType::connect);
  CHECK(p->nsp == "/admin");
  CHECK(p->data == "{}");
  CHECK(sio::encode(*p) == "0/admin,{}");

  // socket.io-parser also ends a namespace at the end of the text, and writes "/admin," itself.
  for (std::string text : {"0/admin"s, "0/admin,"s}) {
    CAPTURE(text);
    auto q = sio::decode(text);
    REQUIRE(q.ok());
    CHECK(q->nsp == "/admin");
    CHECK(q->data.empty());
    CHECK(sio::encode(*q) == "0/admin,");
  }

  auto e = sio::decode(R"(2/admin,7["e",1])");
  REQUIRE(e.ok());
  CHECK(e->nsp == "/admin");
  CHECK(e->id == 7u);
  CHECK(e->data == R"(["e",1])");
}

TEST_CASE("a Socket.IO DISCONNECT carries no payload") {
  auto p = sio::decode("1");
  REQUIRE(p.ok());
  CHECK(p->type == sio::PacketType::disconnect);
  auto q = sio::decode("1/admin,");
  REQUIRE(q.ok());
  CHECK(q->nsp == "/admin");
  CHECK(sio_refusal("1{}") == ErrorCode::invalid);
}

TEST_CASE("a player's register EVENT decodes to its name and one argument") {
  auto eio_packet = eio::decode_packet(R"(42["player/register",{"device_id":"tv1"}])");
  REQUIRE(eio_packet.ok());
  auto p = sio::decode(eio_packet->data);
  REQUIRE(p.ok());
  CHECK(p->type == sio::PacketType::event);
  CHECK(p->nsp == "/");
  CHECK_FALSE(p->id.has_value());
  auto ev = sio::event_of(*p);
  REQUIRE(ev.ok());
  CHECK(ev->name == "player/register");
  REQUIRE(ev->args.size() == 1);
  CHECK(ev->args[0] == R"({"device_id":"tv1"})");
}

TEST_CASE("an EVENT with an ack id has the digits right before the JSON") {
  auto p = sio::decode(R"(21["control/play",{}])");
  REQUIRE(p.ok());
  CHECK(p->type == sio::PacketType::event);
  CHECK(p->id == 1u);
  auto ev = sio::event_of(*p);
  REQUIRE(ev.ok());
  CHECK(ev->name == "control/play");
  CHECK(ev->args == std::vector<std::string>{"{}"});
}

TEST_CASE("an ACK ('43' + id on the wire) decodes its id and argument array") {
  auto eio_packet = eio::decode_packet(R"(4312[{"ok":true}])");
  REQUIRE(eio_packet.ok());
  CHECK(eio_packet->data == R"(312[{"ok":true}])");
  auto p = sio::decode(eio_packet->data);
  REQUIRE(p.ok());
  CHECK(p->type == sio::PacketType::ack);
  CHECK(p->id == 12u);
  CHECK(p->data == R"([{"ok":true}])");
}

TEST_CASE("a CONNECT_ERROR carries an object (or, as socket.io-parser allows, a string)") {
  auto p = sio::decode(R"(4{"message":"x"})");
  REQUIRE(p.ok());
  CHECK(p->type == sio::PacketType::connect_error);
  CHECK(p->data == R"({"message":"x"})");
  CHECK(sio::decode(R"(4"not authorized")").ok());
  CHECK(sio_refusal("4") == ErrorCode::invalid);
  CHECK(sio_refusal("4[]") == ErrorCode::invalid);
}

TEST_CASE("a BINARY_EVENT gives its attachment count before '-' and keeps the placeholder") {
  auto p = sio::decode(R"(51-["e",{"_placeholder":true,"num":0}])");
  REQUIRE(p.ok());
  CHECK(p->type == sio::PacketType::binary_event);
  CHECK(p->attachments == 1);
  CHECK(p->nsp == "/");
  CHECK_FALSE(p->id.has_value());
  CHECK(sio::encode(*p) == R"(51-["e",{"_placeholder":true,"num":0}])");
  auto ev = sio::event_of(*p);
  REQUIRE(ev.ok());
  CHECK(ev->name == "e");
  CHECK(ev->args == std::vector<std::string>{R"({"_placeholder":true,"num":0})"});

  auto ack = sio::decode(R"(62-/admin,9[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])");
  REQUIRE(ack.ok());
  CHECK(ack->type == sio::PacketType::binary_ack);
  CHECK(ack->attachments == 2);
  CHECK(ack->nsp == "/admin");
  CHECK(ack->id == 9u);
}

TEST_CASE("a binary packet without a well-formed attachment count is invalid") {
  for (std::string bad : {R"(5["e"])"s, R"(5-["e"])"s, R"(51["e"])"s, "51"s, R"(51234567890-["e"])"s}) {
    CAPTURE(bad);
    CHECK(sio_refusal(bad) == ErrorCode::invalid);
  }
}

TEST_CASE("event_of re-serialises each argument compactly, in order, with numbers spelled as sent") {
  auto p = sio::decode(R"(2[ "e" , 1 , [2, {"a" : null}] , "s\n" , true , -1.50 , {} , 1E2, 0e70, 18446744073709551616 ])");
  REQUIRE(p.ok());
  auto ev = sio::event_of(*p);
  REQUIRE(ev.ok());
  CHECK(ev->name == "e");
  CHECK(ev->args == std::vector<std::string>{"1", R"([2,{"a":null}])", R"("s\n")", "true", "-1.50", "{}", "1E2", "0e70",
                                             "18446744073709551616"});
}

TEST_CASE("event_of refuses packets that are not events") {
  auto ack = sio::decode("31[]");
  REQUIRE(ack.ok());
  CHECK_FALSE(sio::event_of(*ack).ok());
  sio::Packet hand_made;
  hand_made.type = sio::PacketType::event;
  hand_made.data = "[]";
  CHECK_FALSE(sio::event_of(hand_made).ok());
  hand_made.data = "[1]";
  CHECK_FALSE(sio::event_of(hand_made).ok());
}

// ---------------------------------------------------------------------------------------------
// Building and round trips

TEST_CASE("make_event and make_ack build the packets the server sends") {
  const auto play = sio::make_event("player/play", {R"({"type":"video","file":"a.mp4","state":"playing"})"});
  CHECK(eio::encode_packet({eio::PacketType::message, sio::encode(play), false}) ==
        R"(42["player/play",{"type":"video","file":"a.mp4","state":"playing"}])");
  CHECK(sio::encode(sio::make_event("player/stop", {})) == R"(2["player/stop"])");
  CHECK(sio::encode(sio::make_event("player/pdfPage", {"3"}, 5)) == R"(25["player/pdfPage",3])");
  CHECK(sio::encode(sio::make_ack(12, {R"({"ok":true})"})) == R"(312[{"ok":true}])");
  CHECK(sio::encode(sio::make_ack(1, {})) == "31[]");
}

TEST_CASE("decoding an encoded packet gives the same packet back") {
  std::vector<sio::Packet> packets;
  packets.push_back(sio::make_event("player/register", {R"({"device_id":"tv1"})"}));
  packets.push_back(sio::make_event("control/play", {R"({"device_id":"tv1","file":"x.pdf"})"}, 1));
  packets.push_back(sio::make_ack(999'999'999'999'999'999ULL, {R"({"ok":false,"error":"no"})"}));
  sio::Packet connect{sio::PacketType::connect, "/admin", std::nullopt, R"({"token":"x"})", 0};
  sio::Packet bare_connect{sio::PacketType::connect, "/", std::nullopt, "", 0};
  sio::Packet disconnect{sio::PacketType::disconnect, "/admin", std::nullopt, "", 0};
  sio::Packet error{sio::PacketType::connect_error, "/", std::nullopt, R"({"message":"unauthorized"})", 0};
  sio::Packet bin{sio::PacketType::binary_event, "/a b", 3, R"(["up",{"_placeholder":true,"num":0}])", 1};
  sio::Packet bin_ack{sio::PacketType::binary_ack, "/", 0, "[]", 0};
  packets.insert(packets.end(), {connect, bare_connect, disconnect, error, bin, bin_ack});
  for (const auto& p : packets) {
    const std::string text = sio::encode(p);
    CAPTURE(text);
    auto back = sio::decode(text);
    REQUIRE(back.ok());
    CHECK(*back == p);
  }
}

TEST_CASE("json_string escapes quotes, backslashes and control characters and repairs bad UTF-8") {
  CHECK(sio::json_string("") == R"("")");
  CHECK(sio::json_string("a\"b\\c") == R"("a\"b\\c")");
  CHECK(sio::json_string("\n\r\t\b\f") == R"("\n\r\t\b\f")");
  CHECK(sio::json_string("\x01\x1f"s + '\0') == R"("\u0001\u001f\u0000")");
  CHECK(sio::json_string("Grüße 🎬.mp4") == "\"Grüße 🎬.mp4\"");
  CHECK(sio::json_string("a\xff" "b") == "\"a\xef\xbf\xbd" "b\"");
  CHECK(sio::json_string("\xc3") == "\"\xef\xbf\xbd\"");          // truncated sequence
  CHECK(sio::json_string("\xed\xa0\x80") == "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");  // encoded surrogate
  CHECK(sio::json_string("\xc0\xaf") == "\"\xef\xbf\xbd\xef\xbf\xbd\"");  // overlong '/'

  // Whatever the text, an event named with it decodes back to that name (or its repair).
  for (std::string name : {"pl\"ay\\er/\x01\n"s, "Grüße"s, std::string("a\0b", 3)}) {
    auto p = sio::decode(sio::encode(sio::make_event(name, {})));
    REQUIRE(p.ok());
    auto ev = sio::event_of(*p);
    REQUIRE(ev.ok());
    CHECK(ev->name == name);
  }
}

// ---------------------------------------------------------------------------------------------
// Malformed Socket.IO input

TEST_CASE("an empty or unknown-type Socket.IO packet is invalid") {
  CHECK(sio_refusal("") == ErrorCode::invalid);
  CHECK(sio_refusal("7") == ErrorCode::invalid);
  CHECK(sio_refusal("x[\"e\"]") == ErrorCode::invalid);
}

TEST_CASE("an EVENT must be a JSON array whose first element is a string") {
  CHECK(sio_refusal("2not json") == ErrorCode::invalid);
  CHECK(sio_refusal("2{}") == ErrorCode::invalid);
  CHECK(sio_refusal("2[1]") == ErrorCode::invalid);
  CHECK(sio_refusal("2[]") == ErrorCode::invalid);
  CHECK(sio_refusal("2") == ErrorCode::invalid);
  CHECK(sio_refusal("21") == ErrorCode::invalid);
  CHECK(sio_refusal(R"(2"e")") == ErrorCode::invalid);
  CHECK(sio_refusal("3{}") == ErrorCode::invalid);
  CHECK(sio_refusal("0[]") == ErrorCode::invalid);
}

TEST_CASE("unterminated JSON and trailing garbage are invalid; surrounding whitespace is not") {
  CHECK(sio_refusal(R"(2["e")") == ErrorCode::invalid);
  CHECK(sio_refusal(R"(2["e",{"a":1)") == ErrorCode::invalid);
  CHECK(sio_refusal(R"(2["e)") == ErrorCode::invalid);
  CHECK(sio_refusal(R"(2["e"]x)") == ErrorCode::invalid);
  CHECK(sio_refusal(R"(2["e"]["f"])") == ErrorCode::invalid);
  CHECK(sio_refusal("2[\"e\"]\0x"s) == ErrorCode::invalid);  // a NUL must not end the text early
  CHECK(sio_refusal("2[\"e\"]\0"s) == ErrorCode::invalid);
  CHECK(sio::decode("2[\"e\"] \n").ok());
  CHECK(sio::decode(" [\"e\"]").ok() == false);  // ' ' is no packet type
  CHECK(sio::decode("2 [\"e\"]").ok());
}

TEST_CASE("JSON with invalid UTF-8, NaN or an out-of-range number is invalid") {
  CHECK(sio_refusal("2[\"e\",\"\xff\"]") == ErrorCode::invalid);
  CHECK(sio_refusal(R"(2["e","\udc00"])") == ErrorCode::invalid);  // unpaired low surrogate
  CHECK(sio_refusal(R"(2["e","\ud800"])") == ErrorCode::invalid);  // unpaired high surrogate
  CHECK(sio_refusal(R"(2["e",NaN])") == ErrorCode::invalid);
  CHECK(sio_refusal(R"(2["e",1e999])") == ErrorCode::invalid);
  CHECK(sio::decode(R"(2["e","\ud83c\udfac"])").ok());  // a proper pair
}

TEST_CASE("an ack id of up to 18 digits is accepted; a longer one is invalid") {
  auto p = sio::decode(R"(2999999999999999999["e"])");
  REQUIRE(p.ok());
  CHECK(p->id == 999'999'999'999'999'999ULL);
  CHECK(sio_refusal(R"(21234567890123456789["e"])") == ErrorCode::invalid);
  CHECK(sio_refusal(R"(399999999999999999999999999999[])") == ErrorCode::invalid);
}

TEST_CASE("JSON nested deeper than 64 levels is invalid, however deep it goes") {
  CHECK(sio::decode(nested_event(sio::max_json_depth)).ok());
  auto at_limit = sio::decode(nested_event(sio::max_json_depth));
  REQUIRE(at_limit.ok());
  CHECK(sio::event_of(*at_limit).ok());
  CHECK(sio_refusal(nested_event(sio::max_json_depth + 1)) == ErrorCode::invalid);
  auto deep = sio::decode("2[\"e\"," + std::string(500'000, '['));
  REQUIRE_FALSE(deep.ok());
  CHECK(deep.error().message.find("deeper than 64") != std::string::npos);
  CHECK(sio_refusal("0{\"a\":" + std::string(100'000, '[')) == ErrorCode::invalid);
}

TEST_CASE("a Socket.IO packet over maxPayload is too_large") {
  const std::string big = "2[\"e\",\"" + std::string(eio::max_payload, 'a') + "\"]";
  CHECK(sio_refusal(big) == ErrorCode::too_large);
}
