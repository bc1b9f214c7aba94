#include "objstore/s3_xml.hpp"

#include <expat.h>

#include <charconv>
#include <ctime>

#include <fmt/format.h>


namespace vc::s3 {
namespace {

constexpr int kMaxDepth = 32;
constexpr std::size_t kMaxLeaves = 200'000;

struct Parser {
  XML_Parser p = nullptr;
  std::vector<std::string> stack;
  std::string text;
  std::vector<XmlLeaf> leaves;
  std::string failure;

  void stop(std::string why) {
    if (failure.empty()) failure = std::move(why);
    XML_StopParser(p, XML_FALSE);
  }

  static std::string local_name(const XML_Char* name) {
    std::string_view n(name);
    // "s3:Key" → "Key"; a name that is all prefix (":", "a:") stays as it is.
    if (auto colon = n.rfind(':'); colon != std::string_view::npos && colon + 1 < n.size()) n.remove_prefix(colon + 1);
    return std::string(n);
  }

  static void on_start(void* self, const XML_Char* name, const XML_Char**) {
    auto& s = *static_cast<Parser*>(self);
    if (static_cast<int>(s.stack.size()) >= kMaxDepth) return s.stop("nested too deeply");
    s.stack.push_back(local_name(name));
    s.text.clear();
  }
  static void on_end(void* self, const XML_Char*) {
    auto& s = *static_cast<Parser*>(self);
    // Every element is recorded as it ends (a container with the text between its children), so
    // readers see "…/Contents" after that entry's fields.
    std::string path;
    for (const auto& e : s.stack) {
      if (!path.empty()) path.push_back('/');
      path += e;
    }
    if (s.leaves.size() >= kMaxLeaves) return s.stop("too many elements");
    s.leaves.push_back({std::move(path), std::move(s.text)});
    s.text.clear();
    if (!s.stack.empty()) s.stack.pop_back();
  }
  static void on_text(void* self, const XML_Char* data, int len) {
    static_cast<Parser*>(self)->text.append(data, static_cast<std::size_t>(len));
  }
  static void on_doctype(void* self, const XML_Char*, const XML_Char*, const XML_Char*, int) {
    static_cast<Parser*>(self)->stop("a DOCTYPE is not accepted");
  }
  static void on_entity(void* self, const XML_Char*, int, const XML_Char*, int, const XML_Char*, const XML_Char*,
                        const XML_Char*, const XML_Char*) {
    static_cast<Parser*>(self)->stop("entity declarations are not accepted");
  }
};

const std::string* leaf(const std::vector<XmlLeaf>& leaves, std::string_view path) {
  for (const auto& l : leaves)
    if (l.path == path) return &l.text;
  return nullptr;
}

std::string_view root_of(const std::vector<XmlLeaf>& leaves) {
  if (leaves.empty()) return {};
  std::string_view p = leaves.back().path;  // the root element ends last
  return p.substr(0, p.find('/'));
}

}  // namespace

Result<std::vector<XmlLeaf>> parse_xml_leaves(std::string_view xml) {
  if (xml.size() > kMaxXmlBytes) return make_error(ErrorCode::invalid, "the XML answer is too large");
  Parser s;
  s.p = XML_ParserCreate("UTF-8");
  if (!s.p) return make_error(ErrorCode::internal, "cannot create an XML parser");
  XML_SetUserData(s.p, &s);
  XML_SetElementHandler(s.p, &Parser::on_start, &Parser::on_end);
  XML_SetCharacterDataHandler(s.p, &Parser::on_text);
  XML_SetStartDoctypeDeclHandler(s.p, &Parser::on_doctype);
  XML_SetEntityDeclHandler(s.p, &Parser::on_entity);
  XML_SetParamEntityParsing(s.p, XML_PARAM_ENTITY_PARSING_NEVER);
  const auto status = XML_Parse(s.p, xml.data(), static_cast<int>(xml.size()), XML_TRUE);
  std::string err;
  if (status != XML_STATUS_OK)
    err = !s.failure.empty() ? s.failure
                             : fmt::format("{} at line {}", XML_ErrorString(XML_GetErrorCode(s.p)),
                                           static_cast<unsigned long>(XML_GetCurrentLineNumber(s.p)));
  XML_ParserFree(s.p);
  if (!err.empty()) return make_error(ErrorCode::invalid, "malformed XML answer: " + err);
  return std::move(s.leaves);
}

std::optional<std::int64_t> parse_iso8601_ms(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.fff…]Z
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s.back() != 'Z')
    return std::nullopt;
  auto num = [&](std::size_t at, std::size_t n, int& out) {
    auto r = std::from_chars(s.data() + at, s.data() + at + n, out);
    return r.ec == std::errc() && r.ptr == s.data() + at + n;
  };
  int y, mo, d, h, mi, sec;
  if (!num(0, 4, y) || !num(5, 2, mo) || !num(8, 2, d) || !num(11, 2, h) || !num(14, 2, mi) || !num(17, 2, sec))
    return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 || y < 1970) return std::nullopt;
  std::int64_t ms = 0;
  std::string_view rest = s.substr(19, s.size() - 20);
  if (!rest.empty()) {
    if (rest[0] != '.' || rest.size() < 2 || rest.size() > 10) return std::nullopt;
    int scale = 100;
    for (char ch : rest.substr(1)) {
      if (ch < '0' || ch > '9') return std::nullopt;
      ms += (ch - '0') * scale;
      scale /= 10;
    }
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  const std::time_t t = timegm(&tm);
  if (t < 0) return std::nullopt;
  return static_cast<std::int64_t>(t) * 1000 + ms;
}

