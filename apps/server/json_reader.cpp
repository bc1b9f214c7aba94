#include "json_reader.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <vector>

#include <fmt/format.h>

#include "videocontrol/text.hpp"

namespace vc::server {
namespace {

// Iterative parsing: a deeply nested body cannot exhaust the worker's stack.
constexpr unsigned kParseFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;

const char* kNotAnObject = "request body must be a JSON object";

bool blank(std::string_view s) { return s.find_first_not_of(" \t\r\n") == std::string_view::npos; }

}  // namespace

Error field_error(std::string_view field, std::string_view what) {
  return make_error(ErrorCode::invalid, fmt::format("field '{}' must be {}", field, what));
}

struct JsonBody::Impl {
  rapidjson::Document doc;

  const rapidjson::Value* find(std::string_view field) const {
    auto it = doc.FindMember(rapidjson::Value(rapidjson::StringRef(field.data(), static_cast<rapidjson::SizeType>(field.size()))));
    return it == doc.MemberEnd() ? nullptr : &it->value;
  }
};

JsonBody::JsonBody(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
JsonBody::JsonBody(JsonBody&&) noexcept = default;
JsonBody& JsonBody::operator=(JsonBody&&) noexcept = default;
JsonBody::~JsonBody() = default;

Result<JsonBody> JsonBody::parse(std::string_view body, bool allow_empty) {
  auto impl = std::make_unique<Impl>();
  if (blank(body)) {
    if (!allow_empty) return make_error(ErrorCode::invalid, fmt::format("{}; the body is empty", kNotAnObject));
    impl->doc.SetObject();
    return JsonBody(std::move(impl));
  }
  impl->doc.Parse<kParseFlags>(body.data(), body.size());
  if (impl->doc.HasParseError())
    return make_error(ErrorCode::invalid,
                      fmt::format("{}; it is not valid JSON: {} (at byte {})", kNotAnObject,
                                  rapidjson::GetParseError_En(impl->doc.GetParseError()), impl->doc.GetErrorOffset()));
  if (!impl->doc.IsObject()) return make_error(ErrorCode::invalid, kNotAnObject);
  // The parser checks the body's bytes, not what escapes decode to: "\udc00" (a lone surrogate)
  // decodes to bytes that are not UTF-8. Every key and string is checked, with a stack (a body may
  // nest deeply).
  std::vector<const rapidjson::Value*> todo{&impl->doc};
  auto bad = [](const rapidjson::Value& v) { return !text::valid_utf8(std::string_view(v.GetString(), v.GetStringLength())); };
  while (!todo.empty()) {
    const rapidjson::Value& v = *todo.back();
    todo.pop_back();
    bool broken = false;
    if (v.IsString()) broken = bad(v);
    else if (v.IsArray())
      for (const auto& item : v.GetArray()) todo.push_back(&item);
    else if (v.IsObject())
      for (const auto& m : v.GetObject()) {
        broken = broken || bad(m.name);
        todo.push_back(&m.value);
      }
    if (broken)
      return make_error(ErrorCode::invalid, "request body has a string that is not valid UTF-8 (a lone surrogate escape "
                                            "such as \\udc00?)");
  }
  return JsonBody(std::move(impl));
}

JsonBody::Kind JsonBody::kind(std::string_view field) const {
  const auto* v = impl_->find(field);
  if (!v) return Kind::absent;
  switch (v->GetType()) {
    case rapidjson::kNullType: return Kind::null;
    case rapidjson::kFalseType:
    case rapidjson::kTrueType: return Kind::boolean;
    case rapidjson::kObjectType: return Kind::object;
    case rapidjson::kArrayType: return Kind::array;
    case rapidjson::kStringType: return Kind::string;
    case rapidjson::kNumberType: return v->IsInt64() ? Kind::integer : Kind::number;
  }
  return Kind::null;
}

Result<std::optional<std::string>> JsonBody::opt_string(std::string_view field) const {
  const auto* v = impl_->find(field);
  if (!v) return std::optional<std::string>();
  if (!v->IsString()) return field_error(field, "a string");
  return std::optional<std::string>(std::string(v->GetString(), v->GetStringLength()));
}

Result<std::optional<std::int64_t>> JsonBody::opt_integer(std::string_view field) const {
  const auto* v = impl_->find(field);
  if (!v) return std::optional<std::int64_t>();
  if (!v->IsInt64()) return field_error(field, "an integer");
  return std::optional<std::int64_t>(v->GetInt64());
}

Result<std::optional<bool>> JsonBody::opt_boolean(std::string_view field) const {
  const auto* v = impl_->find(field);
  if (!v) return std::optional<bool>();
  if (!v->IsBool()) return field_error(field, "true or false");
  return std::optional<bool>(v->GetBool());
}

Result<std::optional<std::vector<std::string>>> JsonBody::opt_string_array(std::string_view field) const {
  const auto* v = impl_->find(field);
  if (!v) return std::optional<std::vector<std::string>>();
  if (!v->IsArray()) return field_error(field, "an array of strings");
  std::vector<std::string> out;
  out.reserve(v->Size());
  for (const auto& item : v->GetArray()) {
    if (!item.IsString()) return field_error(field, "an array of strings");
    out.emplace_back(item.GetString(), item.GetStringLength());
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

Result<std::optional<std::optional<std::int64_t>>> JsonBody::nullable_integer(std::string_view field) const {
  using Out = std::optional<std::optional<std::int64_t>>;
  const auto* v = impl_->find(field);
  if (!v) return Out();
  if (v->IsNull()) return Out(std::optional<std::int64_t>());
  if (!v->IsInt64()) return field_error(field, "an integer or null");
  return Out(std::optional<std::int64_t>(v->GetInt64()));
}

namespace {
template <class T>
Result<T> required(std::string_view field, Result<std::optional<T>> r) {
  if (!r) return std::move(r).error();
  if (!*r) return make_error(ErrorCode::invalid, fmt::format("field '{}' is required", field));
  return std::move(**r);
}
}  // namespace

Result<std::string> JsonBody::string(std::string_view field) const { return required(field, opt_string(field)); }
Result<std::int64_t> JsonBody::integer(std::string_view field) const { return required(field, opt_integer(field)); }
Result<bool> JsonBody::boolean(std::string_view field) const { return required(field, opt_boolean(field)); }

}  // namespace vc::server
