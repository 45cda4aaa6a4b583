// attnlab serve's connections, on raw loopback sockets: idle connections by the thousand cost nothing,
// the connection caps close idle ones first and refuse with 503 only when every one is busy, head and
// body deadlines, strict framing (RFC 9112 6.3), pipelined requests answered in order, and 30
// simulated browsers typing over keep-alive connections. Every test is bounded in time and requests.
#include "served.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <thread>


namespace attnlab::server {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;
using testing::kMinilm;
using testing::kTiny;

using testing_support::kSanitized;
using testing_support::Served;

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// A raw client socket: send bytes, read answers.
class Sock {
 public:
  explicit Sock(int port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok_ = fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~Sock() {
    if (fd_ >= 0) ::close(fd_);
  }
  Sock(const Sock&) = delete;
  Sock(Sock&& o) noexcept : fd_(std::exchange(o.fd_, -1)), ok_(o.ok_), got_(std::move(o.got_)) {}
  bool ok() const { return ok_; }
  bool send(std::string_view bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
  }
  // Reads until `done(buffer)` holds, the peer closes, or `timeout` passes; returns what came.
  template <class Done>
  const std::string& read_until(Done done, std::chrono::milliseconds timeout = std::chrono::milliseconds(10000)) {
    const auto end = Clock::now() + timeout;
    while (!done(got_) && !closed_) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()).count();
      if (left <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
      char buf[65536];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) closed_ = true;
      else got_.append(buf, static_cast<size_t>(n));
    }
    return got_;
  }
  // The next n complete answers (headers + Content-Length body), removed from the buffer.
  std::vector<std::string> answers(size_t n, std::chrono::milliseconds timeout = std::chrono::milliseconds(10000)) {
    std::vector<std::string> out;
    read_until([&](const std::string& b) { return count_complete(b) >= n; }, timeout);
    while (out.size() < n) {
      const size_t len = complete_length(got_);
      if (len == 0) break;
      out.push_back(got_.substr(0, len));
      got_.erase(0, len);
    }
    return out;
  }
  // The peer closed (reading what is left first).
  bool closed_by_peer(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
    read_until([](const std::string&) { return false; }, timeout);
    return closed_;
  }

  static size_t complete_length(const std::string& b) {
    const size_t head = b.find("\r\n\r\n");
    if (head == std::string::npos) return 0;
    std::smatch m;
    const std::string h = b.substr(0, head);
    size_t body = 0;
    if (std::regex_search(h, m, std::regex("Content-Length: ([0-9]+)", std::regex::icase))) body = std::stoul(m[1]);
    if (h.rfind("HTTP/1.1 100", 0) == 0) body = 0;
    return b.size() >= head + 4 + body ? head + 4 + body : 0;
  }
  static size_t count_complete(std::string b) {
    size_t n = 0;
    for (size_t len; (len = complete_length(b)) != 0; b.erase(0, len)) ++n;
    return n;
  }

 private:
  int fd_;
  bool ok_ = false, closed_ = false;
  std::string got_;
};

int status_of(const std::string& answer) {
  return answer.size() >= 12 && answer.rfind("HTTP/1.1 ", 0) == 0 ? std::stoi(answer.substr(9, 3)) : 0;
}

const std::string kHealthz = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

std::string post_request(const std::string& path, const std::string& body, const std::string& extra = "") {
  return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n" + extra + "\r\n" + body;
}

