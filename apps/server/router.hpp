// Router: method + path pattern → handler. Patterns are literal segments and `{name}` parameters
// (one non-empty segment, percent-decoded); a final `{name*}` takes the rest of the path. Literal
// segments win over parameters, so "/media/upload" beats "/media/{id}". HEAD falls back to GET.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "http_types.hpp"

namespace vc::server {

using Handler = std::function<Response(Request&)>;

struct RouteOptions {
  std::uint64_t max_body_bytes = 0;  // 0: the server's default cap
  bool inline_handler = false;       // true only for handlers that never block (run on the network thread)
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
