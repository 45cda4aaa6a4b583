// `attnlab serve` (server.h) on cpp-httplib.
#include "server/server.h"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <nlohmann/json.hpp>

#include "attnlab/error.h"
#include "attnlab/toy_checks.h"
#include "attnlab/version.h"
#include "attnlab/viewer.h"
#include "server/api.h"
#include "server/response_cache.h"

namespace attnlab::server {
namespace {

using Clock = std::chrono::steady_clock;

// Forward passes run on one worker thread (each already uses every core), so the engine's scratch
// memory is one thread's whatever the number of connections. Requests that queued while a pass ran go
// together into the next run_batch (one read of the weights for all of them; results equal single
// runs), at most `max_batch` at once. At most `max_waiting` requests wait; one whose caller stopped
// waiting is dropped unrun.
class Worker {
 public:
  Worker(int max_waiting, int max_batch)
      : max_waiting_(max_waiting), max_batch_(max_batch), thread_([this] { loop(); }) {}
  ~Worker() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }

  // The forward pass of `encoding` on `engine`; nullopt when the queue is full or `deadline` passes
  // first. Engine errors are rethrown here.
  std::optional<Result> run(std::shared_ptr<const Engine> engine, Encoding encoding, bool qkv,
                            Clock::time_point deadline) {
    auto task = std::make_shared<Task>();
    task->engine = std::move(engine);
    task->encoding = std::move(encoding);
    task->qkv = qkv;
    std::future<Result> result = task->promise.get_future();
    {
      std::lock_guard lock(mutex_);
      const bool idle = !busy_ && queue_.empty();
      if (!idle && static_cast<int>(queue_.size()) >= max_waiting_) return std::nullopt;
      queue_.push_back(task);
    }
    cv_.notify_one();
    if (result.wait_until(deadline) != std::future_status::ready) {
      task->abandoned = true;
      return std::nullopt;
    }
    return result.get();
  }

 private:
  struct Task {
    std::shared_ptr<const Engine> engine;
    Encoding encoding;
    bool qkv = false;
    std::promise<Result> promise;
    std::atomic<bool> abandoned{false};
  };

  // The first waiting task and every other waiting one for the same engine and options, in order.
  std::vector<std::shared_ptr<Task>> take_batch() {
    std::vector<std::shared_ptr<Task>> batch;
    for (auto it = queue_.begin(); it != queue_.end() && static_cast<int>(batch.size()) < max_batch_;) {
      const bool same = batch.empty() || ((*it)->engine == batch.front()->engine && (*it)->qkv == batch.front()->qkv);
      if (same && !(*it)->abandoned) {
        batch.push_back(std::move(*it));
        it = queue_.erase(it);
      } else if ((*it)->abandoned) {
        it = queue_.erase(it);
      } else {
        ++it;
      }
    }
    return batch;
  }

  void loop() {
    for (;;) {
      std::vector<std::shared_ptr<Task>> batch;
      {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;
        batch = take_batch();
        busy_ = !batch.empty();
      }
      if (!batch.empty()) {
        RunOptions options;
        options.qkv = batch.front()->qkv;
        std::vector<Encoding> encodings;
        for (const auto& t : batch) encodings.push_back(std::move(t->encoding));
        try {
          std::vector<Result> results = batch.front()->engine->run_batch(encodings, options);
          for (size_t i = 0; i < batch.size(); ++i) batch[i]->promise.set_value(std::move(results[i]));
        } catch (...) {
          for (const auto& t : batch) t->promise.set_exception(std::current_exception());
        }
      }
      std::lock_guard lock(mutex_);
      busy_ = false;
    }
  }

  const int max_waiting_, max_batch_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Task>> queue_;
  bool busy_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

std::string host_name(const std::string& host_header) {
  if (!host_header.empty() && host_header.front() == '[') {
    const size_t close = host_header.find(']');
    return close == std::string::npos ? host_header : host_header.substr(0, close + 1);
  }
  return host_header.substr(0, host_header.find(':'));
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// When the request being served on this thread arrived (set before routing).
thread_local Clock::time_point request_started{};

const char* status_text(int status) {
  switch (status) {
    case 400: return "bad request";
    case 404: return "not found";
    case 408: return "request timeout";
    case 413: return "request body too large";
    case 414: return "request URI too long";
    case 431: return "request headers too large";
    default: return status >= 500 ? "server error" : "request refused";
  }
}

const char* const kApiRoutes[] = {"/api/tokenize", "/api/attention", "/api/view"};
const char* const kPageRoutes[] = {"/", "/toy", "/healthz", "/api/models"};

}  // namespace

bool is_loopback_host(const std::string& host) {
  const std::string h = lower(host);
  return h == "localhost" || h == "127.0.0.1" || h == "[::1]" || h == "::1";
}

struct Server::Impl {
  std::vector<ServedModel> models;
  ServeOptions options;
  httplib::Server http;
  Worker worker;
  ResponseCache cache;
  int port = 0;
  std::string app_page, toy_page, models_json;

  Impl(std::vector<ServedModel> m, ServeOptions o)
      : models(std::move(m)),
        options(std::move(o)),
        worker(options.max_waiting, options.max_batch),
        cache(options.cache_bytes) {}