// The descriptors this test needs (both ends of each connection live in this process), or a skip.
bool room_for_descriptors(size_t n) {
  rlimit lim{};
  ::getrlimit(RLIMIT_NOFILE, &lim);
  if (lim.rlim_cur < n && lim.rlim_max >= n) {
    lim.rlim_cur = n;
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
  ::getrlimit(RLIMIT_NOFILE, &lim);
  return lim.rlim_cur >= n;
}

// 1,000 connections held open: 400 idle after a keep-alive /healthz, 300 that sent half a request
// line, 300 that sent nothing. A new /healthz is answered within 100 ms, a new /api/attention within
// 100 ms + its forward pass, and each kept-alive connection still answers.
TEST(ServerConnections, ThousandIdleConnectionsCostNothing) {
  if (!room_for_descriptors(2 * 1000 + 200)) GTEST_SKIP() << "needs 2,200 file descriptors (ulimit -n)";
  Served s({}, {kMinilm.string()});
  std::vector<Sock> kept, half, silent;
  for (int i = 0; i < 400; ++i) {
    kept.emplace_back(s.port());
    ASSERT_TRUE(kept.back().ok() && kept.back().send(kHealthz)) << i;
  }
  for (Sock& k : kept) {
    const auto a = k.answers(1);
    ASSERT_EQ(a.size(), 1u);
    ASSERT_EQ(status_of(a[0]), 200);
  }
  for (int i = 0; i < 300; ++i) {
    half.emplace_back(s.port());
    ASSERT_TRUE(half.back().ok() && half.back().send("GET /hea")) << i;
    silent.emplace_back(s.port());
    ASSERT_TRUE(silent.back().ok()) << i;
  }
  // The forward pass alone, on the same text, for the budget of the API call.
  const Engine engine = Engine::open(kMinilm.string());
  const std::string text = "Thirty students open the page at once.";
  engine.run(engine.encode(text));
  auto t = Clock::now();
  engine.run(engine.encode(text));
  const double forward_ms = ms_since(t);

  t = Clock::now();
  Sock fresh(s.port());
  ASSERT_TRUE(fresh.ok() && fresh.send(kHealthz));
  auto a = fresh.answers(1);
  const double healthz_ms = ms_since(t);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(status_of(a[0]), 200);

  t = Clock::now();
  Sock api(s.port());
  ASSERT_TRUE(api.ok() && api.send(post_request("/api/attention", json{{"text", text}}.dump())));
  a = api.answers(1);
  const double api_ms = ms_since(t);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(status_of(a[0]), 200) << a[0].substr(0, 300);
  std::printf("[ latency ] with 1,000 idle connections: new /healthz %.1f ms, new /api/attention %.1f ms "
              "(its forward pass alone %.1f ms)\n", healthz_ms, api_ms, forward_ms);
  if (!kSanitized) {
    EXPECT_LT(healthz_ms, 100.0);
    EXPECT_LT(api_ms, 100.0 + forward_ms);
  }
  // Every kept-alive connection is still served.
  for (Sock& k : kept) ASSERT_TRUE(k.send(kHealthz));
  int answered = 0;
  for (Sock& k : kept) {
    const auto b = k.answers(1, std::chrono::milliseconds(5000));
    answered += b.size() == 1 && status_of(b[0]) == 200;
  }
  EXPECT_EQ(answered, 400);
}

// At the cap the longest-idle connection is closed for the new one; when every connection is busy
// (mid-request), a new one gets 503 with a JSON body and is closed.
TEST(ServerConnections, CapsCloseIdleFirstAndRefuseOnlyWhenAllAreBusy) {
  ServeOptions o;
  o.max_connections = 6;
  o.max_connections_per_peer = 4;
  Served s(o);
  std::vector<Sock> idle;
  for (int i = 0; i < 4; ++i) {
    idle.emplace_back(s.port());
    ASSERT_TRUE(idle.back().send(kHealthz));
    ASSERT_EQ(idle.back().answers(1).size(), 1u);
  }
  // A fifth from the same address: the oldest idle one is closed, the new one served.
  Sock fifth(s.port());
  ASSERT_TRUE(fifth.send(kHealthz));
  auto a = fifth.answers(1);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(status_of(a[0]), 200);
  EXPECT_TRUE(idle[0].closed_by_peer(std::chrono::milliseconds(2000)));
  for (int i = 1; i < 4; ++i) {
    ASSERT_TRUE(idle[i].send(kHealthz));
    EXPECT_EQ(idle[i].answers(1).size(), 1u) << i;
  }
  // Now four connections of this address, each in the middle of a request: none is idle.
  idle.clear();
  fifth.send("GET /hea");
  std::vector<Sock> busy;
  for (int i = 0; i < 3; ++i) {
    busy.emplace_back(s.port());
    ASSERT_TRUE(busy.back().send("GET /hea"));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  Sock refused(s.port());
  const std::string& r = refused.read_until([](const std::string& b) { return Sock::complete_length(b) > 0; });
  EXPECT_EQ(status_of(r), 503) << r;
  EXPECT_NE(r.find("Connection: close"), std::string::npos) << r;
  EXPECT_NE(r.find("Retry-After"), std::string::npos) << r;
  EXPECT_NE(r.find("\"code\": 503"), std::string::npos) << r;
  EXPECT_TRUE(refused.closed_by_peer());
}

// A head that does not arrive in time, and a body that does not: 408, then closed.
TEST(ServerConnections, HeadAndBodyDeadlines) {
  ServeOptions o;
  o.read_timeout = std::chrono::milliseconds(500);
  o.body_timeout = std::chrono::milliseconds(800);
  Served s(o);
  Sock head(s.port()), body(s.port());
  ASSERT_TRUE(head.send("GET /healthz HTTP/1.1\r\nHost: 127"));
  ASSERT_TRUE(body.send(post_request("/api/tokenize", R"({"text": "the cat"})").substr(0, 100)));
  const auto t = Clock::now();
  const auto a = head.answers(1, std::chrono::milliseconds(3000));
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(status_of(a[0]), 408);
  EXPECT_NE(a[0].find("head did not arrive"), std::string::npos) << a[0];
  const auto b = body.answers(1, std::chrono::milliseconds(3000));
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(status_of(b[0]), 408);
  EXPECT_NE(b[0].find("body did not arrive"), std::string::npos) << b[0];
  EXPECT_GE(ms_since(t), 700.0);
  EXPECT_TRUE(head.closed_by_peer());
  EXPECT_TRUE(body.closed_by_peer());
  // Meanwhile and after, others are served at once.
  Sock other(s.port());
  ASSERT_TRUE(other.send(kHealthz));
  EXPECT_EQ(status_of(other.answers(1).at(0)), 200);
}

// Ambiguous framing is 400 and the connection closes (RFC 9112 6.3); what the framing rules allow
// is served.
TEST(ServerConnections, AmbiguousFramingIsRefused) {
  Served s;
  const std::string body = R"({"text": "the cat"})";
  const std::string start = "POST /api/tokenize HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n";
  const struct {
    std::string request;
    int status;
    std::string needle;
  } cases[] = {
      {start + "Content-Length: 19\r\nContent-Length: 20\r\n\r\n" + body + " ", 400, "differ"},
      {start + "Content-Length: 19, 18\r\n\r\n" + body, 400, "differ"},
      {start + "Content-Length: 19\r\nTransfer-Encoding: chunked\r\n\r\n13\r\n" + body + "\r\n0\r\n\r\n", 400, "both"},
      {start + "Transfer-Encoding: chunked\r\nContent-Length: 19\r\n\r\n13\r\n" + body + "\r\n0\r\n\r\n", 400, "both"},
      {start + "Content-Length: -1\r\n\r\n", 400, "non-negative"},
      {start + "Content-Length: +19\r\n\r\n" + body, 400, "non-negative"},
      {start + "Content-Length: 0x13\r\n\r\n" + body, 400, "non-negative"},
      {start + "Transfer-Encoding: gzip\r\n\r\n", 400, "chunked"},
      {start + "Transfer-Encoding: gzip, chunked\r\n\r\n", 501, "chunked"},
      {start + "Content-Length : 19\r\n\r\n" + body, 400, "no space before the colon"},
      {start + "X-A: 1\r\n folded\r\nContent-Length: 19\r\n\r\n" + body, 400, "folding"},
      {"GET /healthz HTTP/1.1\r\n\r\n", 400, "Host"},
      {"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: localhost\r\n\r\n", 400, "Host"},
      {"GET /healthz HTTP/2.0\r\nHost: 127.0.0.1\r\n\r\n", 505, "HTTP/1.1"},
      {"GET  /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400, "single spaces"},
      {"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\rX: y\r\n\r\n", 400, "bare CR"},
      {start + "Content-Length: 99999999999999999999\r\n\r\n", 413, "larger"},
      {start + "Expect: something\r\nContent-Length: 19\r\n\r\n" + body, 417, "100-continue"},
  };
  for (const auto& c : cases) {
    Sock k(s.port());
    ASSERT_TRUE(k.send(c.request));
    const auto a = k.answers(1);
    ASSERT_EQ(a.size(), 1u) << c.request;
    EXPECT_EQ(status_of(a[0]), c.status) << c.request << "\n" << a[0];
    EXPECT_NE(a[0].find(c.needle), std::string::npos) << a[0];
    EXPECT_NE(a[0].find("Connection: close"), std::string::npos) << a[0];
    EXPECT_TRUE(k.closed_by_peer()) << c.request;
  }
  // Allowed: a list of identical lengths, a chunked body with an extension and a trailer, HTTP/1.0,
  // blank lines before the request line, bare LF line ends, Expect: 100-continue.
  const std::string ok[] = {
      start + "Content-Length: 19\r\nContent-Length: 19, 19\r\n\r\n" + body,
      start + "Transfer-Encoding: chunked\r\n\r\n5;ext=1\r\n{\"tex\r\ne\r\nt\": \"the cat\"}\r\n0\r\nX-T: 1\r\n\r\n",
      "\r\n\r\n" + start + "Content-Length: 19\r\n\r\n" + body,
      "POST /api/tokenize HTTP/1.1\nHost: 127.0.0.1\nContent-Type: application/json\nContent-Length: 19\n\n" + body,
  };
  for (const std::string& request : ok) {
    Sock k(s.port());
    ASSERT_TRUE(k.send(request));
    const auto a = k.answers(1);
    ASSERT_EQ(a.size(), 1u) << request;
    EXPECT_EQ(status_of(a[0]), 200) << request << "\n" << a[0];
    EXPECT_NE(a[0].find("\"tokens\""), std::string::npos) << a[0];
  }
  {
    Sock k(s.port());
    ASSERT_TRUE(k.send("GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"));
    const auto a = k.answers(1);
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(status_of(a[0]), 200);
    EXPECT_TRUE(k.closed_by_peer());  // HTTP/1.0 without keep-alive
  }
  {
    Sock k(s.port());
    ASSERT_TRUE(k.send(start + "Expect: 100-continue\r\nContent-Length: 19\r\n\r\n"));
    auto a = k.answers(1);
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0], "HTTP/1.1 100 Continue\r\n\r\n");
    ASSERT_TRUE(k.send(body));
    a = k.answers(1);
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(status_of(a[0]), 200) << a[0];
  }
  {
    Sock k(s.port());  // HEAD: the page's headers, no body
    ASSERT_TRUE(k.send("HEAD / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" + kHealthz));
    const std::string& b = k.read_until([](const std::string& g) { return g.find("\"ok\"") != std::string::npos; });
    EXPECT_EQ(status_of(b), 200);
    EXPECT_EQ(b.find("<html"), std::string::npos);
    EXPECT_NE(b.find("{\"status\": \"ok\"}"), std::string::npos);
  }
}

// The server's own refusals get one access-log line each, like routed requests.
TEST(ServerConnections, RefusalsAreLoggedOnce) {
  Served s;
  Sock k(s.port());
  ASSERT_TRUE(k.send("GET /healthz HTTP/2.0\r\nHost: 127.0.0.1\r\n\r\n"));
  ASSERT_EQ(k.answers(1).size(), 1u);
  Sock ok(s.port());
  ASSERT_TRUE(ok.send(kHealthz));
  ASSERT_EQ(ok.answers(1).size(), 1u);
  const std::string log = s.log();
  size_t refusals = 0;
  for (size_t at = 0; (at = log.find("- - 505 ", at)) != std::string::npos; ++at) ++refusals;
  EXPECT_EQ(refusals, 1u) << log;
  EXPECT_TRUE(testing::has_line_matching(log, R"(^GET /healthz 200 [0-9.]+ ms [0-9]+ bytes$)")) << log;
}

// Fifty pipelined requests on one connection: fifty answers, in order. A Connection: close among
// them is answered with Connection: close, and nothing after it.
TEST(ServerConnections, PipelinedRequestsAreAnsweredInOrder) {
  Served s;
  std::vector<std::string> requests, single;  // each request's answer alone on its own connection
  for (int i = 0; i < 50; ++i) {
    requests.push_back(i % 2 ? kHealthz : post_request("/api/tokenize", json{{"text", std::string(i / 2 + 1, 'a' + i % 26)}}.dump()));
    Sock one(s.port());
    ASSERT_TRUE(one.send(requests.back()));
    single.push_back(one.answers(1).at(0));
  }
  std::string burst;
  for (const std::string& r : requests) burst += r;
  Sock k(s.port());
  ASSERT_TRUE(k.send(burst));
  const auto a = k.answers(50);
  ASSERT_EQ(a.size(), 50u);
  for (size_t i = 0; i < 50; ++i) {
    EXPECT_EQ(status_of(a[i]), 200) << i;
    EXPECT_EQ(a[i], single[i]) << i;
  }
  Sock c(s.port());
  ASSERT_TRUE(c.send(kHealthz + "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" + kHealthz));
  const auto b = c.answers(3, std::chrono::milliseconds(3000));
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[1].find("Connection: close") != std::string::npos, true) << b[1];
  EXPECT_TRUE(c.closed_by_peer());
}

