#include "videocontrol/version.hpp"

namespace vc {
const char* version() noexcept { return VIDEOCONTROL_VERSION; }
}  // namespace vc
