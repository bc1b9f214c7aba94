// The HTTP session (apps/server/http_session.cpp) over a real loopback socket: an HttpServer on
// 127.0.0.1 and an ephemeral port, a tiny router, and a plain POSIX client that writes raw HTTP/1.1
// and reads the answers byte for byte. Nothing here waits on a clock: each step blocks on the socket
// (a receive timeout only keeps a broken server from hanging the suite).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cctype>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>

#include <doctest/doctest.h>

#include "http_headers.hpp"
#include "http_server.hpp"

namespace {

using vc::server::HttpServer;
using vc::server::HttpServerOptions;
using vc::server::Request;
using vc::server::Response;
using vc::server::RouteOptions;
using vc::server::Router;

constexpr std::uint64_t kEchoLimit = 16;

Router make_router() {
  Router router;
  router.add("GET", "/hello", [](Request&) { return Response::json(200, R"({"hello":"world"})"); });
  RouteOptions small;
  small.max_body_bytes = kEchoLimit;
  router.add("POST", "/echo", [](Request& req) {
    Response r;
    r.content_type = "text/plain";
    r.body = req.method + " " + req.path + " " + req.body;
    return r;
  }, small);
  return router;
}

// An HttpServer running on its own thread; shut down and joined on destruction.
class LoopbackServer {
 public:
  LoopbackServer() : router_(make_router()), server_(options(), router_) {
    auto port = server_.listen();
    REQUIRE(port.ok());
    port_ = *port;
    runner_ = std::thread([this] { server_.run(); });
  }
  ~LoopbackServer() {
    server_.shutdown();
    runner_.join();
  }
  std::uint16_t port() const { return port_; }

 private:
  static HttpServerOptions options() {
    HttpServerOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.network_threads = 1;
    o.worker_threads = 1;
    o.handle_signals = false;
    return o;
  }
  Router router_;
  HttpServer server_;
  std::uint16_t port_ = 0;
  std::thread runner_;
};

struct HttpAnswer {
  std::string status_line;
  std::string head;  // the header lines, as received
  std::string body;
};

class Client {
 public:
  explicit Client(std::uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd_ >= 0);
    timeval tv{10, 0};  // a safety net only
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0);
  }
  ~Client() { close(fd_); }

  void write_all(const std::string& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      const auto n = ::write(fd_, bytes.data() + done, bytes.size() - done);
      REQUIRE(n > 0);
      done += static_cast<std::size_t>(n);
    }
  }

  // One response: the head up to the blank line, then Content-Length bytes of body.
  std::optional<HttpAnswer> read_answer() {
    std::size_t head_end;
    while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos)
      if (!fill()) return std::nullopt;
    HttpAnswer a;
    const std::string head = buffer_.substr(0, head_end + 2);
    const auto first_eol = head.find("\r\n");
    a.status_line = head.substr(0, first_eol);
    a.head = head.substr(first_eol + 2);
    std::size_t length = 0;
    if (auto at = lower(a.head).find("content-length:"); at != std::string::npos)
      length = std::stoul(a.head.substr(at + 15));
    buffer_.erase(0, head_end + 4);
    while (buffer_.size() < length)
      if (!fill()) return std::nullopt;
    a.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return a;
  }

  // True when the server has closed its side and nothing more is left to read.
  bool at_eof() { return buffer_.empty() && !fill(); }

 private:
  static std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }
  bool fill() {
    char chunk[4096];
    const auto n = ::read(fd_, chunk, sizeof chunk);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  std::string buffer_;
};

}  // namespace

