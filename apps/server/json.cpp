#include "json.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace vc::server {

struct JsonWriter::Impl {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer{buffer};
};

JsonWriter::JsonWriter() : impl_(std::make_unique<Impl>()) {}
JsonWriter::~JsonWriter() = default;

JsonWriter& JsonWriter::begin_object() { impl_->writer.StartObject(); return *this; }
JsonWriter& JsonWriter::end_object() { impl_->writer.EndObject(); return *this; }
JsonWriter& JsonWriter::begin_array() { impl_->writer.StartArray(); return *this; }
JsonWriter& JsonWriter::end_array() { impl_->writer.EndArray(); return *this; }
JsonWriter& JsonWriter::key(std::string_view k) {
  impl_->writer.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
  return *this;
}
JsonWriter& JsonWriter::value(std::string_view v) {
  impl_->writer.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  return *this;
}
JsonWriter& JsonWriter::value(std::int64_t v) { impl_->writer.Int64(v); return *this; }
JsonWriter& JsonWriter::value(bool v) { impl_->writer.Bool(v); return *this; }
JsonWriter& JsonWriter::null() { impl_->writer.Null(); return *this; }
JsonWriter& JsonWriter::raw(std::string_view json) {
  // The type only matters to RapidJSON's own bookkeeping for the root value.
  impl_->writer.RawValue(json.data(), json.size(), rapidjson::kObjectType);
  return *this;
}
std::string JsonWriter::str() const { return std::string(impl_->buffer.GetString(), impl_->buffer.GetSize()); }

}  // namespace vc::server