Result<ListPage> parse_list_objects(std::string_view xml) {
  auto parsed = parse_xml_leaves(xml);
  if (!parsed) return std::move(parsed).error();
  const auto& leaves = *parsed;
  if (root_of(leaves) != "ListBucketResult") return make_error(ErrorCode::invalid, "not a ListBucketResult");
  ListPage page;
  ListedObject cur;
  bool have_key = false, have_size = false;
  for (const auto& l : leaves) {
    if (l.path == "ListBucketResult/Contents/Key") {
      cur.key = l.text;
      have_key = true;
    } else if (l.path == "ListBucketResult/Contents/Size") {
      auto r = std::from_chars(l.text.data(), l.text.data() + l.text.size(), cur.size);
      if (r.ec != std::errc() || r.ptr != l.text.data() + l.text.size() || cur.size < 0)
        return make_error(ErrorCode::invalid, "ListBucketResult: malformed Size");
      have_size = true;
    } else if (l.path == "ListBucketResult/Contents/LastModified") {
      auto t = parse_iso8601_ms(l.text);
      if (!t) return make_error(ErrorCode::invalid, "ListBucketResult: malformed LastModified");
      cur.last_modified_ms = *t;
    } else if (l.path == "ListBucketResult/Contents") {
      if (!have_key || !have_size) return make_error(ErrorCode::invalid, "ListBucketResult: an entry without Key or Size");
      page.objects.push_back(std::move(cur));
      cur = {};
      have_key = have_size = false;
    } else if (l.path == "ListBucketResult/IsTruncated") {
      page.truncated = l.text == "true";
    } else if (l.path == "ListBucketResult/NextContinuationToken") {
      page.next_token = l.text;
    }
  }
  if (page.truncated && page.next_token.empty())
    return make_error(ErrorCode::invalid, "ListBucketResult: truncated without a NextContinuationToken");
  return page;
}

Result<std::string> parse_upload_id(std::string_view xml) {
  auto leaves = parse_xml_leaves(xml);
  if (!leaves) return std::move(leaves).error();
  const std::string* id = leaf(*leaves, "InitiateMultipartUploadResult/UploadId");
  if (!id || id->empty()) return make_error(ErrorCode::invalid, "InitiateMultipartUploadResult without an UploadId");
  return *id;
}

std::optional<ErrorInfo> parse_error(std::string_view xml) {
  auto leaves = parse_xml_leaves(xml);
  if (!leaves || root_of(*leaves) != "Error") return std::nullopt;
  ErrorInfo e;
  if (const auto* c = leaf(*leaves, "Error/Code")) e.code = *c;
  if (const auto* m = leaf(*leaves, "Error/Message")) e.message = *m;
  return e;
}

}  // namespace vc::s3
