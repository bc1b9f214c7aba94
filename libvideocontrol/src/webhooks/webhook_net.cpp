// The parts of a webhook delivery that need no database: the signature, the back-off schedule, the
// URL, and the SSRF rules (address classes, the allow-list, resolving a host).
#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "videocontrol/webhooks.hpp"

namespace vc {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

Error bad_url(std::string_view why) { return make_error(ErrorCode::invalid, fmt::format("url: {}", why)); }

// Numeric text → 4 or 16 bytes; 0 when it is not an address.
int parse_ip(std::string_view text, unsigned char out[16]) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return 0;
  char buf[INET6_ADDRSTRLEN] = {};
  std::memcpy(buf, text.data(), text.size());
  if (inet_pton(AF_INET, buf, out) == 1) return 4;
  if (inet_pton(AF_INET6, buf, out) == 1) return 16;
  return 0;
}

bool in_prefix(const unsigned char* a, const unsigned char* net, int bits) {
  for (int i = 0; bits > 0; ++i, bits -= 8) {
    const unsigned mask = bits >= 8 ? 0xffu : (0xffu << (8 - bits)) & 0xffu;
    if ((a[i] & mask) != (net[i] & mask)) return false;
  }
  return true;
}

std::string classify_v4(const unsigned char* b) {
  struct Range {
    std::array<unsigned char, 4> net;
    int bits;
    const char* why;
  };
  static const Range kRanges[] = {
      {{0, 0, 0, 0}, 8, "unspecified"},      // "this network"
      {{10, 0, 0, 0}, 8, "private"},
      {{100, 64, 0, 0}, 10, "cgnat"},
      {{127, 0, 0, 0}, 8, "loopback"},
      {{169, 254, 0, 0}, 16, "link-local"},  // cloud metadata services live here
      {{172, 16, 0, 0}, 12, "private"},
      {{192, 0, 0, 0}, 24, "reserved"},      // IETF protocol assignments
      {{192, 0, 2, 0}, 24, "reserved"},      // documentation
      {{192, 168, 0, 0}, 16, "private"},
      {{198, 18, 0, 0}, 15, "reserved"},     // benchmarking
      {{198, 51, 100, 0}, 24, "reserved"},
      {{203, 0, 113, 0}, 24, "reserved"},
      {{224, 0, 0, 0}, 4, "multicast"},
      {{240, 0, 0, 0}, 4, "reserved"},       // incl. 255.255.255.255
  };
  for (const auto& r : kRanges)
    if (in_prefix(b, r.net.data(), r.bits)) return r.why;
  return {};
}

std::string classify_v6(const unsigned char* b) {
  static const unsigned char zero[16] = {};
  unsigned char one[16] = {};
  one[15] = 1;
  if (std::memcmp(b, zero, 16) == 0) return "unspecified";
  if (std::memcmp(b, one, 16) == 0) return "loopback";
  // IPv4-mapped (::ffff:a.b.c.d) and the deprecated IPv4-compatible / NAT64 well-known prefixes
  // reach IPv4 addresses: judge the IPv4 part.
  static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  static const unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  if (std::memcmp(b, mapped, 12) == 0 || std::memcmp(b, nat64, 12) == 0) return classify_v4(b + 12);
  if (std::memcmp(b, zero, 12) == 0) return classify_v4(b + 12);
  if (b[0] == 0xff) return "multicast";
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return "link-local";
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) return "unique-local";  // deprecated site-local
  if ((b[0] & 0xfe) == 0xfc) return "unique-local";
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) return "reserved";  // documentation
  if (b[0] == 0x20 && b[1] == 0x02) {  // 6to4: embeds an IPv4 address
    auto v4 = classify_v4(b + 2);
    if (!v4.empty()) return v4;
  }
  if ((b[0] & 0xe0) != 0x20) return "reserved";  // outside 2000::/3 (global unicast)
  return {};
}

}  // namespace

std::string_view to_string(DeliveryStatus s) noexcept {
  switch (s) {
    case DeliveryStatus::pending: return "pending";
    case DeliveryStatus::succeeded: return "succeeded";
    case DeliveryStatus::failed: return "failed";
  }
  return "pending";
}

std::optional<DeliveryStatus> parse_delivery_status(std::string_view t) noexcept {
  if (t == "pending") return DeliveryStatus::pending;
  if (t == "succeeded") return DeliveryStatus::succeeded;
  if (t == "failed") return DeliveryStatus::failed;
  return std::nullopt;
}

const std::vector<std::string>& webhook_events() {
  static const std::vector<std::string> kEvents = {
      "device.created", "device.renamed", "device.deleted", "device.online",   "device.offline",
      "playback.changed", "media.added",  "media.deleted",  "media.ready",     "media.failed",
      "placeholder.changed", "schedule.changed", "user.changed", "api_key.changed", "ping"};
  return kEvents;
}

std::string webhook_signature(std::string_view secret, std::string_view timestamp, std::string_view body) {
  std::string message;
  message.reserve(timestamp.size() + 1 + body.size());
  message.append(timestamp).append(".").append(body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "sha256=";
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 0xf];
  }
  return out;
}

std::chrono::milliseconds webhook_backoff(int failed_attempts, const WebhookOptions& o) {
  const int n = std::max(1, failed_attempts);
  std::int64_t wait = o.backoff_base.count();
  for (int i = 1; i < n && wait < o.backoff_max.count(); ++i) wait *= 2;
  return std::chrono::milliseconds(std::min<std::int64_t>(wait, o.backoff_max.count()));
}

