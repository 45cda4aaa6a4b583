// `attnlab serve` (server.h): routes, guards and the API over the event loop of http_server.h.
#include "server/server.h"

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

#include "attnlab/batching.h"
#include "attnlab/error.h"
#include "attnlab/toy_checks.h"
#include "attnlab/version.h"
#include "attnlab/viewer.h"
#include "server/api.h"
#include "server/http_server.h"
#include "server/response_cache.h"

namespace attnlab::server {
namespace {

using Clock = std::chrono::steady_clock;

// Forward passes run on one worker thread (each already uses every core), so the engine's scratch
// memory is one thread's whatever the number of connections. Requests for the same engine and options
// that queued while a pass ran go together into the next pass (one read of the weights for all of them;
// results equal single runs), within `limits` (batching.h); a request the engine rejects fails alone.
// At most `max_waiting` requests wait; one whose caller stopped waiting is dropped unrun.
class Worker {
 public:
  Worker(int max_waiting, BatchLimits limits)
      : max_waiting_(max_waiting), limits_(limits), thread_([this] { loop(); }) {}
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

  // The first waiting task and the waiting ones after it for the same engine and options, in order, as
  // many as fit in one pass.
  std::vector<std::shared_ptr<Task>> take_batch() {
    std::vector<std::shared_ptr<Task>> batch;
    size_t tokens = 0;
    for (auto it = queue_.begin(); it != queue_.end();) {
      const Task& t = **it;
      if (t.abandoned) {
        it = queue_.erase(it);
        continue;
      }
      if (!batch.empty() && (t.engine != batch.front()->engine || t.qkv != batch.front()->qkv)) {
        ++it;
        continue;
      }
      if (limits_.starts_new_batch(batch.size(), tokens, t.encoding.size())) break;
      tokens += t.encoding.size();
      batch.push_back(std::move(*it));
      it = queue_.erase(it);
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
        std::vector<BatchOutcome> outcomes;
        try {
          outcomes = run_batches(*batch.front()->engine, encodings, options, limits_);
        } catch (...) {  // no memory for the outcomes themselves: nothing ran
          for (const auto& t : batch) t->promise.set_exception(std::current_exception());
        }
        for (size_t i = 0; i < outcomes.size(); ++i) {
          if (outcomes[i].ok()) batch[i]->promise.set_value(std::move(outcomes[i].result));
          else batch[i]->promise.set_exception(outcomes[i].error);
        }
      }
      std::lock_guard lock(mutex_);
      busy_ = false;
    }
  }

  const int max_waiting_;
  const BatchLimits limits_;
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

const char* const kApiRoutes[] = {"/api/tokenize", "/api/attention", "/api/view"};
const char* const kPageRoutes[] = {"/", "/toy", "/healthz", "/api/models"};

// API requests are tokenized, answered from the cache or sent to the worker, and formatted on these
// threads (never on the event loop's); each mostly waits for the worker. Jobs run in arrival order.
class HandlerPool {
 public:
  explicit HandlerPool(int threads) {
    for (int i = 0; i < std::max(1, threads); ++i) threads_.emplace_back([this] { loop(); });
  }
  ~HandlerPool() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : threads_) t.join();
  }
  void submit(std::function<void()> job) {
    {
      std::lock_guard lock(mutex_);
      jobs_.push_back(std::move(job));
    }
    cv_.notify_one();
  }

 private:
  void loop() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
        if (jobs_.empty()) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job();
    }
  }
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

void set_content(HttpResponse& res, std::string body, std::string_view type) {
  res.body = std::move(body);
  res.set_header("Content-Type", std::string(type));
}

}  // namespace

bool is_loopback_host(const std::string& host) {
  const std::string h = ascii_lower(host);
  return h == "localhost" || h == "127.0.0.1" || h == "[::1]" || h == "::1";
}

struct Server::Impl {
  // An API request on its way through the handler pool.
  struct Job {
    HttpRequest request;
    Reply reply;
    Clock::time_point arrived;
  };

  std::vector<ServedModel> models;
  ServeOptions options;
  Worker worker;
  ResponseCache cache;
  std::string app_page, toy_page, models_json;
  std::unique_ptr<HttpServer> http;
  HandlerPool pool;  // last: its threads stop first, while everything they use still exists

