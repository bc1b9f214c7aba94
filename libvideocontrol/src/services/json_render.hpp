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
// With device_id, the derived files' URLs (thumbnail_url, pages_url) are included.
std::string file(const DeviceFile& f, std::string_view device_id = {});
std::string file_page(const Page<DeviceFile>& page, std::string_view device_id = {});
std::string now_playing(const NowPlaying& n);

}  // namespace vc::json
