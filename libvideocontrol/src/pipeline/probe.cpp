#include "probe.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cerrno>
#include <limits>

#include <fmt/format.h>
#include <rapidjson/document.h>

#include "../util/utf8.hpp"

namespace vc::pipeline {
namespace {

using rapidjson::Value;

constexpr std::size_t kMaxJsonBytes = 4 << 20;
constexpr std::size_t kMaxStreams = 64;
constexpr std::size_t kMaxKeptString = 256;  // codec, profile and format names are far shorter
constexpr double kMaxDimension = 1 << 16;
constexpr double kMaxDurationSeconds = 1e9;       // ~30 years: anything beyond is a broken header

Error bad(std::string message) { return make_error(ErrorCode::invalid, "ffprobe output: " + std::move(message)); }

// A member that is present and not null.
const Value* member(const Value& object, const char* key) {
  const auto it = object.FindMember(key);
  if (it == object.MemberEnd() || it->value.IsNull()) return nullptr;
  return &it->value;
}

// An object member: absent → nullptr; present but not an object → error.
Result<const Value*> object_member(const Value& object, const char* key, std::string_view where) {
  const Value* v = member(object, key);
  if (v && !v->IsObject()) return bad(fmt::format("{}{} must be an object", where, key));
  return v;
}

// A string member kept in MediaProbe: absent → ""; wrong type, invalid UTF-8 or too long → error.
Result<std::string> string_member(const Value& object, const char* key, std::string_view where) {
  const Value* v = member(object, key);
  if (!v) return std::string();
  if (!v->IsString()) return bad(fmt::format("{}{} must be a string", where, key));
  const std::string_view s(v->GetString(), v->GetStringLength());
  if (s.size() > kMaxKeptString || !utf8::valid(s))
    return bad(fmt::format("{}{} is not a short UTF-8 string", where, key));
  return std::string(s);
}

// Parses all of `s` as a number (locale-independent, unlike strtod); nullopt for "N/A" and the like.
std::optional<double> parse_number(std::string_view s) {
  double d = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(d)) return std::nullopt;
  return d;
}

// A number ffprobe prints either as JSON number or as a string ("10.000000", "1234", "N/A").
// Absent or not a number in a string → nullopt; any other type → error.
Result<std::optional<double>> number_member(const Value& object, const char* key, std::string_view where) {
  const Value* v = member(object, key);
  if (!v) return std::optional<double>();
  if (v->IsNumber()) {
    const double d = v->GetDouble();
    return std::isfinite(d) ? std::optional<double>(d) : std::nullopt;
  }
  if (v->IsString()) return parse_number(std::string_view(v->GetString(), v->GetStringLength()));
  return bad(fmt::format("{}{} must be a number", where, key));
}

// A number within [lo, hi], else `fallback` (a negative width or a 10^300 bit rate means "unknown").
double within(const std::optional<double>& v, double lo, double hi, double fallback = 0) {
  return v && *v >= lo && *v <= hi ? *v : fallback;
}

int to_int(const std::optional<double>& v, double hi) { return static_cast<int>(within(v, 0, hi)); }

// "30000/1001" → 29.97; "0/0" → 0. A plain number is taken as it is.
Result<double> rate_member(const Value& object, const char* key, std::string_view where) {
  const Value* v = member(object, key);
  if (!v) return 0.0;
  std::optional<double> rate;
  if (v->IsNumber()) {
    rate = v->GetDouble();
  } else if (v->IsString()) {
    const std::string_view s(v->GetString(), v->GetStringLength());
    const auto slash = s.find('/');
    if (slash == std::string_view::npos) {
      rate = parse_number(s);
    } else {
      const auto num = parse_number(s.substr(0, slash)), den = parse_number(s.substr(slash + 1));
      if (num && den && *den != 0) rate = *num / *den;
    }
  } else {
    return bad(fmt::format("{}{} must be a string", where, key));
  }
  return within(rate, 0, 1e6);
}

// Degrees → 0, 90, 180 or 270 (counted the way they come; -90 is 270).
int normalise_rotation(double degrees) {
  if (!std::isfinite(degrees) || std::fabs(degrees) > 1e6) return 0;
  const long quarters = std::lround(degrees / 90.0);
  return static_cast<int>(((quarters % 4) + 4) % 4) * 90;
}

// The display rotation of a video stream: its "Display Matrix" side data, else the older
// tags.rotate (ffmpeg before 5.0). 0 when neither says anything.
Result<int> stream_rotation(const Value& stream, std::string_view where) {
  if (const Value* list = member(stream, "side_data_list")) {
    if (!list->IsArray()) return bad(fmt::format("{}side_data_list must be an array", where));
    for (const Value& entry : list->GetArray()) {
      if (!entry.IsObject()) return bad(fmt::format("{}side_data_list entries must be objects", where));
      auto rotation = number_member(entry, "rotation", where);
      if (!rotation) return std::move(rotation).error();
      if (*rotation) return normalise_rotation(**rotation);
    }
  }
  auto tags = object_member(stream, "tags", where);
  if (!tags) return std::move(tags).error();
  if (*tags) {
    auto rotate = number_member(**tags, "rotate", where);
    if (!rotate) return std::move(rotate).error();
    if (*rotate) return normalise_rotation(**rotate);
  }
  return 0;
}

Result<void> read_stream(const Value& stream, std::size_t index, MediaProbe& probe, double& longest_stream_s) {
  if (!stream.IsObject()) return bad("streams must hold objects");
  const std::string where = fmt::format("streams[{}].", index);
  auto type = string_member(stream, "codec_type", where);
  if (!type) return std::move(type).error();
  auto codec = string_member(stream, "codec_name", where);
  if (!codec) return std::move(codec).error();
  auto duration = number_member(stream, "duration", where);
  if (!duration) return std::move(duration).error();
  longest_stream_s = std::max(longest_stream_s, within(*duration, 0, kMaxDurationSeconds));

  if (*type == "video") {
    // Cover art in an MP3 or M4A is a "video" stream of one picture: the file is still audio.
    auto disposition = object_member(stream, "disposition", where);
    if (!disposition) return std::move(disposition).error();
    if (*disposition) {
      auto attached = number_member(**disposition, "attached_pic", where + "disposition.");
      if (!attached) return std::move(attached).error();
      if (*attached && **attached == 1) return {};
    }
    if (probe.has_video) return {};  // only the first real video stream is described
    probe.has_video = true;
    probe.video_codec = std::move(*codec);
    auto profile = string_member(stream, "profile", where);
    if (!profile) return std::move(profile).error();
    probe.video_profile = std::move(*profile);
    auto pix_fmt = string_member(stream, "pix_fmt", where);
    if (!pix_fmt) return std::move(pix_fmt).error();
    probe.pixel_format = std::move(*pix_fmt);
    auto width = number_member(stream, "width", where);
    if (!width) return std::move(width).error();
    auto height = number_member(stream, "height", where);
    if (!height) return std::move(height).error();
    probe.width = to_int(*width, kMaxDimension);
    probe.height = to_int(*height, kMaxDimension);
    auto rotation = stream_rotation(stream, where);
    if (!rotation) return std::move(rotation).error();
    probe.rotation = *rotation;
    auto rate = rate_member(stream, "avg_frame_rate", where);
    if (!rate) return std::move(rate).error();
    probe.frame_rate = *rate;
  } else if (*type == "audio") {
    if (probe.has_audio) return {};
    probe.has_audio = true;
    probe.audio_codec = std::move(*codec);
    auto channels = number_member(stream, "channels", where);
    if (!channels) return std::move(channels).error();
    probe.audio_channels = to_int(*channels, 1024);
    auto sample_rate = number_member(stream, "sample_rate", where);
    if (!sample_rate) return std::move(sample_rate).error();
    probe.sample_rate = to_int(*sample_rate, 10'000'000);
  }
  return {};
}

bool one_of(std::string_view v, std::initializer_list<std::string_view> set) {
  return std::find(set.begin(), set.end(), v) != set.end();
}

std::uint64_t big_endian(const unsigned char* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
  return v;
}

// Reads exactly n bytes at offset; false on a short read or an error.
bool read_at(int fd, unsigned char* buf, std::size_t n, std::uint64_t offset) {
  std::size_t got = 0;
  while (got < n) {
    const ssize_t r = ::pread(fd, buf + got, n - got, static_cast<off_t>(offset + got));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    got += static_cast<std::size_t>(r);
  }
  return true;
}

}  // namespace

