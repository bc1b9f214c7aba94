// The shared text helpers (videocontrol/text.hpp) and the one JSON writer (videocontrol/json_writer.hpp).
#include <doctest/doctest.h>

#include <limits>
#include <optional>
#include <string>

#include "videocontrol/json_writer.hpp"
#include "videocontrol/text.hpp"

using namespace vc;

TEST_CASE("trim and split_list") {
  CHECK(text::trim(" \t a b \t") == "a b");
  CHECK(text::trim("   ").empty());
  CHECK(text::split_list(" a, b,,c ,") == std::vector<std::string>{"a", "b", "c"});
  CHECK(text::split_list("").empty());
  CHECK(text::split_list("x;y", ';') == std::vector<std::string>{"x", "y"});
}

TEST_CASE("hex and byte descriptions") {
  CHECK(text::to_hex(std::string("\x00\xff\x10", 3)) == "00ff10");
  CHECK(text::to_hex("").empty());
  CHECK(text::describe_byte('x') == "'x'");
  CHECK(text::describe_byte('\x1f') == "byte 0x1f");
  CHECK(text::describe_byte(' ') == "byte 0x20");
  CHECK(text::describe_byte('\xe0') == "byte 0xe0");
}

TEST_CASE("base64 round-trips every length in both variants") {
  std::string bytes;
  for (int n = 0; n < 70; ++n) {
    CAPTURE(n);
    for (const auto v : {text::Base64::standard, text::Base64::url_unpadded}) {
      const auto encoded = text::base64_encode(bytes, v);
      auto decoded = text::base64_decode(encoded, v);
      REQUIRE(decoded.ok());
      CHECK(*decoded == bytes);
    }
    bytes.push_back(static_cast<char>(n * 37 + 250));
  }
  CHECK(text::base64_encode("\xfb\xff", text::Base64::standard) == "+/8=");
  CHECK(text::base64_encode("\xfb\xff", text::Base64::url_unpadded) == "-_8");
}

TEST_CASE("base64 decoding is strict: one spelling per byte string") {
  const auto bad = [](std::string_view in, text::Base64 v) {
    auto r = text::base64_decode(in, v);
    return !r.ok() && r.error().code == ErrorCode::invalid;
  };
  using text::Base64;
  CHECK(bad("YQ", Base64::standard));        // padding missing
  CHECK(bad("YQ==", Base64::url_unpadded));  // padding where none belongs
  CHECK(bad("YR==", Base64::standard));      // bits the padding drops are not zero
  CHECK(bad("Y Q==", Base64::standard));     // nothing is ignored
  CHECK(bad("+/8=", Base64::url_unpadded));  // the other alphabet
  CHECK(bad("-_8", Base64::standard));
  CHECK(bad("YQ==YQ==", Base64::standard));
  // Bytes outside the alphabet, which libsodium 1.0.18 decodes as letters (found by socketio_fuzz).
  CHECK(bad("\xe0\xe0\xe0\xe0", Base64::standard));
  CHECK(bad("\xe0\xe0\xe0", Base64::url_unpadded));
  CHECK(bad("YQ=\xbd", Base64::standard));
  CHECK(text::base64_decode("", Base64::standard)->empty());
}

TEST_CASE("json_quote escapes what JSON requires and replaces invalid UTF-8") {
  CHECK(json_quote("a\"b\\c") == R"("a\"b\\c")");
  CHECK(json_quote("\n\t\r\b\f") == R"("\n\t\r\b\f")");
  CHECK(json_quote(std::string("\x01\x1f\x00", 3)) == R"("\u0001\u001f\u0000")");
  CHECK(json_quote("Привет") == "\"Привет\"");      // valid UTF-8 passes unchanged
  CHECK(json_quote("a\xff" "b") == "\"a\xef\xbf\xbd" "b\"");  // a stray byte becomes U+FFFD
  CHECK(json_quote("\xc3") == "\"\xef\xbf\xbd\"");             // a truncated sequence too
  CHECK(json_quote("\xed\xa0\x80") == "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");  // a surrogate is not UTF-8
}

TEST_CASE("JsonWriter puts the commas and nests") {
  JsonWriter w;
  w.begin_object();
  w.key("a").value(1);
  w.key("b").begin_array().value("x").null().value(true).value(2.5).end_array();
  w.key("c").begin_object().end_object();
  w.key("d").string_or_null("");
  w.key("e").optional(std::optional<std::int64_t>{});
  w.key("f").time(0);
  w.key("g").raw(R"({"k":[1]})");
  w.key("h").value(std::numeric_limits<double>::infinity());
  w.key("i").value(std::uint64_t{18446744073709551615ull});
  w.end_object();
  CHECK(w.str() == R"({"a":1,"b":["x",null,true,2.5],"c":{},"d":null,"e":null,"f":"1970-01-01T00:00:00.000Z",)"
                   R"("g":{"k":[1]},"h":null,"i":18446744073709551615})");
  JsonWriter top;
  top.begin_array().begin_array().end_array().begin_object().key("x").value("y").end_object().end_array();
  CHECK(std::move(top).str() == R"([[],{"x":"y"}])");
}