Result<WebhookUrl> parse_webhook_url(std::string_view url) {
  if (url.size() > 2048) return bad_url("longer than 2048 bytes");
  for (unsigned char c : url)
    if (c <= 0x20 || c == 0x7f) return bad_url("contains spaces or control characters");
  WebhookUrl out;
  const auto colon = url.find("://");
  if (colon == std::string_view::npos) return bad_url("must start with http:// or https://");
  out.scheme = lower(url.substr(0, colon));
  if (out.scheme != "http" && out.scheme != "https") return bad_url("must start with http:// or https://");
  std::string_view rest = url.substr(colon + 3);
  if (rest.find('#') != std::string_view::npos) return bad_url("must not have a fragment");
  const auto slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  out.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (!out.target.empty() && out.target[0] == '?') out.target = "/" + out.target;
  if (authority.find('@') != std::string_view::npos) return bad_url("must not carry a user name or password");
  std::string_view port_text;
  if (!authority.empty() && authority[0] == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return bad_url("an IPv6 address needs a closing ]");
    out.host = lower(authority.substr(1, close - 1));
    unsigned char b[16];
    if (parse_ip(out.host, b) != 16) return bad_url("not an IPv6 address between [ ]");
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return bad_url("unexpected text after the address");
      port_text = after.substr(1);
      if (port_text.empty()) return bad_url("empty port");
    }
  } else {
    const auto pc = authority.rfind(':');
    if (pc != std::string_view::npos) {
      port_text = authority.substr(pc + 1);
      if (port_text.empty()) return bad_url("empty port");
      authority = authority.substr(0, pc);
    }
    out.host = lower(authority);
    for (char c : out.host)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_'))
        return bad_url("the host name has characters a host name cannot have");
    if (out.host.size() > 253) return bad_url("the host name is too long");
  }
  if (out.host.empty()) return bad_url("has no host");
  out.port = out.scheme == "https" ? 443 : 80;
  if (!port_text.empty()) {
    int port = 0;
    auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || p != port_text.data() + port_text.size() || port < 1 || port > 65535)
      return bad_url("the port must be 1..65535");
    out.port = port;
  }
  return out;
}

std::string classify_address(std::string_view ip) {
  unsigned char b[16];
  const int n = parse_ip(ip, b);
  if (n == 4) return classify_v4(b);
  if (n == 16) return classify_v6(b);
  return "invalid";
}

Result<HostAllowList> HostAllowList::parse(const std::vector<std::string>& entries) {
  HostAllowList out;
  for (const auto& raw : entries) {
    std::string e = lower(raw);
    if (e.empty()) continue;
    const auto slash = e.find('/');
    std::string addr = e.substr(0, slash);
    if (addr.size() > 2 && addr.front() == '[' && addr.back() == ']') addr = addr.substr(1, addr.size() - 2);
    Net net;
    const int n = parse_ip(addr, net.bytes);
    if (n == 0) {
      if (slash != std::string::npos)
        return make_error(ErrorCode::invalid, fmt::format("allow-list: '{}' is not an address/prefix", raw));
      out.hosts_.push_back(e);
      continue;
    }
    net.v6 = n == 16;
    net.bits = n * 8;
    if (slash != std::string::npos) {
      const std::string bits = e.substr(slash + 1);
      int b = -1;
      auto [p, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), b);
      if (ec != std::errc() || p != bits.data() + bits.size() || b < 0 || b > n * 8)
        return make_error(ErrorCode::invalid, fmt::format("allow-list: '{}' has a bad prefix length", raw));
      net.bits = b;
    }
    out.nets_.push_back(net);
  }
  return out;
}

Result<HostAllowList> HostAllowList::parse_text(std::string_view text) {
  std::vector<std::string> entries;
  std::string cur;
  for (char c : text) {
    if (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (!cur.empty()) entries.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) entries.push_back(std::move(cur));
  return parse(entries);
}

bool HostAllowList::allows(std::string_view host, std::string_view ip) const {
  const std::string h = lower(host);
  if (std::find(hosts_.begin(), hosts_.end(), h) != hosts_.end()) return true;
  unsigned char b[16];
  const int n = parse_ip(ip, b);
  if (n == 0) return false;
  for (const auto& net : nets_)
    if ((net.v6 ? 16 : 4) == n && in_prefix(b, net.bytes, net.bits)) return true;
  return false;
}

Result<std::string> resolve_webhook_host(const WebhookUrl& url, const HostAllowList& allow) {
  std::vector<std::string> addresses;
  unsigned char b[16];
  if (parse_ip(url.host, b)) {
    addresses.push_back(url.host);
  } else {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    const int rc = getaddrinfo(url.host.c_str(), nullptr, &hints, &res);
    if (rc != 0 || !res)
      return make_error(ErrorCode::unavailable, fmt::format("cannot resolve '{}': {}", url.host, gai_strerror(rc)));
    for (auto* p = res; p; p = p->ai_next) {
      char text[INET6_ADDRSTRLEN] = {};
      if (p->ai_family == AF_INET)
        inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(p->ai_addr)->sin_addr, text, sizeof text);
      else if (p->ai_family == AF_INET6)
        inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(p->ai_addr)->sin6_addr, text, sizeof text);
      else
        continue;
      if (std::find(addresses.begin(), addresses.end(), text) == addresses.end()) addresses.emplace_back(text);
    }
    freeaddrinfo(res);
    if (addresses.empty()) return make_error(ErrorCode::unavailable, fmt::format("cannot resolve '{}'", url.host));
  }
  // Every address must pass: a name that also resolves to an internal address is refused.
  for (const auto& a : addresses) {
    const auto why = classify_address(a);
    if (!why.empty() && !allow.allows(url.host, a))
      return make_error(ErrorCode::invalid,
                        fmt::format("'{}' resolves to {} ({}), which webhooks may not reach; "
                                    "name it in the WEBHOOK_ALLOW_HOSTS setting to allow it",
                                    url.host, a, why));
  }
  return addresses.front();
}

}  // namespace vc