Result<MediaProbe> parse_ffprobe_json(std::string_view json) {
  if (json.size() > kMaxJsonBytes) return bad(fmt::format("over {} bytes", kMaxJsonBytes));
  rapidjson::Document doc;
  // Iterative: a text of nothing but '[' must not recurse through the stack. No encoding check:
  // tags may hold any bytes, and the few strings kept are checked one by one.
  doc.Parse<rapidjson::kParseDefaultFlags | rapidjson::kParseIterativeFlag>(json.data(), json.size());
  if (doc.HasParseError()) return bad("not JSON");
  if (!doc.IsObject()) return bad("not a JSON object");

  MediaProbe probe;
  double longest_stream_s = 0;
  if (const Value* streams = member(doc, "streams")) {
    if (!streams->IsArray()) return bad("streams must be an array");
    if (streams->Size() > kMaxStreams) return bad(fmt::format("more than {} streams", kMaxStreams));
    for (rapidjson::SizeType i = 0; i < streams->Size(); ++i) VC_TRY(read_stream((*streams)[i], i, probe, longest_stream_s));
  }

  auto format = object_member(doc, "format", "");
  if (!format) return std::move(format).error();
  double duration_s = 0;
  if (*format) {
    auto name = string_member(**format, "format_name", "format.");
    if (!name) return std::move(name).error();
    probe.container = std::move(*name);
    auto duration = number_member(**format, "duration", "format.");
    if (!duration) return std::move(duration).error();
    duration_s = within(*duration, 0, kMaxDurationSeconds);
    auto bit_rate = number_member(**format, "bit_rate", "format.");
    if (!bit_rate) return std::move(bit_rate).error();
    probe.bit_rate = static_cast<std::int64_t>(within(*bit_rate, 0, 1e15));  // 1 Pbit/s: well inside int64
  }
  probe.duration_s = duration_s > 0 ? duration_s : longest_stream_s;
  return probe;
}

