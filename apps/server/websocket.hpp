// A WebSocket connection as the realtime gateway sees it; implemented with Beast in
// websocket_session.cpp (BeastWebSocket), so nothing else includes Beast.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "http_types.hpp"

namespace vc::server {

class WebSocketConnection {
 public:
  struct Handlers {
    std::function<void(std::string message, bool binary)> on_message;  // network thread; must not block
    std::function<void()> on_close;                                    // once, when the connection ends
  };
  virtual ~WebSocketConnection() = default;
  // Starts reading. REQUIRES: called once.
  virtual void start(Handlers handlers) = 0;
  // Queues a text frame. Thread-safe; frames go out in order.
  virtual void send(std::string text) = 0;
  // Closes with a close frame. Thread-safe; on_close follows.
  virtual void close() = 0;
};

// Receives an accepted WebSocket (after the HTTP upgrade) with the upgrade request.
using WebSocketHandler = std::function<void(std::shared_ptr<Request>, std::shared_ptr<WebSocketConnection>)>;

}  // namespace vc::server
