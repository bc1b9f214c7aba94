// What ffprobe says about media (libvideocontrol/src/pipeline/probe.cpp): real files made with
// ffmpeg at test time and probed with ffprobe, the labels and decodability derived from the result,
// the MP4 "faststart" check, and malformed ffprobe output.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "pipeline/probe.hpp"
#include "pipeline/process.hpp"
#include "test_support.hpp"

using namespace vc;
using namespace std::chrono_literals;
using pipeline::MediaProbe;

namespace {

bool have_ffmpeg() { return pipeline::tool_available("ffmpeg") && pipeline::tool_available("ffprobe"); }

void run_tool(const test::TempDir& dir, std::vector<std::string> argv) {
  pipeline::ProcessOptions o;
  o.argv = std::move(argv);
  o.work_dir = dir.path().string();
  o.timeout = 60s;
  auto r = pipeline::run_process(o);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
  REQUIRE_MESSAGE(r->ok(), o.argv[0] << ": " << r->describe());
}

// The media files, each made on first use and kept for the rest of the run (encoding is the slow
// part, and ctest runs every test case in a process of its own).
class Fixtures {
 public:
  static Fixtures& get() {
    static Fixtures fixtures;
    return fixtures;
  }

  std::string file(const std::string& name) {
    if (!made_.contains(name)) {
      make(name);
      made_.insert(name);
    }
    return dir_.file(name);
  }

  MediaProbe probe(const std::string& name) {
    pipeline::ProcessOptions o;
    o.argv = {"ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", file(name)};
    o.work_dir = dir_.path().string();
    o.timeout = 30s;
    auto r = pipeline::run_process(o);
    REQUIRE(r.ok());
    REQUIRE_MESSAGE(r->ok(), r->describe());
    auto p = pipeline::parse_ffprobe_json(r->out);
    REQUIRE_MESSAGE(p.ok(), (p.ok() ? "" : p.error().message));
    return *p;
  }

 private:
  void make(const std::string& name) {
    const std::vector<std::string> video = {"-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration=1"};
    const std::vector<std::string> audio = {"-f", "lavfi", "-i", "sine=duration=1"};
    const std::vector<std::string> hevc = {"-c:v", "libx265", "-x265-params", "log-level=error", "-pix_fmt", "yuv420p"};
    auto ffmpeg = [&](std::vector<std::vector<std::string>> parts) {
      std::vector<std::string> argv = {"ffmpeg", "-nostdin", "-v", "error", "-y"};
      for (auto& p : parts) argv.insert(argv.end(), p.begin(), p.end());
      argv.push_back(name);
      run_tool(dir_, argv);
    };
    if (name == "h264.mp4")
      ffmpeg({video, audio, {"-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest"}});
    else if (name == "vp9.webm")
      ffmpeg({video, audio,
              {"-c:v", "libvpx-vp9", "-deadline", "realtime", "-pix_fmt", "yuv420p", "-c:a", "libopus", "-shortest"}});
    else if (name == "hevc-faststart.mp4")
      ffmpeg({video, hevc, {"-movflags", "+faststart"}});
    else if (name == "hevc.mp4")
      ffmpeg({video, hevc});
    else if (name == "rotated.mp4")
      ffmpeg({{"-i", file("h264.mp4"), "-c", "copy", "-metadata:s:v", "rotate=90"}});
    else if (name == "image.png")
      ffmpeg({video, {"-frames:v", "1"}});
    else if (name == "cover.mp3")
      ffmpeg({audio, {"-i", file("image.png"), "-map", "0:a", "-map", "1:v", "-c:a", "libmp3lame", "-c:v", "png",
                      "-disposition:v:0", "attached_pic", "-id3v2_version", "3"}});
    else if (name == "ac3.mka")
      ffmpeg({audio, {"-c:a", "ac3"}});
    else
      FAIL("no recipe for fixture " << name);
  }