// 30 browsers, each holding 6 keep-alive connections, typing: one debounced /api/attention every
// 1-3 s (on one of its connections in turn) for ATTNLAB_CLASSROOM_SECONDS (default 20 s; `make bench`
// runs 60 s). Zero errors; the latencies are printed.
TEST(ServerLoad, ClassroomOfBrowsersTyping) {
  if (kSanitized) GTEST_SKIP() << "timing-bound load; the sanitizer builds run the other server tests";
  const char* env = std::getenv("ATTNLAB_CLASSROOM_SECONDS");
  const int seconds = env ? std::atoi(env) : 20;
  Served s({}, {kMinilm.string()});
  const std::vector<std::string> words = {"the", "students", "type", "a", "sentence", "about", "attention",
                                          "heads", "and", "watch", "it", "change", "live"};
  constexpr int kBrowsers = 30, kConnections = 6;
  std::atomic<int> errors{0};
  std::mutex mutex;
  std::vector<double> latencies;
  std::string failures;
  const auto end = Clock::now() + std::chrono::seconds(seconds);
  std::vector<std::thread> browsers;
  for (int b = 0; b < kBrowsers; ++b)
    browsers.emplace_back([&, b] {
      std::mt19937 rng(static_cast<unsigned>(b));
      std::vector<std::unique_ptr<httplib::Client>> conns;
      for (int i = 0; i < kConnections; ++i) {
        conns.push_back(std::make_unique<httplib::Client>("127.0.0.1", s.port()));
        conns.back()->set_keep_alive(true);
        conns.back()->set_tcp_nodelay(true);  // as browsers do
        conns.back()->set_read_timeout(std::chrono::seconds(30));
        conns.back()->Get("/healthz");  // every connection opened and then kept, as a browser's are
      }
      std::string text;
      for (int step = 0; Clock::now() < end; ++step) {
        std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(1000, 3000)(rng)));
        text += (text.empty() ? "" : " ") + words[rng() % words.size()];
        if (text.size() > 200) text.clear();
        const auto t = Clock::now();
        auto r = conns[static_cast<size_t>(step % kConnections)]->Post(
            "/api/attention", json{{"text", text + " " + std::to_string(b)}}.dump(), "application/json");
        const double ms = ms_since(t);
        std::lock_guard lock(mutex);
        if (!r || r->status != 200) {
          ++errors;
          failures += r ? std::to_string(r->status) + " " + r->body.substr(0, 200) + "\n"
                        : "no answer: " + httplib::to_string(r.error()) + "\n";
        } else {
          latencies.push_back(ms);
        }
      }
    });
  for (auto& t : browsers) t.join();
  EXPECT_EQ(errors.load(), 0) << failures;
  ASSERT_FALSE(latencies.empty());
  std::sort(latencies.begin(), latencies.end());
  const auto pct = [&](double p) { return latencies[static_cast<size_t>(p * static_cast<double>(latencies.size() - 1))]; };
  std::printf("[ classroom ] %d browsers x %d connections, %d s: %zu requests, %d errors, latency p50 %.1f ms, "
              "p99 %.1f ms, max %.1f ms\n", kBrowsers, kConnections, seconds, latencies.size(), errors.load(),
              pct(0.5), pct(0.99), latencies.back());
}

}  // namespace
}  // namespace attnlab::server
