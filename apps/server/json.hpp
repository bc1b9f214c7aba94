// Responses are written with the library's one JSON writer (videocontrol/json_writer.hpp); this
// name stays for the server's files.
#pragma once

#include "videocontrol/json_writer.hpp"

namespace vc::server {

using JsonWriter = vc::JsonWriter;

}  // namespace vc::server
