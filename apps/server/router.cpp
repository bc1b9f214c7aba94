#include "router.hpp"

#include <algorithm>
#include <stdexcept>

namespace vc::server {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.empty() || path.front() != '/') return out;
  path.remove_prefix(1);
  while (true) {
    auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

bool is_param(std::string_view seg) { return seg.size() > 2 && seg.front() == '{' && seg.back() == '}'; }
bool is_rest(std::string_view seg) { return is_param(seg) && seg[seg.size() - 2] == '*'; }

// Score vector: 2 for a literal, 1 for a parameter, 0 for a rest parameter; higher wins.
bool match_route(const Route& r, const std::vector<std::string_view>& parts,
                 std::map<std::string, std::string, std::less<>>& params, std::vector<int>& score) {
  params.clear();
  score.clear();
  std::size_t i = 0;
  for (; i < r.segments.size(); ++i) {
    const std::string& seg = r.segments[i];
    if (is_rest(seg)) {
      if (i >= parts.size()) return false;
      std::string rest;
      for (std::size_t j = i; j < parts.size(); ++j) {
        if (parts[j].empty()) return false;
        auto d = percent_decode(parts[j]);
        if (!d) return false;
        if (j > i) rest.push_back('/');
        rest += *d;
      }
      params[seg.substr(1, seg.size() - 3)] = std::move(rest);
      score.push_back(0);
      return true;
    }
    if (i >= parts.size()) return false;
    if (is_param(seg)) {
      if (parts[i].empty()) return false;
      auto d = percent_decode(parts[i]);
      if (!d) return false;
      params[seg.substr(1, seg.size() - 2)] = std::move(*d);
      score.push_back(1);
    } else {
      if (seg != parts[i]) return false;
      score.push_back(2);
    }
  }
  return i == parts.size();
}

}  // namespace

void Router::add(std::string method, std::string pattern, Handler handler, RouteOptions options) {
  if (pattern.empty() || pattern.front() != '/') throw std::invalid_argument("route pattern must start with '/': " + pattern);
  for (const auto& r : routes_)
    if (r.method == method && r.pattern == pattern) throw std::invalid_argument("duplicate route " + method + " " + pattern);
  Route r{std::move(method), std::move(pattern), std::move(handler), options, {}};
  for (auto seg : split_path(r.pattern)) r.segments.emplace_back(seg);
  routes_.push_back(std::move(r));
}

RouteMatch Router::match(std::string_view method, std::string_view path) const {
  RouteMatch best;
  std::vector<int> best_score;
  const auto parts = split_path(path);
  std::map<std::string, std::string, std::less<>> params;
  std::vector<int> score;
  for (const bool head_as_get : {false, true}) {
    if (head_as_get && (method != "HEAD" || best.kind == RouteMatch::Kind::found)) break;
    const std::string_view want = head_as_get ? std::string_view("GET") : method;
    for (const auto& r : routes_) {
      if (!match_route(r, parts, params, score)) continue;
      if (r.method != want) {
        if (!head_as_get && std::find(best.allowed.begin(), best.allowed.end(), r.method) == best.allowed.end())
          best.allowed.push_back(r.method);
        continue;
      }
      if (best.kind != RouteMatch::Kind::found || score > best_score) {
        best.kind = RouteMatch::Kind::found;
        best.route = &r;
        best.params = params;
        best_score = score;
      }
    }
  }
  if (best.kind != RouteMatch::Kind::found && !best.allowed.empty()) {
    if (std::find(best.allowed.begin(), best.allowed.end(), "GET") != best.allowed.end() &&
        std::find(best.allowed.begin(), best.allowed.end(), "HEAD") == best.allowed.end())
      best.allowed.push_back("HEAD");
    best.kind = RouteMatch::Kind::method_not_allowed;
  }
  return best;
}

}  // namespace vc::server
