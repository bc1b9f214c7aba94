// JsonBody: a request body parsed as one JSON object, read through typed getters whose errors name
// the field ("field 'username' must be a string"), so handlers turn bad input into 400s without
// touching a JSON library. RapidJSON stays inside json_reader.cpp. Unknown fields are ignored.
//
// Three getter families, by what absence and null mean:
//   string(f), integer(f), boolean(f)           required: absent or null → invalid
//   opt_string(f), opt_integer(f), ...          optional: absent → nullopt; null → invalid
//   nullable_integer(f)                         PATCH-style: absent → outer nullopt (unchanged),
//                                               null → inner nullopt (reset), number → value
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "videocontrol/result.hpp"

namespace vc::server {

class JsonBody {
 public:
  enum class Kind { absent, null, boolean, integer, number, string, array, object };

  // Parses `body`. Errors (invalid): not JSON, not an object, invalid UTF-8. An empty (or blank)
  // body is an empty object when `allow_empty`, else the same error as a non-object.
  static Result<JsonBody> parse(std::string_view body, bool allow_empty = false);

  JsonBody(JsonBody&&) noexcept;
  JsonBody& operator=(JsonBody&&) noexcept;
  ~JsonBody();

  // What the field holds; `integer` for numbers without fraction that fit in int64.
  Kind kind(std::string_view field) const;
  bool has(std::string_view field) const { return kind(field) != Kind::absent; }

  Result<std::string> string(std::string_view field) const;
  Result<std::int64_t> integer(std::string_view field) const;
  Result<bool> boolean(std::string_view field) const;

  Result<std::optional<std::string>> opt_string(std::string_view field) const;
  Result<std::optional<std::int64_t>> opt_integer(std::string_view field) const;
  Result<std::optional<bool>> opt_boolean(std::string_view field) const;
  Result<std::optional<std::vector<std::string>>> opt_string_array(std::string_view field) const;

  Result<std::optional<std::optional<std::int64_t>>> nullable_integer(std::string_view field) const;

 private:
  struct Impl;
  explicit JsonBody(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// "field 'name' must be <what>" as an invalid error; shared by handlers with their own checks.
Error field_error(std::string_view field, std::string_view what);

}  // namespace vc::server
