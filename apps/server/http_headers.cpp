#include "http_headers.hpp"

#include "videocontrol/text.hpp"

namespace vc::server {

std::optional<std::string> cookie_in(std::string_view rest, std::string_view name) {
  while (!rest.empty()) {
    const auto semi = rest.find(';');
    std::string_view pair = text::trim(rest.substr(0, semi));
    rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
    const auto eq = pair.find('=');
    if (eq == std::string_view::npos || text::trim(pair.substr(0, eq)) != name) continue;
    std::string_view v = text::trim(pair.substr(eq + 1));
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    return std::string(v);
  }
  return std::nullopt;
}

bool accepts_coding(std::string_view header, std::string_view coding) {
  while (!header.empty()) {
    const auto comma = header.find(',');
    std::string_view item = text::trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
    std::string_view params;
    if (auto semi = item.find(';'); semi != std::string_view::npos) {
      params = text::trim(item.substr(semi + 1));
      item = text::trim(item.substr(0, semi));
    }
    if (item != coding) continue;
    if (params.size() >= 2 && (params[0] | 0x20) == 'q' && params[1] == '=') {
      const std::string_view q = text::trim(params.substr(2));
      // q=0, 0.0, 0.00, 0.000 refuse; any other value accepts.
      if (q.empty() || q[0] != '0') return true;
      for (char c : q.substr(1))
        if (c != '.' && c != '0') return true;
      return false;
    }
    return true;
  }
  return false;
}

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  if (text::trim(if_none_match) == "*") return true;
  while (!if_none_match.empty()) {
    const auto comma = if_none_match.find(',');
    std::string_view item = text::trim(if_none_match.substr(0, comma));
    if_none_match = comma == std::string_view::npos ? std::string_view{} : if_none_match.substr(comma + 1);
    if (item.starts_with("W/")) item.remove_prefix(2);
    if (!item.empty() && item == etag) return true;
  }
  return false;
}

bool last_coding_is_chunked(std::string_view value) {
  std::string_view last;
  while (!value.empty()) {
    const auto comma = value.find(',');
    std::string_view item = text::trim(value.substr(0, comma));
    value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
    if (item.empty()) continue;  // "a, , b": empty list elements are allowed and ignored
    // A coding may carry parameters ("gzip;q=1"); chunked never does.
    last = item;
  }
  if (last.size() != 7) return false;
  constexpr std::string_view kChunked = "chunked";
  for (std::size_t i = 0; i < 7; ++i)
    if ((last[i] | 0x20) != kChunked[i]) return false;
  return true;
}

std::string_view origin_host(std::string_view origin) {
  const auto scheme = origin.find("://");
  if (scheme == std::string_view::npos) return {};
  origin.remove_prefix(scheme + 3);
  return origin.substr(0, origin.find('/'));
}

}  // namespace vc::server
