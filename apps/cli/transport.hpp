// How vcctl reaches an installation. Both transports speak the REST API's requests and answers, so
// every command works the same way (same JSON, same errors) in both modes:
//   remote  — HTTP(S) to a running server (cpp-httplib), signed in with a saved session or an API key;
//   local   — the installation opened through the library in this process (Installation::open), the
//             server's routes called directly with the system actor acting in one organisation: for
//             recovery while the server is down and for scripts on the server host.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "videocontrol/result.hpp"

namespace vcctl {

struct Reply {
  int status = 0;
  std::string body;          // JSON for every API route
  std::string content_type;
};

// A file sent as one multipart/form-data part named `field`, streamed from disk (never loaded whole).
struct Upload {
  std::string path;
  std::string filename;  // the name the server stores
  std::string field = "files";
  // Called as bytes go out: (sent, total). May be empty.
  std::function<void(std::uint64_t, std::uint64_t)> progress;
};

class Transport {
 public:
  virtual ~Transport() = default;
  // `target` is a path with its query ("/api/v1/devices?limit=50"). A reply with any HTTP status is a
  // success here; errors are for requests that got no answer (server unreachable, TLS, local I/O).
  virtual vc::Result<Reply> request(std::string_view method, std::string_view target, std::string_view json_body = {}) = 0;
  virtual vc::Result<Reply> upload(std::string_view target, const Upload& file) = 0;
  // "http://host:port" or "local (sqlite://…)": for messages.
  virtual std::string describe() const = 0;
};

struct RemoteOptions {
  std::string server;          // base URL, "http://127.0.0.1:8080"
  std::string api_key;         // sent as X-API-Key when set
  std::string access_token;    // else sent as a bearer token when set
  std::string organization_id; // X-Organization-Id (a superadmin acting in another organisation)
  int timeout_s = 60;
};
vc::Result<std::unique_ptr<Transport>> remote_transport(const RemoteOptions& options);
inline vc::Result<std::unique_ptr<Transport>> remote_transport(std::string server, int timeout_s) {
  RemoteOptions o;
  o.server = std::move(server);
  o.timeout_s = timeout_s;
  return remote_transport(o);
}

struct LocalOptions {
  std::string database_url;  // sqlite://… or postgresql://…
  std::string data_dir;      // default: the server's DATA_DIR setting
  std::string content_dir;   // default: <data_dir>/content
  std::string organization;  // slug or id to act in; empty: the only organisation, else "default"
};
vc::Result<std::unique_ptr<Transport>> local_transport(const LocalOptions& options);

}  // namespace vcctl