std::string resolution_label(int width, int height) {
  if (width <= 0 || height <= 0) return "";
  const int short_side = std::min(width, height), long_side = std::max(width, height);
  if (short_side >= 2160 || long_side >= 3840) return "4K";
  if (short_side >= 1080) return "FHD";
  if (short_side >= 720) return "HD";
  return "SD";
}

std::optional<std::string> undecodable_reason(const MediaProbe& probe) {
  if (!probe.has_video && !probe.has_audio) return "no audio or video stream";
  if (probe.has_video && !one_of(probe.video_codec, {"h264", "vp8", "vp9", "av1"})) {
    if (probe.video_codec.empty()) return "the video codec is unknown";
    return fmt::format("the video codec {} cannot be played by every player (H.264, VP8, VP9 and AV1 can)",
                       probe.video_codec == "hevc" ? "HEVC (H.265)" : probe.video_codec);
  }
  if (probe.has_audio && !one_of(probe.audio_codec, {"aac", "mp3", "opus", "vorbis", "flac"}) &&
      !probe.audio_codec.starts_with("pcm_")) {
    if (probe.audio_codec.empty()) return "the audio codec is unknown";
    return fmt::format("the audio codec {} cannot be played by every player (AAC, MP3, Opus, Vorbis, FLAC and PCM can)",
                       probe.audio_codec);
  }
  return std::nullopt;
}

bool mp4_faststart(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return false;
  const auto file_size = static_cast<std::uint64_t>(st.st_size);

  std::uint64_t offset = 0;
  for (int box = 0; box < 64 && file_size - offset >= 8; ++box) {
    unsigned char header[16];
    if (!read_at(fd, header, 8, offset)) return false;
    std::uint64_t size = big_endian(header, 4);
    std::uint64_t header_size = 8;
    const std::string_view type(reinterpret_cast<const char*>(header + 4), 4);
    // Box types are four printable characters; anything else is not ISO-BMFF (or is corrupt).
    if (!std::all_of(type.begin(), type.end(), [](char c) { return c >= 0x20 && c <= 0x7e; })) return false;
    if (size == 1) {  // a 64-bit "largesize" follows the type
      if (file_size - offset < 16 || !read_at(fd, header + 8, 8, offset + 8)) return false;
      size = big_endian(header + 8, 8);
      header_size = 16;
    } else if (size == 0) {  // the box runs to the end of the file
      size = file_size - offset;
    }
    if (size < header_size) return false;
    if (type == "moov") return true;
    if (type == "mdat") return false;
    if (size > file_size - offset) return false;  // truncated: no moov within the file
    offset += size;
  }
  return false;
}

}  // namespace vc::pipeline
