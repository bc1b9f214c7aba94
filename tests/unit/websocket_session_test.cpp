// The WebSocket session (BeastWebSocket, apps/server/websocket_session.cpp) over a real loopback
// socket: an HttpServer on 127.0.0.1 and an ephemeral port with one WebSocket path, and a
// synchronous Beast client. Each step blocks on the socket; nothing waits on a clock.
//
// Beast is configured as in the server's own translation units, so the inline code they share is
// the same everywhere in the test binary.
#define BOOST_ASIO_NO_DEPRECATED
#define BOOST_BEAST_USE_STD_STRING_VIEW

#include <future>
#include <memory>
#include <string>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <doctest/doctest.h>

#include "http_server.hpp"

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

using vc::server::HttpServer;
using vc::server::HttpServerOptions;
using vc::server::Request;
using vc::server::Router;
using vc::server::WebSocketConnection;

// The server side: /ws echoes each frame as "text:<msg>" or "binary:<msg>" and closes after "bye".
// A test makes one connection; its upgrade and its on_close fulfil the promises (twice would throw).
struct EchoServer {
  explicit EchoServer(HttpServerOptions o = options()) : server(std::move(o), router) {
    server.add_websocket("/ws", [this](std::shared_ptr<Request> req, std::shared_ptr<WebSocketConnection> ws) {
      upgrade_target.set_value(req->target);
      std::weak_ptr<WebSocketConnection> weak = ws;  // its own handlers must not keep it alive
      ws->start({[weak](std::string message, bool binary) {
                   auto ws = weak.lock();
                   if (!ws) return;
                   if (message == "flood") {  // 16 MiB at once, whether the client reads or not
                     for (int i = 0; i < 256; ++i) ws->send(std::string(64 * 1024, 'f'));
                     return;
                   }
                   ws->send((binary ? "binary:" : "text:") + message);
                   if (message == "bye") ws->close();
                 },
                 [this] { closed.set_value(); }});
    });
    auto p = server.listen();
    REQUIRE(p.ok());
    port = *p;
    runner = std::thread([this] { server.run(); });
  }
  ~EchoServer() {
    server.shutdown();
    runner.join();
  }

  static HttpServerOptions options() {
    HttpServerOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.network_threads = 1;
    o.worker_threads = 1;
    o.handle_signals = false;
    return o;
  }

  Router router;
  HttpServer server;
  std::uint16_t port = 0;
  std::promise<std::string> upgrade_target;  // the upgrade request's target, once accepted
  std::promise<void> closed;
  std::thread runner;
};

// A connected, handshaken client; the handshake's response is kept.
struct EchoClient {
  explicit EchoClient(std::uint16_t port) : ws(ioc) {
    beast::get_lowest_layer(ws).connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    ws.handshake(handshake_response, "127.0.0.1", "/ws?who=test");
  }
  std::string read_text() {
    beast::flat_buffer buffer;
    ws.read(buffer);
    CHECK(ws.got_text());
    return beast::buffers_to_string(buffer.data());
  }
  // The error that ends the next read (the server's close).
  beast::error_code read_until_closed() {
    beast::flat_buffer buffer;
    beast::error_code ec;
    ws.read(buffer, ec);
    return ec;
  }

  net::io_context ioc;
  websocket::stream<tcp::socket> ws;
  websocket::response_type handshake_response;
};

}  // namespace

TEST_SUITE("websocket_session") {

TEST_CASE("a WebSocket: the upgrade, frames both ways in order, text and binary, then the server's close") {
  EchoServer server;
  EchoClient client(server.port);
  CHECK(client.handshake_response.result() == http::status::switching_protocols);
  CHECK(std::string(client.handshake_response[http::field::server]) == "videocontrol");  // no version by default
  CHECK(server.upgrade_target.get_future().get() == "/ws?who=test");

  client.ws.text(true);
  client.ws.write(net::buffer(std::string("hello")));
  client.ws.write(net::buffer(std::string("again")));
  CHECK(client.read_text() == "text:hello");
  CHECK(client.read_text() == "text:again");

  client.ws.binary(true);
  client.ws.write(net::buffer(std::string("\x01\x02", 2)));
  CHECK(client.read_text() == std::string("binary:\x01\x02", 9));  // the server's frames are text

  // "bye": the echo is sent before the close frame, which comes with the normal code.
  client.ws.text(true);
  client.ws.write(net::buffer(std::string("bye")));
  CHECK(client.read_text() == "text:bye");
  CHECK(client.read_until_closed() == websocket::error::closed);
  CHECK(client.ws.reason().code == websocket::close_code::normal);
  server.closed.get_future().get();  // the server's on_close ran (blocks until it does)
}

TEST_CASE("the client's close ends the server's side too") {
  EchoServer server;
  EchoClient client(server.port);
  client.ws.write(net::buffer(std::string("ping")));
  CHECK(client.read_text() == "text:ping");
  client.ws.close(websocket::close_code::normal);
  server.closed.get_future().get();
}

TEST_CASE("shutting the server down closes an open WebSocket with a close frame") {
  EchoServer server;
  EchoClient client(server.port);
  // The client's handshake returns once the 101 is out, which can be before the server's accept
  // completes; shutting down only after the handler ran keeps this test about an open WebSocket.
  CHECK(server.upgrade_target.get_future().get() == "/ws?who=test");
  server.server.shutdown();
  CHECK(client.read_until_closed() == websocket::error::closed);
  CHECK(client.ws.reason().code == websocket::close_code::normal);
  server.closed.get_future().get();
}

TEST_CASE("a client that does not read: once the unsent frames pass the bound, the connection is dropped") {
  HttpServerOptions o = EchoServer::options();
  o.websocket_max_queued_bytes = 256 * 1024;
  EchoServer server(o);
  EchoClient client(server.port);
  client.ws.write(net::buffer(std::string("flood")));
  // The server gives up on its own, before the client reads anything.
  server.closed.get_future().get();
  // What reaches the client is cut short: no close frame, far less than the 16 MiB sent.
  std::size_t got = 0;
  beast::error_code ec;
  for (;;) {
    beast::flat_buffer buffer;
    client.ws.read(buffer, ec);
    if (ec) break;
    got += buffer.size();
  }
  CHECK(ec != websocket::error::closed);
  CHECK(got < 16u * 1024 * 1024);
}

TEST_CASE("a client that reads keeps its connection, however much it is sent in all") {
  HttpServerOptions o = EchoServer::options();
  o.websocket_max_queued_bytes = 256 * 1024;
  EchoServer server(o);
  EchoClient client(server.port);
  // 400 KiB in all, over the bound, but each echo is read before the next is asked for.
  for (int i = 0; i < 400; ++i) {
    client.ws.write(net::buffer(std::string(1024, 'a')));
    CHECK(client.read_text().size() == 5 + 1024);
  }
  client.ws.close(websocket::close_code::normal);
  server.closed.get_future().get();
}

}  // TEST_SUITE
