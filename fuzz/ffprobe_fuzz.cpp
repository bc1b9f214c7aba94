// Fuzzes the reading of ffprobe's JSON (libvideocontrol/src/pipeline/probe.cpp): any bytes either are
// refused with `invalid` or become a MediaProbe whose numbers are in range (no NaN, no negative sizes,
// a quarter-turn rotation), from which the resolution label and the decodability verdict follow.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "pipeline/probe.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto r = vc::pipeline::parse_ffprobe_json(in);
  if (!r) {
    if (r.error().code != vc::ErrorCode::invalid) std::abort();
    return 0;
  }
  const vc::pipeline::MediaProbe& p = *r;
  if (!std::isfinite(p.duration_s) || p.duration_s < 0 || p.bit_rate < 0) std::abort();
  if (!std::isfinite(p.frame_rate) || p.frame_rate < 0) std::abort();
  if (p.width < 0 || p.height < 0 || p.width > 65536 || p.height > 65536) std::abort();
  if (p.rotation != 0 && p.rotation != 90 && p.rotation != 180 && p.rotation != 270) std::abort();
  if (p.audio_channels < 0 || p.sample_rate < 0) std::abort();
  if (!p.has_video && (!p.video_codec.empty() || p.width != 0)) std::abort();
  const std::string label = vc::pipeline::resolution_label(p.display_width(), p.display_height());
  if (label.empty() != (p.width == 0 || p.height == 0)) std::abort();
  const auto reason = vc::pipeline::undecodable_reason(p);
  if (!p.has_video && !p.has_audio && !reason) std::abort();
  return 0;
}