  test::TempDir dir_;
  std::set<std::string> made_;
};

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string box(const std::string& type, std::size_t payload, bool large = false) {
  std::string b;
  auto be = [&](std::uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i) b += static_cast<char>((v >> (8 * i)) & 0xff);
  };
  if (large) {
    be(1, 4);
    b += type;
    be(16 + payload, 8);
  } else {
    be(8 + payload, 4);
    b += type;
  }
  b.append(payload, '\0');
  return b;
}

}  // namespace

TEST_CASE("ffprobe of an H.264/AAC MP4") {
  if (!have_ffmpeg()) {
    MESSAGE("ffmpeg/ffprobe not installed: skipped");
    return;
  }
  auto& fx = Fixtures::get();
  const MediaProbe p = fx.probe("h264.mp4");
  CHECK(p.container == "mov,mp4,m4a,3gp,3g2,mj2");
  CHECK(p.duration_s == doctest::Approx(1.0).epsilon(0.1));
  CHECK(p.bit_rate > 0);
  CHECK(p.has_video);
  CHECK(p.has_audio);
  CHECK(p.video_codec == "h264");
  CHECK(p.video_profile == "High");
  CHECK(p.pixel_format == "yuv420p");
  CHECK(p.width == 320);
  CHECK(p.height == 240);
  CHECK(p.rotation == 0);
  CHECK(p.frame_rate == doctest::Approx(25));
  CHECK(p.audio_codec == "aac");
  CHECK(p.audio_channels == 1);
  CHECK(p.sample_rate == 44100);
  CHECK_FALSE(p.faststart);  // the caller's to set
  CHECK(pipeline::resolution_label(p.display_width(), p.display_height()) == "SD");
  CHECK_FALSE(pipeline::undecodable_reason(p).has_value());
  CHECK_FALSE(pipeline::mp4_faststart(fx.file("h264.mp4")));  // ffmpeg writes moov last by default
}

TEST_CASE("ffprobe of a VP9/Opus WebM") {
  if (!have_ffmpeg()) {
    MESSAGE("ffmpeg/ffprobe not installed: skipped");
    return;
  }
  const MediaProbe p = Fixtures::get().probe("vp9.webm");
  CHECK(p.container == "matroska,webm");
  CHECK(p.duration_s == doctest::Approx(1.0).epsilon(0.1));
  CHECK(p.video_codec == "vp9");
  CHECK(p.width == 320);
  CHECK(p.height == 240);
  CHECK(p.audio_codec == "opus");
  CHECK(p.sample_rate == 48000);
  CHECK_FALSE(pipeline::undecodable_reason(p).has_value());
  CHECK_FALSE(pipeline::mp4_faststart(Fixtures::get().file("vp9.webm")));  // not ISO-BMFF at all
}

TEST_CASE("HEVC is not decodable everywhere; faststart is read from the box order") {
  if (!have_ffmpeg()) {
    MESSAGE("ffmpeg/ffprobe not installed: skipped");
    return;
  }
  auto& fx = Fixtures::get();
  const MediaProbe p = fx.probe("hevc-faststart.mp4");
  CHECK(p.video_codec == "hevc");
  CHECK(p.has_video);
  CHECK_FALSE(p.has_audio);
  const auto reason = pipeline::undecodable_reason(p);
  REQUIRE(reason.has_value());
  CHECK(reason->find("HEVC") != std::string::npos);
  CHECK(pipeline::mp4_faststart(fx.file("hevc-faststart.mp4")));
  CHECK_FALSE(pipeline::mp4_faststart(fx.file("hevc.mp4")));
}

TEST_CASE("a rotated video reports its displayed size") {
  if (!have_ffmpeg()) {
    MESSAGE("ffmpeg/ffprobe not installed: skipped");
    return;
  }
  const MediaProbe p = Fixtures::get().probe("rotated.mp4");
  CHECK((p.rotation == 90 || p.rotation == 270));
  CHECK(p.width == 320);
  CHECK(p.display_width() == 240);
  CHECK(p.display_height() == 320);
}

