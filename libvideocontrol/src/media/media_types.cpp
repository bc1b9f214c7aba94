#include <algorithm>
#include <cctype>
#include <optional>

#include <fmt/format.h>

#include "../util/unicode.hpp"
#include "../util/utf8.hpp"
#include "videocontrol/media_types.hpp"

namespace vc {
namespace {

std::string lower_extension(std::string_view name) {
  auto dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == name.size()) return {};
  std::string ext(name.substr(dot + 1));
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

bool starts(std::string_view head, std::string_view magic, std::size_t at = 0) {
  return head.size() >= at + magic.size() && head.substr(at, magic.size()) == magic;
}

struct KindRule {
  MediaKind kind;
  std::initializer_list<const char*> extensions;
};

const KindRule kRules[] = {
    {MediaKind::video, {"mp4", "m4v", "mov", "webm", "mkv", "avi", "ts", "mpg", "mpeg", "ogv"}},
    {MediaKind::audio, {"mp3", "m4a", "aac", "wav", "ogg", "oga", "opus", "flac"}},
    {MediaKind::image, {"png", "jpg", "jpeg", "gif", "webp"}},
    {MediaKind::pdf, {"pdf"}},
    {MediaKind::pptx, {"pptx", "ppsx", "ppt", "pps", "odp"}},
    {MediaKind::document, {"docx", "doc", "odt", "rtf"}},
    {MediaKind::zip, {"zip"}},
};

std::string extensions_of(MediaKind kind) {
  std::string out;
  for (const auto& r : kRules)
    if (kind == r.kind)
      for (const char* e : r.extensions) out += fmt::format("{}.{}", out.empty() ? "" : ", ", e);
  return out;
}

bool extension_fits(MediaKind kind, const std::string& ext) {
  // A folder item may be named like a folder (what a directory upload becomes, and what 2.x players
  // infer as a folder: a name without a dot).
  if (kind == MediaKind::zip && ext.empty()) return true;
  for (const auto& r : kRules)
    if (kind == r.kind)
      return std::any_of(r.extensions.begin(), r.extensions.end(), [&](const char* e) { return ext == e; });
  return false;
}

// What the bytes are, from their magic numbers; nullopt when unknown.
std::optional<SniffedMedia> from_magic(std::string_view h, const std::string& ext) {
  if (starts(h, "\x89PNG\r\n\x1a\n")) return SniffedMedia{MediaKind::image, "image/png"};
  if (starts(h, "\xff\xd8\xff")) return SniffedMedia{MediaKind::image, "image/jpeg"};
  if (starts(h, "GIF87a") || starts(h, "GIF89a")) return SniffedMedia{MediaKind::image, "image/gif"};
  if (starts(h, "RIFF") && starts(h, "WEBP", 8)) return SniffedMedia{MediaKind::image, "image/webp"};
  if (starts(h, "RIFF") && starts(h, "AVI ", 8)) return SniffedMedia{MediaKind::video, "video/x-msvideo"};
  if (starts(h, "RIFF") && starts(h, "WAVE", 8)) return SniffedMedia{MediaKind::audio, "audio/wav"};
  if (starts(h, "%PDF-")) return SniffedMedia{MediaKind::pdf, "application/pdf"};
  if (starts(h, "PK\x03\x04") || starts(h, std::string_view("PK\x05\x06", 4))) {
    // Office Open XML and OpenDocument files are ZIPs; the name says which (LibreOffice checks the
    // contents when it converts them, and refuses what it cannot read).
    if (ext == "pptx") return SniffedMedia{MediaKind::pptx, "application/vnd.openxmlformats-officedocument.presentationml.presentation"};
    if (ext == "ppsx") return SniffedMedia{MediaKind::pptx, "application/vnd.openxmlformats-officedocument.presentationml.slideshow"};
    if (ext == "odp") return SniffedMedia{MediaKind::pptx, "application/vnd.oasis.opendocument.presentation"};
    if (ext == "docx") return SniffedMedia{MediaKind::document, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"};
    if (ext == "odt") return SniffedMedia{MediaKind::document, "application/vnd.oasis.opendocument.text"};
    return SniffedMedia{MediaKind::zip, "application/zip"};
  }
  // OLE2 compound files: the old binary PowerPoint and Word formats.
  if (starts(h, std::string_view("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8))) {
    if (ext == "ppt" || ext == "pps") return SniffedMedia{MediaKind::pptx, "application/vnd.ms-powerpoint"};
    if (ext == "doc") return SniffedMedia{MediaKind::document, "application/msword"};
    return std::nullopt;
  }
  if (starts(h, "{\\rtf")) return SniffedMedia{MediaKind::document, "application/rtf"};
  if (starts(h, "ftyp", 4)) {
    if (starts(h, "M4A ", 8)) return SniffedMedia{MediaKind::audio, "audio/mp4"};
    if (starts(h, "qt  ", 8)) return SniffedMedia{MediaKind::video, "video/quicktime"};
    return SniffedMedia{MediaKind::video, "video/mp4"};
  }
  if (starts(h, "\x1a\x45\xdf\xa3")) return SniffedMedia{MediaKind::video, ext == "webm" ? "video/webm" : "video/x-matroska"};
  if (starts(h, "OggS")) return ext == "ogv" ? SniffedMedia{MediaKind::video, "video/ogg"} : SniffedMedia{MediaKind::audio, "audio/ogg"};
  if (starts(h, "fLaC")) return SniffedMedia{MediaKind::audio, "audio/flac"};
  if (starts(h, "ID3")) return SniffedMedia{MediaKind::audio, "audio/mpeg"};
  if (starts(h, std::string_view("\x00\x00\x01\xba", 4)) || starts(h, std::string_view("\x00\x00\x01\xb3", 4)))
    return SniffedMedia{MediaKind::video, "video/mpeg"};
  if (h.size() > 188 && h[0] == 0x47 && h[188] == 0x47) return SniffedMedia{MediaKind::video, "video/mp2t"};
  if (h.size() >= 2 && static_cast<unsigned char>(h[0]) == 0xff) {
    const auto b = static_cast<unsigned char>(h[1]);
    if ((b & 0xf6) == 0xf0) return SniffedMedia{MediaKind::audio, "audio/aac"};   // ADTS
    if ((b & 0xe0) == 0xe0) return SniffedMedia{MediaKind::audio, "audio/mpeg"};  // MPEG audio frame sync
  }
  return std::nullopt;
}

}  // namespace

Result<SniffedMedia> sniff_media(std::string_view head, std::string_view filename) {
  const std::string ext = lower_extension(filename);
  const auto sniffed = from_magic(head, ext);
  if (!sniffed)
    return make_error(ErrorCode::unsupported,
                      fmt::format("'{}' is not a supported file: upload video, audio, images (png, jpeg, gif, webp), "
                                  "PDF, presentations (pptx, ppt, odp), documents (docx, doc, odt, rtf) or a ZIP of images",
                                  filename));
  const SniffedMedia& m = *sniffed;
  if (!extension_fits(m.kind, ext))
    return make_error(ErrorCode::unsupported,
                      fmt::format("'{}' contains {} ({}) but its name does not end in one of: {}", filename, to_string(m.kind),
                                  m.mime, extensions_of(m.kind)));
  return m;
}

std::string_view player_type(MediaKind kind) noexcept {
  switch (kind) {
    case MediaKind::zip: return "folder";
    case MediaKind::audio: return "video";
    case MediaKind::document: return "pdf";  // shown as its pages, like a PDF
    default: return to_string(kind);
  }
}

Result<std::string> sanitize_file_name(std::string_view raw) {
  if (raw.find('\0') != std::string_view::npos) return make_error(ErrorCode::invalid, "file name contains a NUL byte");
  // Not repaired: a name in another encoding (CP1251 from an old archiver, say) would come out as
  // replacement characters, and the sender should know.
  if (!utf8::valid(raw)) return make_error(ErrorCode::invalid, "file name is not valid UTF-8");
  if (auto bidi = unicode::first_bidi_control(raw))
    return make_error(ErrorCode::invalid, fmt::format("file name contains {}, a character that changes the order in which "
                                                      "the name is displayed", unicode::code_point_name(*bidi)));
  // Browsers on Windows send full paths; keep the last component of either separator.
  if (auto slash = raw.find_last_of("/\\"); slash != std::string_view::npos) raw.remove_prefix(slash + 1);
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const auto c = static_cast<unsigned char>(raw[i]);
    if (c < 0x20 || c == 0x7f) continue;  // C0 controls and DEL
    if (c == 0xc2 && i + 1 < raw.size() && static_cast<unsigned char>(raw[i + 1]) <= 0x9f) {
      ++i;  // C1 controls (U+0080…U+009F): two bytes
      continue;
    }
    out.push_back(static_cast<char>(c));
  }
  out = unicode::nfc(out);  // one spelling per name, whichever system composed it
  while (!out.empty() && (out.front() == ' ' || out.front() == '.')) out.erase(out.begin());  // no hidden files
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (out.empty()) return make_error(ErrorCode::invalid, "file name is empty once path and control characters are removed");
  if (out.size() > 255) return make_error(ErrorCode::invalid, "file name is longer than 255 bytes");
  return out;
}

std::string_view infer_player_type(std::string_view name) noexcept {
  auto dot = name.rfind('.');
  if (dot == std::string_view::npos) return "folder";
  std::string ext;
  for (char c : name.substr(dot + 1)) ext.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (ext == "pdf") return "pdf";
  if (ext == "pptx") return "pptx";
  if (ext == "png" || ext == "jpg" || ext == "jpeg" || ext == "gif" || ext == "webp") return "image";
  if (ext == "zip") return "folder";
  return "video";
}

std::string_view content_type_for(std::string_view mime) noexcept {
  return mime.empty() ? std::string_view("application/octet-stream") : mime;
}

}  // namespace vc
