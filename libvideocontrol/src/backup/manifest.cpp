#include "backup/manifest.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <fmt/format.h>

#include "auth/digest.hpp"

namespace vc::backup {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;
using Value = rapidjson::Value;

void str(Writer& w, const char* key, std::string_view v) {
  w.Key(key);
  w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
}
void num(Writer& w, const char* key, std::int64_t v) {
  w.Key(key);
  w.Int64(v);
}

Error damaged(std::string_view what, std::string_view why) {
  return make_error(ErrorCode::invalid, fmt::format("the archive's {} is damaged: {}", what, why));
}

// Field readers that fail with a message naming the field.
struct Reader {
  std::string_view doc;
  std::string error;

  const Value* get(const Value& o, const char* key) {
    if (!o.IsObject()) return nullptr;
    auto it = o.FindMember(key);
    return it == o.MemberEnd() ? nullptr : &it->value;
  }
  bool text(const Value& o, const char* key, std::string& out, bool required = true) {
    const Value* v = get(o, key);
    if (!v) {
      if (required) error = fmt::format("no '{}'", key);
      return !required;
    }
    if (!v->IsString()) return error = fmt::format("'{}' is not a string", key), false;
    out.assign(v->GetString(), v->GetStringLength());
    return true;
  }
  bool integer(const Value& o, const char* key, std::int64_t& out, std::int64_t min = 0) {
    const Value* v = get(o, key);
    if (!v || !v->IsInt64()) return error = fmt::format("'{}' is missing or not an integer", key), false;
    out = v->GetInt64();
    if (out < min) return error = fmt::format("'{}' is out of range", key), false;
    return true;
  }
  bool boolean(const Value& o, const char* key, bool& out) {
    const Value* v = get(o, key);
    if (!v) return true;  // default kept
    if (!v->IsBool()) return error = fmt::format("'{}' is not a boolean", key), false;
    out = v->GetBool();
    return true;
  }
  const Value* array(const Value& o, const char* key) {
    const Value* v = get(o, key);
    if (!v || !v->IsArray()) return error = fmt::format("'{}' is missing or not a list", key), nullptr;
    return v;
  }
};

bool parse_doc(rapidjson::Document& d, std::string_view json) {
  d.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(json.data(), json.size());
  return !d.HasParseError() && d.IsObject();
}

}  // namespace

bool valid_sha256(std::string_view hex) noexcept {
  if (hex.size() != 64) return false;
  for (char c : hex)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

bool valid_relative_path(std::string_view path) noexcept {
  if (path.empty() || path.size() > 512) return false;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    auto part = path.substr(start, end - start);
    if (part.empty() || part.front() == '.') return false;
    for (char c : part)
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
        return false;
    start = end + 1;
  }
  return true;
}

bool valid_table(std::string_view name) noexcept {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || c == '_')) return false;
  return true;
}

std::string write_manifest(const Manifest& m) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  num(w, "format", m.format);
  str(w, "kind", "videocontrol-backup");
  str(w, "id", m.id);
  num(w, "created_at_ms", m.created_at_ms);
  str(w, "backend", m.backend);
  num(w, "schema_version", m.schema_version);
  str(w, "organization", m.organization);
  str(w, "library_version", m.library_version);
  str(w, "base_id", m.base_id);
  w.Key("chain");
  w.StartArray();
  for (const auto& c : m.chain) w.String(c.c_str(), static_cast<rapidjson::SizeType>(c.size()));
  w.EndArray();
  w.Key("tables");
  w.StartArray();
  for (const auto& t : m.tables) {
    w.StartObject();
    str(w, "table", t.table);
    num(w, "rows", t.rows);
    num(w, "size", t.size);
    str(w, "sha256", t.sha256);
    w.EndObject();
  }
  w.EndArray();
  w.Key("blobs");
  w.StartArray();
  for (const auto& b : m.blobs) {
    w.StartObject();
    str(w, "hash", b.hash);
    num(w, "size", b.size);
    if (!b.included) w.Key("included"), w.Bool(false);
    w.EndObject();
  }
  w.EndArray();
  w.Key("derived");
  w.StartArray();
  for (const auto& d : m.derived) {
    w.StartObject();
    str(w, "path", d.path);
    num(w, "size", d.size);
    if (!d.included) w.Key("included"), w.Bool(false);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return sb.GetString();
}