  const ServedModel& model_for(const std::string& name) const {
    if (name.empty()) return models.front();
    for (const ServedModel& m : models)
      if (m.name == name || m.engine->info().name == name) return m;
    std::string names;
    for (const ServedModel& m : models) names += (names.empty() ? "" : ", ") + m.name;
    throw ApiError(404, "no model \"" + name + "\" is served (served: " + names + ")");
  }

  // Host must name this server: a page elsewhere that rebinds its own DNS name to 127.0.0.1 sends
  // its own name here. Bound to a wildcard address, any name is accepted (--allow-remote says so).
  bool host_allowed(const httplib::Request& req) const {
    const std::string host = lower(host_name(req.get_header_value("Host")));
    if (host.empty()) return false;
    if (is_loopback_host(options.host)) return is_loopback_host(host);
    if (options.host == "0.0.0.0" || options.host == "::") return true;
    const std::string bound = lower(options.host);
    return host == bound || (host.size() == bound.size() + 2 && host.front() == '[' &&
                             host.compare(1, bound.size(), bound) == 0 && host.back() == ']');
  }

  void send_error(httplib::Response& res, int status, std::string_view message) {
    res.status = status;
    res.set_content(error_json(status, message), "application/json");
  }

  // The forward pass of a request, through the worker; 503 with Retry-After when the queue is full
  // or the deadline passes.
  Result forward(const ServedModel& model, const Encoding& encoding, bool qkv, httplib::Response& res) {
    std::optional<Result> out = worker.run(model.engine, encoding, qkv, Clock::now() + options.deadline);
    if (!out) {
      res.set_header("Retry-After", "1");
      throw ApiError(503, "the server is busy; retry in a second");
    }
    return std::move(*out);
  }

  // Runs a JSON API call: parse, answer; every failure is a JSON error. Tokenizing and formatting
  // run on the connection's thread, only the forward pass on the worker. A request the cache has
  // seen (same route, model and body) gets the kept answer.
  void api(const httplib::Request& req, httplib::Response& res,
           const std::function<std::string(const ServedModel&, const ApiRequest&)>& answer) {
    try {
      const std::string type = lower(req.get_header_value("Content-Type"));
      if (type.rfind("application/json", 0) != 0)
        throw ApiError(415, "send the request as Content-Type: application/json");
      const ApiRequest request = parse_request(req.body, options.max_body_bytes);
      const ServedModel& model = model_for(request.model);
      check_selection(request, model.engine->info());
      const std::string key = req.path + '\n' + model.name + '\n' + req.body;
      if (std::optional<std::string> kept = cache.find(key)) {
        res.set_content(std::move(*kept), "application/json");
        return;
      }
      std::string body = answer(model, request);
      cache.keep(key, body);
      res.set_content(std::move(body), "application/json");
    } catch (const ApiError& e) {
      send_error(res, e.status, e.what());
    } catch (const std::bad_alloc&) {
      res.set_header("Retry-After", "5");
      send_error(res, 503, "out of memory for this request");
    } catch (const Error& e) {
      send_error(res, 500, e.what());
    }
  }