TEST_CASE("images, cover art and audio-only files") {
  if (!have_ffmpeg()) {
    MESSAGE("ffmpeg/ffprobe not installed: skipped");
    return;
  }
  auto& fx = Fixtures::get();
  const MediaProbe png = fx.probe("image.png");
  CHECK(png.has_video);
  CHECK_FALSE(png.has_audio);
  CHECK(png.video_codec == "png");
  CHECK(png.width == 320);
  CHECK(png.height == 240);
  CHECK_FALSE(pipeline::mp4_faststart(fx.file("image.png")));

  // The cover picture of an MP3 is a "video" stream, but the file is audio.
  const MediaProbe mp3 = fx.probe("cover.mp3");
  CHECK_FALSE(mp3.has_video);
  CHECK(mp3.video_codec.empty());
  CHECK(mp3.width == 0);
  CHECK(mp3.has_audio);
  CHECK(mp3.audio_codec == "mp3");
  CHECK(mp3.duration_s > 0.9);
  CHECK_FALSE(pipeline::undecodable_reason(mp3).has_value());
  CHECK(pipeline::resolution_label(mp3.display_width(), mp3.display_height()).empty());

  const MediaProbe ac3 = fx.probe("ac3.mka");
  CHECK(ac3.audio_codec == "ac3");
  const auto reason = pipeline::undecodable_reason(ac3);
  REQUIRE(reason.has_value());
  CHECK(reason->find("ac3") != std::string::npos);
}

TEST_CASE("resolution labels") {
  using pipeline::resolution_label;
  CHECK(resolution_label(0, 0) == "");
  CHECK(resolution_label(640, 0) == "");
  CHECK(resolution_label(-1, 480) == "");
  CHECK(resolution_label(320, 240) == "SD");
  CHECK(resolution_label(640, 360) == "SD");
  CHECK(resolution_label(1280, 719) == "SD");
  CHECK(resolution_label(1280, 720) == "HD");
  CHECK(resolution_label(720, 1280) == "HD");
  CHECK(resolution_label(1920, 1079) == "HD");
  CHECK(resolution_label(1920, 1080) == "FHD");
  CHECK(resolution_label(1080, 1920) == "FHD");
  CHECK(resolution_label(2560, 1440) == "FHD");
  CHECK(resolution_label(3840, 2160) == "4K");
  CHECK(resolution_label(2160, 3840) == "4K");
  CHECK(resolution_label(3840, 1600) == "4K");  // ultra-wide: the long side counts
  CHECK(resolution_label(4096, 2160) == "4K");
}

TEST_CASE("decodability by codec") {
  MediaProbe p;
  CHECK(pipeline::undecodable_reason(p) == "no audio or video stream");
  p.has_video = true;
  for (const char* codec : {"h264", "vp8", "vp9", "av1"}) {
    p.video_codec = codec;
    CHECK_FALSE(pipeline::undecodable_reason(p).has_value());
  }
  for (const char* codec : {"hevc", "mpeg2video", "prores", ""}) {
    p.video_codec = codec;
    CHECK(pipeline::undecodable_reason(p).has_value());
  }
  p.video_codec = "h264";
  p.has_audio = true;
  for (const char* codec : {"aac", "mp3", "opus", "vorbis", "flac", "pcm_s16le", "pcm_f32le"}) {
    p.audio_codec = codec;
    CHECK_FALSE(pipeline::undecodable_reason(p).has_value());
  }
  for (const char* codec : {"ac3", "eac3", "dts", "wmav2", ""}) {
    p.audio_codec = codec;
    CHECK(pipeline::undecodable_reason(p).has_value());
  }
}

