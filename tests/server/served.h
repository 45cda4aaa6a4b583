// A real attnlab serve on a free loopback port for the server tests, serving until the fixture ends.
#pragma once

#include <httplib.h>

#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../cli/cli_run.h"
#include "../support/sanitized.h"
#include "server/server.h"

namespace attnlab::server::testing_support {

using attnlab::testing::kSanitized;

class Served {
 public:
  explicit Served(ServeOptions options = {}, std::vector<std::string> models = {testing::kTiny.string()}) {
    std::vector<ServedModel> served;
    for (const std::string& m : models) served.push_back({m, std::make_shared<const Engine>(Engine::open(m))});
    options.port = 0;
    options.log = [this](const std::string& line) {
      std::lock_guard lock(log_mutex_);
      log_ += line + "\n";
    };
    server_ = std::make_unique<Server>(std::move(served), options);
    thread_ = std::thread([this] { server_->run(); });
  }
  ~Served() {
    server_->stop();
    thread_.join();
  }
  int port() const { return server_->port(); }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port());
    c.set_read_timeout(std::chrono::seconds(60));
    return c;
  }
  std::string log() {
    std::lock_guard lock(log_mutex_);
    return log_;
  }

 private:
  std::unique_ptr<Server> server_;
  std::thread thread_;
  std::mutex log_mutex_;
  std::string log_;
};

}  // namespace attnlab::server::testing_support
