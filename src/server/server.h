// `attnlab serve`: the viewer as a local web app plus a JSON API, over one or more loaded engines.
// Safe by default: loopback only, Host header checked (no DNS rebinding), no CORS, capped bodies and
// headers, capped connections, strict HTTP framing, a bounded work queue, security headers, nothing
// served from the file system. Connections live on one event loop (http_server.h): idle ones hold no
// thread, so a classroom of browsers keeping keep-alive connections open costs nothing.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "attnlab/batching.h"
#include "attnlab/engine.h"

namespace attnlab::server {

struct ServeOptions {
  std::string host = "127.0.0.1";
  int port = 8000;                        // 0: any free port (see Server::port())
  size_t max_body_bytes = 1 << 20;        // larger bodies: 413
  size_t max_headers = 100;               // more request headers: 431
  int max_waiting = 64;                   // requests waiting for the engine beyond this: 503 + Retry-After
  // Waiting requests for one model run together in one forward pass, at most this many and this many
  // tokens (batching.h); a request the engine rejects fails alone, the others of its pass are answered.
  int max_batch = static_cast<int>(kDefaultBatchInputs);
  size_t max_batch_tokens = kDefaultBatchTokens;
  std::chrono::milliseconds deadline{30000};  // a request still waiting after this: 503
  std::chrono::milliseconds read_timeout{5000};   // a request's head must be in this long after its first byte
  std::chrono::milliseconds body_timeout{30000};  // and its body this long after the head
  std::chrono::milliseconds idle_timeout{60000};  // an idle keep-alive connection is closed after this
  size_t max_connections = 4096;          // open at once; at the cap the longest-idle one is closed
  size_t max_connections_per_peer = 1024; // from one address; beyond, when none is idle: 503
  int handler_threads = 32;               // API requests tokenized and formatted at once (more wait in turn)
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