TEST_CASE("ffprobe output details: numbers as strings, rotation forms, fallbacks") {
  auto parse = [](const std::string& json) {
    auto p = pipeline::parse_ffprobe_json(json);
    REQUIRE_MESSAGE(p.ok(), (p.ok() ? "" : p.error().message));
    return *p;
  };
  auto p = parse(R"({"streams":[{"codec_type":"video","codec_name":"h264","width":1920,"height":1080,
      "avg_frame_rate":"30000/1001","side_data_list":[{"side_data_type":"Display Matrix","rotation":-90}]}],
      "format":{"duration":"10.000000","bit_rate":"1234"}})");
  CHECK(p.rotation == 270);
  CHECK(p.display_width() == 1080);
  CHECK(p.display_height() == 1920);
  CHECK(p.frame_rate == doctest::Approx(29.97).epsilon(0.001));
  CHECK(p.duration_s == 10.0);
  CHECK(p.bit_rate == 1234);

  p = parse(R"({"streams":[{"codec_type":"video","width":"640","height":"480","tags":{"rotate":"180"},
      "avg_frame_rate":"0/0"}]})");
  CHECK(p.rotation == 180);
  CHECK(p.width == 640);
  CHECK(p.frame_rate == 0);

  // No format duration ("N/A"): the longest stream's.
  p = parse(R"({"streams":[{"codec_type":"audio","duration":"3.5","channels":2,"sample_rate":"48000"},
      {"codec_type":"video","duration":4.25}],"format":{"duration":"N/A","bit_rate":"N/A"}})");
  CHECK(p.duration_s == 4.25);
  CHECK(p.bit_rate == 0);
  CHECK(p.audio_channels == 2);

  // Nonsense values mean "unknown", not a crash or an overflow.
  p = parse(R"({"streams":[{"codec_type":"video","width":-5,"height":1e300,"avg_frame_rate":"1/0",
      "side_data_list":[{"rotation":1e308}]}],"format":{"duration":"-3","bit_rate":1e30}})");
  CHECK(p.width == 0);
  CHECK(p.height == 0);
  CHECK(p.rotation == 0);
  CHECK(p.frame_rate == 0);
  CHECK(p.duration_s == 0);
  CHECK(p.bit_rate == 0);

  // Rotation is normalised to quarter turns.
  p = parse(R"({"streams":[{"codec_type":"video","side_data_list":[{"side_data_type":"x"},{"rotation":450}]}]})");
  CHECK(p.rotation == 90);
  p = parse(R"({"streams":[{"codec_type":"video","side_data_list":[{"rotation":-180.0}]}]})");
  CHECK(p.rotation == 180);

  // Unknown members are ignored; an empty object is a file with nothing in it.
  p = parse(R"({"programs":[],"streams":[],"format":{"tags":{"title":"\u00e9"}},"extra":{"deep":[[[1]]]}})");
  CHECK_FALSE(p.has_video);
  CHECK_FALSE(p.has_audio);
  CHECK(parse("{}").container.empty());
}

