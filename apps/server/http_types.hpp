// Plain HTTP request/response values exchanged between the network layer (http_server.cpp,
// http_session.cpp, websocket_session.cpp: the only Beast code) and the routes. Nothing here depends
// on Beast.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "videocontrol/actor.hpp"
#include "videocontrol/result.hpp"

namespace vc::server {

struct Request {
  std::string method;                                        // "GET", "POST", …
  std::string target;                                        // as sent: path plus query
  std::string path;                                          // target without the query
  std::string query;                                         // after '?', undecoded
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  std::string body;
  std::map<std::string, std::string, std::less<>> params;    // route parameters, percent-decoded
  std::string remote_address;
  // Set only by InProcessApi (in_process.hpp; vcctl's local mode, the C API), never by the network
  // layer: the request then acts for this actor and no credential is read.
  const Actor* in_process_actor = nullptr;

  // First header with that (case-insensitive) name, or empty.
  std::string_view header(std::string_view name) const;
  // Value of a query parameter, percent-decoded; nullopt when absent.
  std::optional<std::string> query_param(std::string_view name) const;
};

// A body streamed from a file: `length` bytes starting at `offset`. The network layer reads it in
// chunks on the worker pool; it is never loaded whole.
struct FileBody {
  std::string path;
  std::int64_t offset = 0;
  std::int64_t length = 0;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::optional<FileBody> file;  // when set, sent instead of `body`

  static Response json(int status, std::string body);
  // {"error":{"code":"…","message":"…"}} with the status that matches the code.
  static Response error(const Error& e);
  static Response error(int status, std::string_view code, std::string_view message);
};

// The one place where library error codes become HTTP statuses (DESIGN.md principle 3).
int http_status(ErrorCode code) noexcept;

// Percent-decodes `in` ('+' stays '+'); nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view in);

}  // namespace vc::server
