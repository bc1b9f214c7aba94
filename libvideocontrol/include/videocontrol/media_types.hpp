// Media kinds: content sniffing, file-name rules and the player's type inference.
#pragma once

#include "videocontrol/export.hpp"

#include <string>
#include <string_view>

#include "videocontrol/domain.hpp"
#include "videocontrol/result.hpp"

namespace vc {

struct VC_API SniffedMedia {
  MediaKind kind = MediaKind::video;
  std::string mime;
};

// Identifies video, audio, image, PDF, PPTX and ZIP from the first bytes, and checks that the file
// name's extension belongs to that kind. Errors: unsupported (415) with a message saying what the
// content is and which extensions fit.
VC_API Result<SniffedMedia> sniff_media(std::string_view head, std::string_view filename);

// A display name from an untrusted client file name: the last path component, trimmed, without
// control characters. Errors: invalid for empty, ".", "..", NUL or over 255 bytes.
VC_API Result<std::string> sanitize_file_name(std::string_view raw);

// PROTOCOL.md's compatibility rule: no dot → folder; .pdf → pdf; .pptx → pptx; png/jpg/jpeg/gif/
// webp → image; .zip → folder; anything else → video.
VC_API std::string_view infer_player_type(std::string_view file_name) noexcept;

// The type a player is told for stored media of a kind (PROTOCOL.md): video, image, pdf, pptx, or
// folder for a ZIP; audio plays through the players' video element, so it is "video".
VC_API std::string_view player_type(MediaKind kind) noexcept;

// Content-Type for a stored kind/mime (falls back to application/octet-stream).
VC_API std::string_view content_type_for(std::string_view mime) noexcept;

}  // namespace vc
