// The remote transport: cpp-httplib's client (HTTP and HTTPS) against a running server.
#include <httplib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

#include "transport.hpp"
#include "videocontrol/protocol/multipart.hpp"
#include "videocontrol/version.hpp"

namespace vcctl {
namespace {

std::string boundary() {
  std::random_device rd;
  std::string b = "vcctl-";
  const char* hex = "0123456789abcdef";
  for (int i = 0; i < 24; ++i) b += hex[rd() % 16];
  return b;
}

// What went wrong, for a person: httplib's names ("Connection", "Read") say too little.
std::string error_text(httplib::Error e) {
  switch (e) {
    case httplib::Error::Connection: return "cannot connect (refused, unreachable or no such host)";
    case httplib::Error::ConnectionTimeout: return "connecting timed out";
    case httplib::Error::Read: return "the connection broke or timed out while reading the answer";
    case httplib::Error::Write: return "the connection broke while sending";
    case httplib::Error::SSLConnection: return "the TLS handshake failed";
    case httplib::Error::SSLLoadingCerts: return "the system's CA certificates could not be loaded";
    case httplib::Error::SSLServerVerification: return "the server's TLS certificate is not trusted";
    case httplib::Error::ExceedRedirectCount: return "too many redirects";
    default: return httplib::to_string(e);
  }
}

class RemoteTransport final : public Transport {
 public:
  explicit RemoteTransport(RemoteOptions o) : options_(std::move(o)), client_(options_.server) {
    client_.set_connection_timeout(10, 0);
    client_.set_read_timeout(options_.timeout_s, 0);
    client_.set_write_timeout(options_.timeout_s, 0);
    client_.set_keep_alive(true);
  }

  vc::Result<Reply> request(std::string_view method, std::string_view target, std::string_view json_body) override {
    const std::string path(target);
    const std::string body(json_body);
    const auto h = headers();
    auto send = [&]() -> httplib::Result {
      if (method == "GET") return client_.Get(path, h);
      if (method == "POST") return client_.Post(path, h, body, "application/json");
      if (method == "PUT") return client_.Put(path, h, body, "application/json");
      if (method == "PATCH") return client_.Patch(path, h, body, "application/json");
      return body.empty() ? client_.Delete(path, h) : client_.Delete(path, h, body, "application/json");
    };
    if (method != "GET" && method != "POST" && method != "PUT" && method != "PATCH" && method != "DELETE")
      return vc::make_error(vc::ErrorCode::internal, "unsupported method " + std::string(method));
    auto r = send();
    return reply(r);
  }

  vc::Result<Reply> upload(std::string_view target, const Upload& file) override {
    std::error_code ec;
    const auto size = std::filesystem::file_size(file.path, ec);
    if (ec) return vc::make_error(vc::ErrorCode::invalid, file.path + ": " + ec.message());
    auto in = std::make_shared<std::ifstream>(file.path, std::ios::binary);
    if (!*in) return vc::make_error(vc::ErrorCode::invalid, file.path + ": cannot be read");
    const std::string b = boundary();
    const std::string head = vc::multipart_file_head(b, file.field, file.filename);
    const std::string tail = vc::multipart_close(b);
    const std::uint64_t total = head.size() + size + tail.size();
    bool read_failed = false;
    auto provider = [&](std::size_t offset, std::size_t length, httplib::DataSink& sink) -> bool {
      // The body is head + file + tail; `offset` is where the client wants to continue.
      std::string chunk;
      if (offset < head.size()) {
        chunk = head.substr(offset);
      } else if (offset < head.size() + size) {
        const std::uint64_t at = offset - head.size();
        chunk.resize(static_cast<std::size_t>(std::min<std::uint64_t>({size - at, 256 * 1024, std::max<std::size_t>(length, 1)})));
        in->seekg(static_cast<std::streamoff>(at));
        in->read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
        if (in->gcount() != static_cast<std::streamsize>(chunk.size())) {
          read_failed = true;  // the file shrank or failed under us: end the request short
          return false;
        }
      } else {
        chunk = tail.substr(offset - head.size() - size);
      }
      if (!sink.write(chunk.data(), chunk.size())) return false;
      if (file.progress) file.progress(std::min<std::uint64_t>(offset + chunk.size(), total), total);
      return true;
    };
    auto r = client_.Post(std::string(target), headers(), static_cast<std::size_t>(total), provider,
                          "multipart/form-data; boundary=" + b);
    if (read_failed) return vc::make_error(vc::ErrorCode::invalid, file.path + ": read failed while sending (did it change?)");
    return reply(r);
  }

  std::string describe() const override { return options_.server; }

 private:
  httplib::Headers headers() const {
    httplib::Headers h{{"Accept", "application/json"}, {"User-Agent", "vcctl/" VIDEOCONTROL_VERSION}};
    if (!options_.api_key.empty()) h.emplace("X-API-Key", options_.api_key);
    else if (!options_.access_token.empty()) h.emplace("Authorization", "Bearer " + options_.access_token);
    if (!options_.organization_id.empty()) h.emplace("X-Organization-Id", options_.organization_id);
    return h;
  }

  vc::Result<Reply> reply(httplib::Result& r) const {
    if (!r) {
      return vc::make_error(vc::ErrorCode::unavailable,
                            "no answer from " + options_.server + ": " + error_text(r.error()));
    }
    Reply out;
    out.status = r->status;
    out.body = std::move(r->body);
    out.content_type = r->get_header_value("Content-Type");
    return out;
  }

  RemoteOptions options_;
  httplib::Client client_;
};

}  // namespace

vc::Result<std::unique_ptr<Transport>> remote_transport(const RemoteOptions& options) {
  const auto& s = options.server;
  if (s.rfind("http://", 0) != 0 && s.rfind("https://", 0) != 0)
    return vc::make_error(vc::ErrorCode::invalid, "--server must start with http:// or https:// (got '" + s + "')");
  auto t = std::make_unique<RemoteTransport>(options);
  if (!t) return vc::make_error(vc::ErrorCode::internal, "out of memory");
  return std::unique_ptr<Transport>(std::move(t));
}

}  // namespace vcctl
