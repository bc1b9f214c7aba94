// JsonWriter: the one JSON writer of the library, the server and the CLI. Appends to a string as it
// goes (no DOM), puts the commas, and escapes strings so the output is always valid JSON: invalid
// UTF-8 in a string becomes U+FFFD instead of breaking the document.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "videocontrol/export.hpp"

namespace vc {

// `text` as a JSON string literal, quotes included.
VC_API std::string json_quote(std::string_view text);

class VC_API JsonWriter {
 public:
  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view k);
  JsonWriter& value(std::string_view v);
  JsonWriter& value(const char* v) { return value(std::string_view(v)); }
  JsonWriter& value(const std::string& v) { return value(std::string_view(v)); }
  JsonWriter& value(std::int64_t v);
  JsonWriter& value(int v) { return value(static_cast<std::int64_t>(v)); }
  JsonWriter& value(unsigned v) { return value(static_cast<std::int64_t>(v)); }
  JsonWriter& value(std::uint64_t v);
  JsonWriter& value(double v);
  JsonWriter& value(bool v);
  JsonWriter& null();
  // An empty string as null.
  JsonWriter& string_or_null(std::string_view v) { return v.empty() ? null() : value(v); }
  JsonWriter& optional(const std::optional<std::int64_t>& v) { return v ? value(*v) : null(); }
  JsonWriter& optional(const std::optional<int>& v) { return v ? value(*v) : null(); }
  // An RFC 3339 UTC time from epoch milliseconds; nullopt as null.
  JsonWriter& time(std::int64_t epoch_ms);
  JsonWriter& time(const std::optional<std::int64_t>& epoch_ms) { return epoch_ms ? time(*epoch_ms) : null(); }
  // Inserts `json` unchanged as one value. REQUIRES: `json` is one valid JSON value.
  JsonWriter& raw(std::string_view json);

  // The document so far. REQUIRES (for a complete document): every object and array closed.
  const std::string& str() const& noexcept { return out_; }
  std::string str() && noexcept { return std::move(out_); }

 private:
  void before_value();
  std::string out_;
  std::vector<bool> has_items_;  // per open object/array: whether a comma is due
  bool after_key_ = false;
};

}  // namespace vc