  void routes() {
    http.Get("/", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(app_page, std::string(kViewerPageMediaType));
    });
    http.Get("/toy", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(toy_page, std::string(kViewerPageMediaType));
    });
    http.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("{\"status\": \"ok\"}", "application/json");
    });
    http.Get("/api/models", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(models_json, "application/json");
    });
    http.Post("/api/tokenize", [this](const httplib::Request& req, httplib::Response& res) {
      api(req, res, [](const ServedModel& m, const ApiRequest& r) {
        return tokenize_json(m.engine->info(), encode_request(*m.engine, r));
      });
    });
    http.Post("/api/attention", [this](const httplib::Request& req, httplib::Response& res) {
      api(req, res, [this, &res](const ServedModel& m, const ApiRequest& r) {
        const Result out = forward(m, encode_request(*m.engine, r), r.qk, res);
        return attention_json(m.engine->info(), r, out);
      });
    });
    http.Post("/api/view", [this](const httplib::Request& req, httplib::Response& res) {
      api(req, res, [this, &res](const ServedModel& m, const ApiRequest& r) {
        const Result out = forward(m, encode_request(*m.engine, r), true, res);
        const ViewerInput input{r.text, r.pair, &out};
        ViewerOptions view;
        view.layers = r.layers;
        std::sort(view.layers.begin(), view.layers.end());
        return viewer_data_json(m.engine->info(), std::span<const ViewerInput>(&input, 1), view);
      });
    });
    // Anything else: 405 on a known path (with Allow), else 404; never the file system.
    const auto fallback = [this](const httplib::Request& req, httplib::Response& res) {
      const bool api_route = std::find(std::begin(kApiRoutes), std::end(kApiRoutes), req.path) != std::end(kApiRoutes);
      const bool page_route = std::find(std::begin(kPageRoutes), std::end(kPageRoutes), req.path) != std::end(kPageRoutes);
      if (api_route || page_route) {
        res.set_header("Allow", api_route ? "POST" : "GET, HEAD");
        send_error(res, 405, req.method + " is not allowed on " + req.path);
      } else {
        send_error(res, 404, "no such page or API route");
      }
    };
    http.Get(".*", fallback);
    http.Post(".*", fallback);
    http.Put(".*", fallback);
    http.Delete(".*", fallback);
    http.Patch(".*", fallback);
    http.Options(".*", fallback);
  }

  void guards() {
    http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
      request_started = Clock::now();
      if (req.headers.size() > options.max_headers) {
        send_error(res, 431, "too many request headers (at most " + std::to_string(options.max_headers) + ")");
        return httplib::Server::HandlerResponse::Handled;
      }
      if (!host_allowed(req)) {
        send_error(res, 421, "the Host header must name this server (" + options.host + ")");
        return httplib::Server::HandlerResponse::Handled;
      }
      // No cross-origin caller: a request that says where it comes from must come from here.
      if (req.has_header("Origin")) {
        const std::string origin = lower(req.get_header_value("Origin"));
        if (origin != "http://" + lower(req.get_header_value("Host"))) {
          send_error(res, 403, "cross-origin requests are refused");
          return httplib::Server::HandlerResponse::Handled;
        }
      }
      return httplib::Server::HandlerResponse::Unhandled;
    });
    http.set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
      const bool page = res.get_header_value("Content-Type").rfind("text/html", 0) == 0;
      if (!page) res.set_header("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
      res.set_header("X-Content-Type-Options", "nosniff");
      res.set_header("Referrer-Policy", "no-referrer");
      res.set_header("X-Frame-Options", "DENY");
      res.set_header("Cache-Control", "no-store");
    });
    // httplib's own refusals (a body over the cap, a malformed request line) get a JSON body too.
    http.set_error_handler([this](const httplib::Request&, httplib::Response& res) {
      if (res.body.empty()) send_error(res, res.status, status_text(res.status));
    });
    http.set_exception_handler([this](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
      send_error(res, 500, "internal error");
    });
  }

  void logging() {
    http.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
      char line[512];
      const double ms = request_started == Clock::time_point{}
                            ? 0.0
                            : std::chrono::duration<double, std::milli>(Clock::now() - request_started).count();
      request_started = Clock::time_point{};
      std::snprintf(line, sizeof line, "%s %s %d %.1f ms %zu bytes", req.method.c_str(),
                    printable(req.path.substr(0, 200)).c_str(), res.status, ms, res.body.size());
      std::string text = line;
      if (options.log_text && !req.body.empty()) {
        const nlohmann::json doc = nlohmann::json::parse(req.body, nullptr, false);
        if (doc.is_object() && doc.contains("text") && doc["text"].is_string())
          text += " text=" + printable(doc["text"].get<std::string>().substr(0, 200));
      }
      if (options.log) options.log(text);
      else std::fprintf(stderr, "%s\n", text.c_str());
    });
  }
};

Server::Server(std::vector<ServedModel> models, ServeOptions options)
    : impl_(std::make_unique<Impl>(std::move(models), std::move(options))) {
  Impl& s = *impl_;
  if (s.models.empty()) throw Error("serve: no model to serve", kExitUsage);
  {
    JsonWriter w;
    w.begin_object().key("format").value("attnlab-view/1").key("kind").value("app");
    w.key("models").begin_array();
    for (const ServedModel& m : s.models) {
      const ModelInfo& info = m.engine->info();
      w.begin_object().key("name").value(m.name).key("model").value(info.name);
      w.key("num_layers").value(info.num_layers).key("num_heads").value(info.num_heads);
      w.key("hidden").value(info.hidden).key("max_tokens").value(info.max_tokens).end_object();
    }
    w.end_array().end_object();
    s.models_json = w.str();
    s.app_page = viewer_page({s.models_json, {}}, "attnlab", {.same_origin_api = true});
  }
  const toy::Run toy = toy::run(103);
  const ContextTest context = run_context_test(toy.parameters, toy.input, 0, 1.0f);
  s.toy_page = viewer_page(toy_viewer_data(toy_json(toy, context, "103", 1.0f)), "attnlab: toy attention");

  const int threads = s.options.http_threads;
  s.http.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  s.http.set_payload_max_length(s.options.max_body_bytes);
  s.http.set_read_timeout(s.options.read_timeout);
  s.http.set_write_timeout(std::chrono::seconds(10));
  s.http.set_keep_alive_max_count(1000);
  s.routes();
  s.guards();
  s.logging();
  if (s.options.port == 0) {
    s.port = s.http.bind_to_any_port(s.options.host);
  } else {
    s.port = s.http.bind_to_port(s.options.host, s.options.port) ? s.options.port : -1;
  }
  if (s.port <= 0)
    throw Error("serve: cannot listen on " + s.options.host + " port " + std::to_string(s.options.port) +
                    " (in use, or not an address of this machine)",
                kExitIo);
}

Server::~Server() = default;
int Server::port() const { return impl_->port; }
void Server::run() { impl_->http.listen_after_bind(); }
void Server::stop() { impl_->http.stop(); }

}  // namespace attnlab::server
