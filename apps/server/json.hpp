// A small JSON writer for responses. RapidJSON stays inside json.cpp.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace vc::server {

class JsonWriter {
 public:
  JsonWriter();
  ~JsonWriter();
  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  JsonWriter& key(std::string_view k);
  JsonWriter& value(std::string_view v);
  JsonWriter& value(const char* v) { return value(std::string_view(v)); }
  JsonWriter& value(std::int64_t v);
  JsonWriter& value(int v) { return value(static_cast<std::int64_t>(v)); }
  JsonWriter& value(bool v);
  JsonWriter& null();
  // Inserts `json` as one value, unchanged. REQUIRES: `json` is one valid JSON value.
  JsonWriter& raw(std::string_view json);

  // The document; REQUIRES: every object and array closed.
  std::string str() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vc::server
