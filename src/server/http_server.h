// The connections of `attnlab serve`: one thread runs an epoll loop that accepts, reads, parses
// (http.h) and writes for every connection, so an idle connection costs a file descriptor and a few
// hundred bytes, never a thread. Complete requests go to a handler, which answers at once on the
// loop's thread (pages, health) or later from any thread (API calls, after the forward pass).
//
// What a client can hold is bounded: open connections per peer address and in total (at a cap the
// longest-idle connection is closed to make room; only when every connection is busy is a new one
// answered 503 and closed), the head and the body each within a deadline, a reader that stops
// reading dropped at the write deadline. Requests pipelined on one connection are answered in order.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "server/http.h"

namespace attnlab::server {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 8000;                                // 0: any free port
  ParseLimits limits;
  size_t max_connections = 4096;                  // open at once, in total
  size_t max_connections_per_peer = 1024;         // from one address (a classroom behind one NAT: 30 x 6)
  std::chrono::milliseconds head_timeout{5000};   // from a request's first byte to the end of its head
  std::chrono::milliseconds body_timeout{30000};  // from the end of the head to the end of the body
  std::chrono::milliseconds idle_timeout{60000};  // a connection with nothing to do is closed after this
  std::chrono::milliseconds write_timeout{10000}; // an answer not taken up for this long: dropped
};

// Answers one request, exactly once, from any thread. Dropped unanswered, it answers 500.
class Reply {
 public:
  struct State;
  explicit Reply(std::shared_ptr<State> state) : state_(std::move(state)) {}
  Reply(Reply&&) noexcept = default;
  Reply& operator=(Reply&&) noexcept = default;
  ~Reply();
  void send(HttpResponse response);

 private:
  std::shared_ptr<State> state_;
};

struct HttpHandlers {
  // A complete, well-framed request.
  std::function<void(HttpRequest request, Reply reply)> on_request;
  // The server's own answers (a malformed request, a deadline, the connection cap): a body for them.
  std::function<HttpResponse(int status, const std::string& message)> error_response;
  // Every answer, as it is queued: the request (nullptr when none was parsed), the answer, and the
  // milliseconds since the request was complete (or the connection's bytes began).
  std::function<void(const HttpRequest* request, const HttpResponse& response, double ms)> on_answer;
};

class HttpServer {
 public:
  // Binds now; throws attnlab::Error naming host and port when it cannot.
  HttpServer(HttpServerOptions options, HttpHandlers handlers);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const;
  // Runs the loop until stop(); then answers the requests already received, and returns.
  void run();
  // From any thread: stop accepting and reading; run() returns once the answers in progress are sent.
  void stop();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace attnlab::server