  Impl(std::vector<ServedModel> m, ServeOptions o)
      : models(std::move(m)),
        options(std::move(o)),
        worker(options.max_waiting, {static_cast<size_t>(std::max(1, options.max_batch)), options.max_batch_tokens}),
        cache(options.cache_bytes),
        pool(options.handler_threads) {}

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
  bool host_allowed(const HttpRequest& req) const {
    const std::string host = ascii_lower(host_name(req.header("host")));
    if (host.empty()) return false;
    if (is_loopback_host(options.host)) return is_loopback_host(host);
    if (options.host == "0.0.0.0" || options.host == "::") return true;
    const std::string bound = ascii_lower(options.host);
    return host == bound || (host.size() == bound.size() + 2 && host.front() == '[' &&
                             host.compare(1, bound.size(), bound) == 0 && host.back() == ']');
  }

  static void send_error(HttpResponse& res, int status, std::string_view message) {
    res.status = status;
    set_content(res, error_json(status, message), "application/json");
  }

  // Every answer's security headers.
  static void secure(HttpResponse& res) {
    const bool page = res.header("Content-Type").rfind("text/html", 0) == 0;
    if (!page) res.set_header("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Referrer-Policy", "no-referrer");
    res.set_header("X-Frame-Options", "DENY");
    res.set_header("Cache-Control", "no-store");
  }

  // A routed request's answer: headers, its access-log line, then out.
  void finish(const HttpRequest& req, HttpResponse res, Clock::time_point started, Reply& reply) {
    secure(res);
    log(&req, res, std::chrono::duration<double, std::milli>(Clock::now() - started).count());
    reply.send(std::move(res));
  }

  void log(const HttpRequest* req, const HttpResponse& res, double ms) {
    char line[512];
    std::snprintf(line, sizeof line, "%s %s %d %.1f ms %zu bytes", req ? req->method.c_str() : "-",
                  req ? printable(req->path.substr(0, 200)).c_str() : "-", res.status, ms, res.body.size());
    std::string text = line;
    if (req && options.log_text && !req->body.empty()) {
      const nlohmann::json doc = nlohmann::json::parse(req->body, nullptr, false);
      if (doc.is_object() && doc.contains("text") && doc["text"].is_string())
        text += " text=" + printable(doc["text"].get<std::string>().substr(0, 200));
    }
    if (options.log) options.log(text);
    else std::fprintf(stderr, "%s\n", text.c_str());
  }

  // The forward pass of a request, through the worker; 503 with Retry-After when the queue is full
  // or the deadline passes.
  Result forward(const ServedModel& model, const Encoding& encoding, bool qkv, Clock::time_point deadline,
                 HttpResponse& res) {
    std::optional<Result> out = worker.run(model.engine, encoding, qkv, deadline);
    if (!out) {
      res.set_header("Retry-After", "1");
      throw ApiError(503, "the server is busy; retry in a second");
    }
    return std::move(*out);
  }

  // The API routes' answers (on a pool thread).
  std::string answer(const HttpRequest& req, const ServedModel& m, const ApiRequest& r, Clock::time_point deadline,
                     HttpResponse& res) {
    if (req.path == "/api/tokenize") return tokenize_json(m.engine->info(), encode_request(*m.engine, r));
    if (req.path == "/api/attention") {
      const Result out = forward(m, encode_request(*m.engine, r), r.qk, deadline, res);
      return attention_json(m.engine->info(), r, out);
    }
    const Result out = forward(m, encode_request(*m.engine, r), true, deadline, res);  // /api/view
    const ViewerInput input{r.text, r.pair, &out};
    ViewerOptions view;
    view.layers = r.layers;
    std::sort(view.layers.begin(), view.layers.end());
    return viewer_data_json(m.engine->info(), std::span<const ViewerInput>(&input, 1), view);
  }

  // Runs a JSON API call: parse, answer; every failure is a JSON error. A request the cache has seen
  // (same route, model and body) gets the kept answer.
  void api(Job& job) {
    const HttpRequest& req = job.request;
    HttpResponse res;
    const Clock::time_point deadline = job.arrived + options.deadline;
    try {
      if (Clock::now() >= deadline) {
        res.set_header("Retry-After", "1");
        throw ApiError(503, "the server is busy; retry in a second");
      }
      const std::string type = ascii_lower(req.header("content-type"));
      if (type.rfind("application/json", 0) != 0)
        throw ApiError(415, "send the request as Content-Type: application/json");
      const ApiRequest request = parse_request(req.body, options.max_body_bytes);
      const ServedModel& model = model_for(request.model);
      check_selection(request, model.engine->info());
      const std::string key = req.path + '\n' + model.name + '\n' + req.body;
      if (std::optional<std::string> kept = cache.find(key)) {
        set_content(res, std::move(*kept), "application/json");
      } else {
        std::string body = answer(req, model, request, deadline, res);
        cache.keep(key, body);
        set_content(res, std::move(body), "application/json");
      }
    } catch (const ApiError& e) {
      send_error(res, e.status, e.what());
    } catch (const std::bad_alloc&) {
      res.set_header("Retry-After", "5");
      send_error(res, 503, "out of memory for this request");
    } catch (const Error& e) {
      send_error(res, 500, e.what());
    } catch (const std::exception&) {
      send_error(res, 500, "internal error");
    }
    finish(req, std::move(res), job.arrived, job.reply);
  }