TEST_CASE("malformed ffprobe output is invalid, never a crash") {
  const std::vector<std::string> bad = {
      "",
      "not json",
      "{\"streams\":[",
      "[]",
      "\"text\"",
      "42",
      "null",
      R"({"streams":{}})",
      R"({"streams":[1]})",
      R"({"streams":[{"codec_type":5}]})",
      R"({"streams":[{"codec_type":"video","codec_name":["h264"]}]})",
      R"({"streams":[{"codec_type":"video","width":{}}]})",
      R"({"streams":[{"codec_type":"video","width":true}]})",
      R"({"streams":[{"codec_type":"video","avg_frame_rate":[30]}]})",
      R"({"streams":[{"codec_type":"video","side_data_list":{}}]})",
      R"({"streams":[{"codec_type":"video","side_data_list":[7]}]})",
      R"({"streams":[{"codec_type":"video","side_data_list":[{"rotation":"x","y":1}],"tags":[]}]})",
      R"({"streams":[{"codec_type":"video","disposition":3}]})",
      R"({"streams":[{"codec_type":"video","disposition":{"attached_pic":[1]}}]})",
      R"({"format":[]})",
      R"({"format":{"format_name":7}})",
      R"({"format":{"duration":{}}})",
      R"({"format":{"format_name":"\udc00"}})",  // a lone surrogate decodes to bytes that are not UTF-8
  };
  for (const auto& json : bad) {
    CAPTURE(json);
    auto r = pipeline::parse_ffprobe_json(json);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::invalid);
  }

  std::string many = R"({"streams":[)";
  for (int i = 0; i < 65; ++i) many += std::string(i ? "," : "") + R"({"codec_type":"audio"})";
  many += "]}";
  CHECK_FALSE(pipeline::parse_ffprobe_json(many).ok());

  // Over 4 MiB, and deeply nested (within it): refused without exhausting the stack.
  std::string huge = R"({"format":{"format_name":")" + std::string(5 << 20, 'a') + R"("}})";
  CHECK(pipeline::parse_ffprobe_json(huge).error().code == ErrorCode::invalid);
  const std::string deep = std::string(1 << 18, '[') + std::string(1 << 18, ']');
  CHECK(pipeline::parse_ffprobe_json(deep).error().code == ErrorCode::invalid);
  const std::string deep_object = R"({"x":)" + std::string(1 << 18, '[') + std::string(1 << 18, ']') + "}";
  CHECK(pipeline::parse_ffprobe_json(deep_object).ok());  // unknown members may be anything
}

TEST_CASE("mp4_faststart reads top-level boxes only") {
  test::TempDir dir;
  auto check = [&](const std::string& bytes) {
    write_file(dir.file("f.mp4"), bytes);
    return pipeline::mp4_faststart(dir.file("f.mp4"));
  };
  CHECK(check(box("ftyp", 16) + box("moov", 100) + box("mdat", 1000)));
  CHECK_FALSE(check(box("ftyp", 16) + box("mdat", 1000) + box("moov", 100)));
  CHECK(check(box("ftyp", 16) + box("free", 8) + box("moov", 4)));
  // 64-bit sizes are followed.
  CHECK(check(box("ftyp", 16) + box("free", 40, true) + box("moov", 10)));
  CHECK_FALSE(check(box("ftyp", 16) + box("mdat", 40, true) + box("moov", 10)));
  // size 0: the last box, to the end of the file.
  std::string to_end = box("mdat", 50);
  to_end[0] = to_end[1] = to_end[2] = to_end[3] = 0;
  CHECK_FALSE(check(box("ftyp", 16) + to_end));
  std::string moov_to_end = box("moov", 50);
  moov_to_end[3] = 0;
  CHECK(check(box("ftyp", 16) + moov_to_end));
  // No moov at all, or broken sizes.
  CHECK_FALSE(check(box("ftyp", 16) + box("free", 16)));
  CHECK_FALSE(check(""));
  CHECK_FALSE(check("short"));
  std::string too_small = box("ftyp", 16);
  too_small[3] = 4;  // smaller than its own header
  CHECK_FALSE(check(too_small + box("moov", 8)));
  std::string past_end = box("free", 16);
  past_end[2] = 0x7f;  // claims far more than the file holds
  CHECK_FALSE(check(box("ftyp", 16) + past_end + box("moov", 8)));
  CHECK_FALSE(check(std::string(4, '\0') + "\x01\x02\x03\x04" + box("moov", 8)));  // not a box type
  // More than 64 boxes before the moov: given up.
  std::string many;
  for (int i = 0; i < 70; ++i) many += box("free", 0);
  CHECK_FALSE(check(many + box("moov", 8)));
  std::string some;
  for (int i = 0; i < 60; ++i) some += box("free", 0);
  CHECK(check(some + box("moov", 8)));
  CHECK_FALSE(pipeline::mp4_faststart(dir.file("missing.mp4")));
  CHECK_FALSE(pipeline::mp4_faststart(dir.path().string()));  // a folder
}