TEST_SUITE("http_session") {

TEST_CASE("keep-alive: two requests, one after the other, answered on one connection") {
  LoopbackServer server;
  Client client(server.port());

  client.write_all("GET /hello HTTP/1.1\r\nHost: test\r\n\r\n");
  auto first = client.read_answer();
  REQUIRE(first);
  CHECK(first->status_line == "HTTP/1.1 200 OK");
  CHECK(first->head.find("Content-Type: application/json\r\n") != std::string::npos);
  CHECK(first->head.find("Server: videocontrol\r\n") != std::string::npos);  // no version unless asked
  CHECK(first->head.find("X-Content-Type-Options: nosniff\r\n") != std::string::npos);
  CHECK(first->head.find("X-Frame-Options: DENY\r\n") != std::string::npos);
  CHECK(first->head.find("Connection: close") == std::string::npos);
  CHECK(first->body == R"({"hello":"world"})");

  // The same connection: a body within the route's cap reaches the handler whole.
  client.write_all("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\nabcde");
  auto second = client.read_answer();
  REQUIRE(second);
  CHECK(second->status_line == "HTTP/1.1 200 OK");
  CHECK(second->body == "POST /echo abcde");
}

TEST_CASE("two pipelined requests are answered in order") {
  LoopbackServer server;
  Client client(server.port());
  client.write_all("GET /hello HTTP/1.1\r\nHost: test\r\n\r\n"
                   "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
  auto first = client.read_answer();
  auto second = client.read_answer();
  REQUIRE(first);
  REQUIRE(second);
  CHECK(first->body == R"({"hello":"world"})");
  CHECK(second->body == "POST /echo ok");
  CHECK(second->head.find("Connection: close\r\n") != std::string::npos);
  CHECK(client.at_eof());  // the client asked to close
}

TEST_CASE("a Content-Length over the route's cap is answered 413 before the body, then the connection closes") {
  LoopbackServer server;
  Client client(server.port());
  // Only the head: the answer must not wait for the 1000 bytes announced.
  client.write_all("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 1000\r\n\r\n");
  auto answer = client.read_answer();
  REQUIRE(answer);
  CHECK(answer->status_line == "HTTP/1.1 413 Payload Too Large");
  CHECK(answer->head.find("Connection: close\r\n") != std::string::npos);
  CHECK(answer->body ==
        R"({"error":{"code":"too_large","message":"request body is larger than the 16 bytes this route accepts"}})");
  CHECK(client.at_eof());
}

TEST_CASE("unrouted requests: 404, and 405 with Allow, on a connection that stays open") {
  LoopbackServer server;
  Client client(server.port());
  client.write_all("GET /nowhere HTTP/1.1\r\nHost: test\r\n\r\n");
  auto missing = client.read_answer();
  REQUIRE(missing);
  CHECK(missing->status_line == "HTTP/1.1 404 Not Found");
  CHECK(missing->body == R"({"error":{"code":"not_found","message":"no route for GET /nowhere"}})");

  client.write_all("DELETE /hello HTTP/1.1\r\nHost: test\r\n\r\n");
  auto wrong = client.read_answer();
  REQUIRE(wrong);
  CHECK(wrong->status_line == "HTTP/1.1 405 Method Not Allowed");
  CHECK(wrong->head.find("Allow: GET") != std::string::npos);
}

TEST_CASE("a malformed request line is answered 400 once, then the connection closes") {
  LoopbackServer server;
  Client client(server.port());
  client.write_all("NOT HTTP AT ALL\r\n\r\n");
  auto answer = client.read_answer();
  REQUIRE(answer);
  CHECK(answer->status_line == "HTTP/1.1 400 Bad Request");
  CHECK(answer->body.find(R"("code":"invalid")") != std::string::npos);
  CHECK(client.at_eof());
}

TEST_CASE("a Transfer-Encoding whose last coding is not chunked is answered 400 and closed, never read as a second request") {
  const char* cases[] = {
      "Transfer-Encoding: gzip\r\n",
      "Transfer-Encoding: chunked, gzip\r\n",
      "Transfer-Encoding: gzip\r\nContent-Length: 44\r\n",      // and the Content-Length is not believed either
      "Transfer-Encoding: identity\r\n",
  };
  for (const char* te : cases) {
    CAPTURE(te);
    LoopbackServer server;
    Client client(server.port());
    // Without the check, the body below ends the first request at once and is answered as a second.
    client.write_all(std::string("POST /echo HTTP/1.1\r\nHost: test\r\n") + te +
                     "\r\nGET /hello HTTP/1.1\r\nHost: test\r\n\r\n");
    auto answer = client.read_answer();
    REQUIRE(answer);
    CHECK(answer->status_line == "HTTP/1.1 400 Bad Request");
    CHECK(answer->head.find("Connection: close\r\n") != std::string::npos);
    CHECK(answer->body.find("Transfer-Encoding") != std::string::npos);
    CHECK(client.at_eof());  // the smuggled GET got no answer
  }
}

TEST_CASE("a chunked body (chunked last) is still read") {
  LoopbackServer server;
  Client client(server.port());
  client.write_all("POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
  auto answer = client.read_answer();
  REQUIRE(answer);
  CHECK(answer->status_line == "HTTP/1.1 200 OK");
  CHECK(answer->body == "POST /echo abc");
}

TEST_CASE("Host: required in HTTP/1.1 (400, closed), optional in HTTP/1.0, never twice") {
  {
    LoopbackServer server;
    Client client(server.port());
    client.write_all("GET /hello HTTP/1.1\r\n\r\n");
    auto answer = client.read_answer();
    REQUIRE(answer);
    CHECK(answer->status_line == "HTTP/1.1 400 Bad Request");
    CHECK(answer->body.find("Host") != std::string::npos);
    CHECK(client.at_eof());
  }
  {
    LoopbackServer server;
    Client client(server.port());
    client.write_all("GET /hello HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
    auto answer = client.read_answer();
    REQUIRE(answer);
    CHECK(answer->status_line == "HTTP/1.1 400 Bad Request");
  }
  {
    LoopbackServer server;
    Client client(server.port());
    client.write_all("GET /hello HTTP/1.0\r\n\r\n");
    auto answer = client.read_answer();
    REQUIRE(answer);
    CHECK(answer->status_line == "HTTP/1.1 200 OK");
    CHECK(answer->body == R"({"hello":"world"})");
  }
}

TEST_CASE("last_coding_is_chunked: only a list whose last coding is chunked") {
  using vc::server::last_coding_is_chunked;
  CHECK(last_coding_is_chunked("chunked"));
  CHECK(last_coding_is_chunked("Chunked"));
  CHECK(last_coding_is_chunked("gzip, chunked"));
  CHECK(last_coding_is_chunked("gzip,chunked , "));
  CHECK_FALSE(last_coding_is_chunked("chunked, gzip"));
  CHECK_FALSE(last_coding_is_chunked("gzip"));
  CHECK_FALSE(last_coding_is_chunked(""));
  CHECK_FALSE(last_coding_is_chunked(" , "));
  CHECK_FALSE(last_coding_is_chunked("chunkedx"));
  CHECK_FALSE(last_coding_is_chunked("chunked;q=1"));
}

}  // TEST_SUITE
