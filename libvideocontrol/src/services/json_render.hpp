// The canonical JSON of devices and media (what the API returns and the cache stores).
#pragma once

#include <string>
#include <vector>

#include "videocontrol/devices.hpp"
#include "videocontrol/domain.hpp"

namespace vc::json {

std::string device(const DeviceView& v, const std::vector<std::string>& fields);
std::string device_page(const Page<DeviceView>& page, const std::vector<std::string>& fields);
std::string media(const Media& m);
std::string media_page(const Page<Media>& page);
std::string file(const DeviceFile& f);
std::string file_page(const Page<DeviceFile>& page);
std::string now_playing(const NowPlaying& n);

}  // namespace vc::json
