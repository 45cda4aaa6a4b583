// `attnlab serve`: the viewer as a local web app plus a JSON API, over one or more loaded engines.
// Safe by default: loopback only, Host header checked (no DNS rebinding), no CORS, capped bodies and
// headers, a bounded work queue, security headers, nothing served from the file system.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "attnlab/engine.h"

namespace attnlab::server {

struct ServeOptions {
  std::string host = "127.0.0.1";
  int port = 8000;                        // 0: any free port (see Server::port())
  size_t max_body_bytes = 1 << 20;        // larger bodies: 413
  size_t max_headers = 100;               // more request headers: 431
  int max_waiting = 64;                   // requests waiting for the engine beyond this: 503 + Retry-After
  int max_batch = 32;                     // waiting requests run together in one batch, at most this many
  std::chrono::milliseconds deadline{30000};  // a request still waiting after this: 503
  std::chrono::seconds read_timeout{5};   // a client silent this long is dropped
  int http_threads = 24;                  // connections served at once
  bool log_text = false;                  // the access log never shows texts unless asked
  size_t cache_bytes = 32 << 20;          // answers of recent identical API requests kept; 0: none
  std::function<void(const std::string&)> log;  // one line per request; default: stderr
};

struct ServedModel {
  std::string name;  // the --model argument as given (the API's "model" field)
  std::shared_ptr<const Engine> engine;
};

class Server {
 public:
  // Binds now (throws attnlab::Error naming host and port when it cannot).
  Server(std::vector<ServedModel> models, ServeOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int port() const;
  // Serves until stop(); returns once in-flight requests have finished.
  void run();
  // From any thread (a signal-waiting thread): stop accepting, let in-flight requests finish.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The loopback names a Host header may carry when the server is bound to a loopback address.
bool is_loopback_host(const std::string& host);

}  // namespace attnlab::server