Result<Manifest> parse_manifest(std::string_view json) {
  rapidjson::Document d;
  if (!parse_doc(d, json)) return damaged("manifest", "not a JSON object");
  Reader r{json, {}};
  Manifest m;
  std::int64_t format = 0, schema = 0;
  std::string kind;
  if (!r.text(d, "kind", kind)) return damaged("manifest", r.error);
  if (kind != "videocontrol-backup") return make_error(ErrorCode::invalid, "not a VideoControl backup");
  if (!r.integer(d, "format", format, 1)) return damaged("manifest", r.error);
  if (format != kFormatVersion)
    return make_error(ErrorCode::invalid, fmt::format("backup format {} is not supported by this build (it reads {})",
                                                      format, kFormatVersion));
  m.format = static_cast<int>(format);
  if (!r.text(d, "id", m.id) || !r.integer(d, "created_at_ms", m.created_at_ms) || !r.text(d, "backend", m.backend) ||
      !r.integer(d, "schema_version", schema, 1) || !r.text(d, "organization", m.organization) ||
      !r.text(d, "library_version", m.library_version, false) || !r.text(d, "base_id", m.base_id))
    return damaged("manifest", r.error);
  if (schema > 1'000'000) return damaged("manifest", "schema_version out of range");
  m.schema_version = static_cast<int>(schema);
  if (m.id.empty() || m.id.size() > 128) return damaged("manifest", "bad id");
  if (m.backend != "sqlite" && m.backend != "postgresql") return damaged("manifest", "unknown backend");
  const Value* chain = r.array(d, "chain");
  const Value* tables = r.array(d, "tables");
  const Value* blobs = r.array(d, "blobs");
  const Value* derived = r.array(d, "derived");
  if (!chain || !tables || !blobs || !derived) return damaged("manifest", r.error);
  for (const auto& c : chain->GetArray()) {
    if (!c.IsString() || c.GetStringLength() == 0) return damaged("manifest", "bad chain entry");
    m.chain.emplace_back(c.GetString(), c.GetStringLength());
  }
  if (m.base_id.empty() != m.chain.empty() || (!m.chain.empty() && m.chain.front() != m.base_id))
    return damaged("manifest", "base_id and chain disagree");
  for (const auto& t : tables->GetArray()) {
    TableFile f;
    if (!r.text(t, "table", f.table) || !r.integer(t, "rows", f.rows) || !r.integer(t, "size", f.size) ||
        !r.text(t, "sha256", f.sha256))
      return damaged("manifest", r.error);
    if (!valid_table(f.table) || !valid_sha256(f.sha256)) return damaged("manifest", "bad table entry");
    m.tables.push_back(std::move(f));
  }
  for (const auto& b : blobs->GetArray()) {
    BlobEntry e;
    if (!r.text(b, "hash", e.hash) || !r.integer(b, "size", e.size) || !r.boolean(b, "included", e.included))
      return damaged("manifest", r.error);
    if (!valid_sha256(e.hash)) return damaged("manifest", "bad blob hash");
    if (!e.included && m.base_id.empty()) return damaged("manifest", "a blob of a base in a full backup");
    m.blobs.push_back(std::move(e));
  }
  for (const auto& x : derived->GetArray()) {
    DerivedEntry e;
    if (!r.text(x, "path", e.path) || !r.integer(x, "size", e.size) || !r.boolean(x, "included", e.included))
      return damaged("manifest", r.error);
    if (!valid_relative_path(e.path)) return damaged("manifest", "bad derived path");
    if (!e.included && m.base_id.empty()) return damaged("manifest", "a derived file of a base in a full backup");
    m.derived.push_back(std::move(e));
  }
  return m;
}

std::string write_end(const EndMarker& e) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  str(w, "id", e.id);
  str(w, "manifest_sha256", e.manifest_sha256);
  num(w, "entries", e.entries);
  w.Key("derived");
  w.StartArray();
  for (const auto& d : e.derived) {
    w.StartObject();
    str(w, "path", d.path);
    str(w, "sha256", d.sha256);
    w.EndObject();
  }
  w.EndArray();
  w.Key("missing");
  w.StartArray();
  for (const auto& m : e.missing) w.String(m.c_str(), static_cast<rapidjson::SizeType>(m.size()));
  w.EndArray();
  w.EndObject();
  std::string doc = sb.GetString();
  return doc + "\n" + sha256_hex(doc) + "\n";
}

Result<EndMarker> parse_end(std::string_view text) {
  auto nl = text.find('\n');
  if (nl == std::string_view::npos || text.size() != nl + 1 + 64 + 1 || text.back() != '\n')
    return damaged("end marker", "wrong shape");
  auto doc = text.substr(0, nl);
  if (sha256_hex(doc) != text.substr(nl + 1, 64)) return damaged("end marker", "checksum mismatch");
  rapidjson::Document d;
  if (!parse_doc(d, doc)) return damaged("end marker", "not a JSON object");
  Reader r{doc, {}};
  EndMarker e;
  if (!r.text(d, "id", e.id) || !r.text(d, "manifest_sha256", e.manifest_sha256) || !r.integer(d, "entries", e.entries))
    return damaged("end marker", r.error);
  if (!valid_sha256(e.manifest_sha256)) return damaged("end marker", "bad manifest checksum");
  const Value* derived = r.array(d, "derived");
  const Value* missing = r.array(d, "missing");
  if (!derived || !missing) return damaged("end marker", r.error);
  for (const auto& x : derived->GetArray()) {
    DerivedSum s;
    if (!r.text(x, "path", s.path) || !r.text(x, "sha256", s.sha256)) return damaged("end marker", r.error);
    if (!valid_relative_path(s.path) || !valid_sha256(s.sha256)) return damaged("end marker", "bad derived entry");
    e.derived.push_back(std::move(s));
  }
  for (const auto& m : missing->GetArray()) {
    if (!m.IsString()) return damaged("end marker", "bad missing entry");
    e.missing.emplace_back(m.GetString(), m.GetStringLength());
  }
  return e;
}

}  // namespace vc::backup
