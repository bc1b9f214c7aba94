// Router: method + path pattern → handler. Patterns are literal segments and `{name}` parameters
// (one non-empty segment, percent-decoded); a final `{name*}` takes the rest of the path. Literal
// segments win over parameters, so "/media/upload" beats "/media/{id}". HEAD falls back to GET.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "http_types.hpp"

namespace vc::server {

using Handler = std::function<Response(Request&)>;

// Receives a request body as it streams in (uploads), so it is never held in memory. Every call
// happens on a worker thread, one at a time and in order. Destroying a sink before finish() means
// the client went away or the request failed: it must discard what it stored.
class BodySink {
 public:
  virtual ~BodySink() = default;
  virtual Result<void> write(std::string_view chunk) = 0;
  // After the last byte: the response.
  virtual Response finish() = 0;
};

// What a stream handler decides from the headers: a sink to take the body, or (sink null) a
// refusal sent without reading the body (e.g. 401, 403 quota, 404).
struct StreamStart {
  std::unique_ptr<BodySink> sink;
  Response refusal;
};

// Called on a worker thread with the request's headers (body empty) before any body byte is read.
using StreamHandler = std::function<StreamStart(Request&)>;

// Answers a request later (long-polling). Call exactly once, from any thread.
using Responder = std::function<void(Response)>;
// Called on the network thread with the complete request; must not block. `handler` unused.
using AsyncHandler = std::function<void(std::shared_ptr<Request>, Responder)>;

struct RouteOptions {
  std::uint64_t max_body_bytes = 0;  // 0: the server's default cap
  bool inline_handler = false;       // true only for handlers that never block (run on the network thread)
  StreamHandler stream;              // set for routes that take their body as a stream; `handler` unused
  AsyncHandler async;                // set for routes that answer later; `handler` unused
};

struct Route {
  std::string method;
  std::string pattern;
  Handler handler;
  RouteOptions options;
  std::vector<std::string> segments;  // parsed pattern
};

struct RouteMatch {
  enum class Kind { found, method_not_allowed, not_found };
  Kind kind = Kind::not_found;
  const Route* route = nullptr;
  std::map<std::string, std::string, std::less<>> params;
  std::vector<std::string> allowed;  // for method_not_allowed: the methods that would match
};

class Router {
 public:
  // REQUIRES: pattern starts with '/'; no two routes with the same method and pattern.
  void add(std::string method, std::string pattern, Handler handler, RouteOptions options = {});

  RouteMatch match(std::string_view method, std::string_view path) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace vc::server