  // On the event loop's thread: guards, then pages at once and API calls to the pool.
  void on_request(HttpRequest req, Reply reply) {
    const Clock::time_point arrived = Clock::now();
    HttpResponse res;
    const bool api_route = std::find(std::begin(kApiRoutes), std::end(kApiRoutes), req.path) != std::end(kApiRoutes);
    const bool page_route = std::find(std::begin(kPageRoutes), std::end(kPageRoutes), req.path) != std::end(kPageRoutes);
    const bool get = req.method == "GET" || req.method == "HEAD";
    if (!host_allowed(req)) {
      send_error(res, 421, "the Host header must name this server (" + options.host + ")");
    } else if (req.has_header("origin") && ascii_lower(req.header("origin")) != "http://" + ascii_lower(req.header("host"))) {
      // No cross-origin caller: a request that says where it comes from must come from here.
      send_error(res, 403, "cross-origin requests are refused");
    } else if (api_route && req.method == "POST") {
      pool.submit([this, job = std::make_shared<Job>(Job{std::move(req), std::move(reply), arrived})] { api(*job); });
      return;
    } else if (page_route && get) {
      if (req.path == "/") set_content(res, app_page, kViewerPageMediaType);
      else if (req.path == "/toy") set_content(res, toy_page, kViewerPageMediaType);
      else if (req.path == "/healthz") set_content(res, "{\"status\": \"ok\"}", "application/json");
      else set_content(res, models_json, "application/json");
    } else if (api_route || page_route) {
      // Anything else: 405 on a known path (with Allow), else 404; never the file system.
      res.set_header("Allow", api_route ? "POST" : "GET, HEAD");
      send_error(res, 405, req.method + " is not allowed on " + req.path);
    } else {
      send_error(res, 404, "no such page or API route");
    }
    finish(req, std::move(res), arrived, reply);
  }

  HttpHandlers handlers() {
    HttpHandlers h;
    h.on_request = [this](HttpRequest req, Reply reply) { on_request(std::move(req), std::move(reply)); };
    h.error_response = [](int status, const std::string& message) {
      HttpResponse res;
      send_error(res, status, message);
      secure(res);  // the loop logs it through on_answer
      return res;
    };
    h.on_answer = [this](const HttpRequest* req, const HttpResponse& res, double ms) { log(req, res, ms); };
    return h;
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
      w.key("hidden").value(info.hidden).key("max_tokens").value(info.max_tokens);
      w.key("family").value(info.family).key("model_type").value(info.model_type);
      w.key("num_kv_heads").value(info.num_kv_heads).key("causal").value(info.causal).end_object();
    }
    w.end_array().end_object();
    s.models_json = w.str();
    s.app_page = viewer_page({s.models_json, {}}, "attnlab", {.same_origin_api = true});
  }
  const toy::Run toy = toy::run(103);
  const ContextTest context = run_context_test(toy.parameters, toy.input, 0, 1.0f);
  s.toy_page = viewer_page(toy_viewer_data(toy_json(toy, context, "103", 1.0f)), "attnlab: toy attention");

  HttpServerOptions http;
  http.host = s.options.host;
  http.port = s.options.port;
  http.limits.max_headers = s.options.max_headers;
  http.limits.max_body = s.options.max_body_bytes;
  http.max_connections = s.options.max_connections;
  http.max_connections_per_peer = s.options.max_connections_per_peer;
  http.head_timeout = s.options.read_timeout;
  http.body_timeout = s.options.body_timeout;
  http.idle_timeout = s.options.idle_timeout;
  s.http = std::make_unique<HttpServer>(std::move(http), s.handlers());
}

Server::~Server() = default;
int Server::port() const { return impl_->http->port(); }
void Server::run() { impl_->http->run(); }
void Server::stop() { impl_->http->stop(); }

}  // namespace attnlab::server
