// What `ffprobe -v error -print_format json -show_format -show_streams` says about a video, audio or
// image file, reduced to what VideoControl shows and decides with. Private to the library.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "videocontrol/result.hpp"

namespace vc::pipeline {

struct MediaProbe {
  std::string container;           // format.format_name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
  double duration_s = 0;           // format.duration, else the longest stream's; 0 when unknown
  std::int64_t bit_rate = 0;       // format.bit_rate (bits/s), 0 when unknown
  bool has_video = false;          // a video stream that is not an attached picture (cover art)
  bool has_audio = false;
  std::string video_codec;         // codec_name of the first real video stream, e.g. "h264", "vp9", "hevc"
  std::string video_profile;       // its profile, e.g. "High"
  std::string pixel_format;        // e.g. "yuv420p"
  int width = 0, height = 0;       // coded size of that stream
  int rotation = 0;                // 0, 90, 180 or 270 (side_data "Display Matrix" rotation or tags.rotate), normalised
  double frame_rate = 0;           // avg_frame_rate as a number (0 when "0/0")
  std::string audio_codec;         // codec_name of the first audio stream, e.g. "aac", "opus", "mp3"
  int audio_channels = 0;
  int sample_rate = 0;
  bool faststart = false;          // not known from ffprobe output: set by the caller (moov before mdat)

  // Width and height as displayed (swapped for 90/270 rotation).
  int display_width() const { return rotation % 180 ? height : width; }
  int display_height() const { return rotation % 180 ? width : height; }
};

// Errors: invalid (not JSON, not an object, fields of the wrong type, more than 64 streams, over
// 4 MiB of text). Unknown fields are ignored; missing ones keep their defaults. Never throws.
Result<MediaProbe> parse_ffprobe_json(std::string_view json);

// The original's resolution label from the displayed size: "4K" (short side >= 2160 or long side >=
// 3840), "FHD" (short side >= 1080), "HD" (short side >= 720), "SD" (anything smaller but non-zero),
// "" when unknown (0×0).
std::string resolution_label(int width, int height);

// Why no player can decode it, or nullopt when every player (browsers, Android's MediaPlayer, mpv)
// can. Decodable: video h264, vp8, vp9, av1 (mpv/Chromium), hevc is NOT (Chromium on Linux and many
// Android boxes lack it); audio aac, mp3, opus, vorbis, flac, pcm_*. No video and no audio stream:
// "no audio or video stream".
std::optional<std::string> undecodable_reason(const MediaProbe& probe);

// Whether an MP4/MOV file has its moov atom before mdat (progressive playback starts at once).
// Reads only the top-level box headers. false when not an ISO-BMFF file or unreadable.
bool mp4_faststart(const std::string& path);

}  // namespace vc::pipeline
