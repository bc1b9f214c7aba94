// The server's routes called in this process, with no network in between: vcctl's local mode and the
// C API (bindings/c) use it, so their answers and errors are the REST API's, byte for byte. Each call
// names the Actor it acts for (Request::in_process_actor); no credential is read.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "http_types.hpp"
#include "server_config.hpp"
#include "videocontrol/actor.hpp"

namespace vc {
class Installation;
}

namespace vc::server {

class InProcessApi {
 public:
  // REQUIRES: `installation` outlives this object.
  InProcessApi(Installation& installation, Config config);
  ~InProcessApi();
  InProcessApi(const InProcessApi&) = delete;
  InProcessApi& operator=(const InProcessApi&) = delete;

  // `target` is a path with its query. A route that answers with a file gets it read into `body`.
  // Routes that only work over a connection (Socket.IO, long polls) answer 501.
  Response call(const Actor& actor, std::string_view method, std::string_view target, std::string_view json_body = {});

  // Sends the file at `path` as one multipart/form-data part (`field`, `filename`) to an upload
  // route, streamed into the route's body sink in 256 KiB chunks; `progress(sent, total)` after each.
  Response upload(const Actor& actor, std::string_view target, const std::string& path, std::string_view filename,
                  std::string_view field = "files", const std::function<void(std::uint64_t, std::uint64_t)>& progress = {});

  // The installation itself (Actor::system()) acting in one organisation, named by slug or id; empty:
  // the one with slug "default", else the only one. Errors: not_found, naming the slugs there are.
  Result<Actor> system_actor(std::string_view organization);

  Installation& installation() { return installation_; }

 private:
  Installation& installation_;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vc::server
