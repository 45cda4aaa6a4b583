// The epoll connection loop of `attnlab serve` (see http_server.h).
#include "server/http_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "attnlab/error.h"

namespace attnlab::server {
namespace {

using Clock = std::chrono::steady_clock;

constexpr uint64_t kListenTag = 0, kWakeTag = 1;  // epoll tags; connections count from 2
constexpr size_t kReadChunk = 64 << 10;
constexpr int kReadsPerEvent = 4;                      // then the loop moves on to other connections
constexpr auto kLingerTime = std::chrono::seconds(2);      // reading what a refused client still sends
constexpr auto kScanEvery = std::chrono::milliseconds(50);
constexpr auto kDrainAtMost = std::chrono::seconds(60);  // stop(): answers in progress, at most this long

// A finished answer on its way from a handler's thread to the loop.
struct Completion {
  uint64_t conn = 0, seq = 0;
  HttpResponse response;
};

}  // namespace

// Where Reply::send puts answers; outlives the server while a Reply does.
struct Mailbox {
  std::mutex mutex;
  std::vector<Completion> items;
  int wake_fd = -1;
  bool closed = false;
  std::function<HttpResponse(int, const std::string&)> error_response;

  void post(Completion c) {
    std::lock_guard lock(mutex);
    if (closed) return;
    items.push_back(std::move(c));
    const uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(wake_fd, &one, sizeof one);
  }
};

struct Reply::State {
  std::shared_ptr<Mailbox> box;
  uint64_t conn = 0, seq = 0;
  bool sent = false;
};

Reply::~Reply() {
  if (state_ && !state_->sent) send(state_->box->error_response(500, "internal error: the request was not answered"));
}

void Reply::send(HttpResponse response) {
  if (!state_ || state_->sent) return;
  state_->sent = true;
  state_->box->post({state_->conn, state_->seq, std::move(response)});
}

namespace {

enum class Phase {
  kIdle,      // no byte of a next request yet
  kReading,   // part of a request is in
  kHandling,  // a complete request is with the handler
  kWriting,   // its answer is going out
  kLinger,    // answered with Connection: close; reading what is still sent, then closing
  kClosed,
};

struct Conn {
  uint64_t id = 0;
  int fd = -1;
  std::string peer;
  Phase phase = Phase::kIdle;
  RequestParser parser;
  std::string in, out;
  size_t out_pos = 0;
  Clock::time_point deadline, last_active, started;
  uint32_t events = 0;
  uint64_t seq = 0;
  bool peer_eof = false, close_after = false, head_only = false, continue_sent = false, body_deadline = false;
};

std::string peer_address(const sockaddr_storage& a) {
  char text[INET6_ADDRSTRLEN] = "?";
  if (a.ss_family == AF_INET)
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(a).sin_addr, text, sizeof text);
  else if (a.ss_family == AF_INET6)
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(a).sin6_addr, text, sizeof text);
  return text;
}

}  // namespace

struct HttpServer::Impl {
  HttpServerOptions options;
  HttpHandlers handlers;
  int listen_fd = -1, epoll_fd = -1, port = 0;
  std::shared_ptr<Mailbox> mailbox = std::make_shared<Mailbox>();
  std::atomic<bool> stopping{false};
  bool stop_begun = false, accept_paused = false;
  Clock::time_point stop_deadline, accept_resume, last_scan;
  uint64_t next_id = 2;
  std::unordered_map<uint64_t, std::unique_ptr<Conn>> conns;
  std::unordered_map<std::string, size_t> per_peer;
  std::vector<uint64_t> touched;  // connections whose answer arrived: advanced after the events
  std::vector<uint64_t> dead;     // closed: erased at the end of the loop's turn

  ~Impl() {
    {
      std::lock_guard lock(mailbox->mutex);
      mailbox->closed = true;
    }
    for (auto& [id, c] : conns)
      if (c->fd >= 0) ::close(c->fd);
    if (listen_fd >= 0) ::close(listen_fd);
    if (mailbox->wake_fd >= 0) ::close(mailbox->wake_fd);
    if (epoll_fd >= 0) ::close(epoll_fd);
  }

  void bind_and_listen() {
    const std::string where = "serve: cannot listen on " + options.host + " port " + std::to_string(options.port);
    addrinfo hints{}, *found = nullptr;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    const std::string service = std::to_string(options.port);
    if (::getaddrinfo(options.host.c_str(), service.c_str(), &hints, &found) != 0 || !found)
      throw Error(where + " (not an address of this machine)", kExitIo);
    int err = 0;
    for (addrinfo* a = found; a && listen_fd < 0; a = a->ai_next) {
      const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
      if (fd < 0) continue;
      const int one = 1;
      ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      if (::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, 1024) == 0) {
        listen_fd = fd;
      } else {
        err = errno;
        ::close(fd);
      }
    }
    ::freeaddrinfo(found);
    if (listen_fd < 0)
      throw Error(where + " (" + (err == EADDRINUSE ? "in use" : "not an address of this machine") + ")", kExitIo);
    sockaddr_storage bound{};
    socklen_t len = sizeof bound;
    ::getsockname(listen_fd, reinterpret_cast<sockaddr*>(&bound), &len);
    port = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6&>(bound).sin6_port
                                             : reinterpret_cast<sockaddr_in&>(bound).sin_port);
  }

  // Room for every connection the caps allow: the soft descriptor limit raised toward the hard one,
  // the caps lowered to what it allows.
  void fit_descriptor_limit() {
    constexpr size_t kSpare = 64;  // model files, the log, the loop's own descriptors
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
    const rlim_t want = static_cast<rlim_t>(options.max_connections + kSpare);
    if (lim.rlim_cur < want) {
      lim.rlim_cur = std::min(want, lim.rlim_max);
      ::setrlimit(RLIMIT_NOFILE, &lim);
      ::getrlimit(RLIMIT_NOFILE, &lim);
    }
    if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < want)
      options.max_connections = std::max<size_t>(16, static_cast<size_t>(lim.rlim_cur) - kSpare);
    options.max_connections_per_peer = std::min(options.max_connections_per_peer, options.max_connections);
  }

  void watch(Conn& c, uint32_t events) {
    if (c.events == events || c.phase == Phase::kClosed) return;
    epoll_event ev{};
    ev.events = events;
    ev.data.u64 = c.id;
    ::epoll_ctl(epoll_fd, EPOLL_CTL_MOD, c.fd, &ev);
    c.events = events;
  }

  void close_conn(Conn& c) {
    if (c.phase == Phase::kClosed) return;
    ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, c.fd, nullptr);
    ::close(c.fd);
    c.fd = -1;
    c.phase = Phase::kClosed;
    if (--per_peer[c.peer] == 0) per_peer.erase(c.peer);
    dead.push_back(c.id);
  }

  size_t open_count() const { return conns.size() - dead.size(); }

  // Closes the longest-idle connection (of `peer`, or of anyone when empty); false when none is idle.
  bool evict_idle(const std::string& peer) {
    Conn* oldest = nullptr;
    for (auto& [id, c] : conns)
      if (c->phase == Phase::kIdle && c->in.empty() && c->out.empty() && (peer.empty() || c->peer == peer) &&
          (!oldest || c->last_active < oldest->last_active))
        oldest = c.get();
    if (!oldest) return false;
    close_conn(*oldest);
    return true;
  }

  void refuse(int fd, int status, const std::string& message) {
    HttpResponse r = handlers.error_response(status, message);
    r.set_header("Retry-After", "5");
    const std::string wire = serialize_response(r, true, false);
    [[maybe_unused]] const ssize_t n = ::send(fd, wire.data(), wire.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    ::shutdown(fd, SHUT_WR);
    ::close(fd);
    if (handlers.on_answer) handlers.on_answer(nullptr, r, 0.0);
  }

  void accept_all(Clock::time_point now) {
    for (;;) {
      sockaddr_storage addr{};
      socklen_t len = sizeof addr;
      const int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if ((errno == EMFILE || errno == ENFILE) && evict_idle("")) continue;
        if (errno == EMFILE || errno == ENFILE) pause_accept(now);
        return;
      }
      const std::string peer = peer_address(addr);
      bool room = true;
      while (room && (per_peer[peer] >= options.max_connections_per_peer || open_count() >= options.max_connections))
        room = evict_idle(per_peer[peer] >= options.max_connections_per_peer ? peer : "");
      if (!room) {
        if (per_peer[peer] == 0) per_peer.erase(peer);
        refuse(fd, 503, "too many connections are busy (at most " + std::to_string(options.max_connections) +
                            ", " + std::to_string(options.max_connections_per_peer) + " from one address); retry soon");
        continue;
      }
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      auto c = std::make_unique<Conn>();
      c->id = next_id++;
      c->fd = fd;
      c->peer = peer;
      c->parser = RequestParser(options.limits);
      c->last_active = now;
      c->deadline = now + options.idle_timeout;
      c->events = EPOLLIN;
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = c->id;
      if (::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        ::close(fd);
        continue;
      }
      ++per_peer[peer];
      conns.emplace(c->id, std::move(c));
    }
  }

  // Out of descriptors with nothing idle to close: stop accepting for a moment rather than spin.
  void pause_accept(Clock::time_point now) {
    if (accept_paused || listen_fd < 0) return;
    ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, listen_fd, nullptr);
    accept_paused = true;
    accept_resume = now + std::chrono::milliseconds(100);
  }

  void resume_accept(Clock::time_point now) {
    if (!accept_paused || now < accept_resume || listen_fd < 0) return;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kListenTag;
    ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listen_fd, &ev);
    accept_paused = false;
  }

  // Sends what is queued; false while the socket cannot take more (or the connection closed).
  bool flush(Conn& c, Clock::time_point now) {
    while (c.out_pos < c.out.size()) {
      const ssize_t n = ::send(c.fd, c.out.data() + c.out_pos, c.out.size() - c.out_pos, MSG_NOSIGNAL);
      if (n > 0) {
        c.out_pos += static_cast<size_t>(n);
        if (c.phase == Phase::kWriting) c.deadline = now + options.write_timeout;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;
      close_conn(c);
      return false;
    }
    c.out.clear();
    c.out_pos = 0;
    return true;
  }

  void answer(Conn& c, const HttpResponse& response, bool close, Clock::time_point now) {
    c.close_after = c.close_after || close;
    c.out += serialize_response(response, c.close_after, c.head_only);
    c.phase = Phase::kWriting;
    c.deadline = now + options.write_timeout;
  }

  void answer_error(Conn& c, int status, const std::string& message, Clock::time_point now) {
    c.head_only = false;
    const HttpResponse r = handlers.error_response(status, message);
    if (handlers.on_answer)
      handlers.on_answer(nullptr, r, std::chrono::duration<double, std::milli>(now - c.started).count());
    answer(c, r, true, now);
  }

  void dispatch(Conn& c) {
    HttpRequest request = std::move(c.parser.request());
    c.in.erase(0, c.parser.consumed());
    c.parser.reset();
    c.phase = Phase::kHandling;
    c.deadline = Clock::time_point::max();
    c.head_only = request.method == "HEAD";
    c.close_after = !request.keep_alive || stopping.load();
    c.continue_sent = c.body_deadline = false;
    auto state = std::make_shared<Reply::State>();
    state->box = mailbox;
    state->conn = c.id;
    state->seq = ++c.seq;
    try {
      handlers.on_request(std::move(request), Reply(std::move(state)));
    } catch (...) {
      // Reply's destructor has posted a 500 for the request.
    }
  }

  // Moves a connection on as far as it can go now: parse, dispatch, write, linger or close.
  void advance(Conn& c, Clock::time_point now) {
    while (c.phase != Phase::kClosed) {
      if (c.phase == Phase::kWriting) {
        if (!flush(c, now)) break;
        if (c.close_after) {
          ::shutdown(c.fd, SHUT_WR);
          c.phase = Phase::kLinger;
          c.deadline = now + kLingerTime;
          break;
        }
        c.phase = Phase::kIdle;
        c.last_active = now;
        c.deadline = now + options.idle_timeout;
        continue;
      }
      if (c.phase != Phase::kIdle && c.phase != Phase::kReading) break;
      if (c.phase == Phase::kIdle && c.in.empty()) {
        if (c.peer_eof || stop_begun) close_conn(c);
        break;
      }
      if (c.phase == Phase::kIdle) c.started = now;  // the request's first bytes are in
      const RequestParser::Status s = c.parser.parse(c.in);
      if (s == RequestParser::Status::kError) {
        answer_error(c, c.parser.error_status(), c.parser.error_message(), now);
        continue;
      }
      if (s == RequestParser::Status::kComplete) {
        dispatch(c);
        drain_mailbox(now);  // an answer given at once is written in this same turn
        continue;
      }
      if (c.parser.started() && c.phase == Phase::kIdle) {
        c.phase = Phase::kReading;
        c.deadline = now + options.head_timeout;
      }
      if (c.parser.head_done() && !c.body_deadline) {  // the body's own deadline starts
        c.body_deadline = true;
        c.deadline = now + options.body_timeout;
      }
      if (c.parser.wants_continue() && !c.continue_sent) {
        c.out += "HTTP/1.1 100 Continue\r\n\r\n";
        c.continue_sent = true;
        flush(c, now);
      }
      if (c.peer_eof || (stop_begun && c.phase == Phase::kIdle)) close_conn(c);
      break;
    }
    if (c.phase == Phase::kClosed) return;
    uint32_t events = 0;
    switch (c.phase) {
      case Phase::kIdle:
      case Phase::kReading: events = EPOLLIN | (c.out.empty() ? 0u : static_cast<uint32_t>(EPOLLOUT)); break;
      case Phase::kWriting: events = EPOLLOUT; break;
      case Phase::kLinger: events = EPOLLIN; break;
      default: break;
    }
    watch(c, events);
  }

  void read_input(Conn& c) {
    const size_t cap = options.limits.max_header_bytes + options.limits.max_body + kReadChunk;
    char buf[kReadChunk];
    for (int i = 0; i < kReadsPerEvent && c.in.size() < cap; ++i) {
      const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
      if (n > 0) {
        c.in.append(buf, static_cast<size_t>(n));
        if (static_cast<size_t>(n) < sizeof buf) return;
        continue;
      }
      if (n == 0) {
        c.peer_eof = true;
        return;
      }
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) close_conn(c);
      return;
    }
  }

  void discard_input(Conn& c) {
    char buf[kReadChunk];
    for (int i = 0; i < kReadsPerEvent; ++i) {
      const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
      if (n > 0) continue;
      if (n < 0 && errno == EINTR) continue;
      if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) close_conn(c);
      return;
    }
  }

  void on_event(Conn& c, uint32_t events, Clock::time_point now) {
    if (events & EPOLLERR) {
      close_conn(c);
      return;
    }
    if (c.phase == Phase::kLinger) {
      if (events & (EPOLLIN | EPOLLHUP)) discard_input(c);
      return;
    }
    if ((events & EPOLLIN) && (c.phase == Phase::kIdle || c.phase == Phase::kReading)) read_input(c);
    if ((events & EPOLLHUP) && c.phase != Phase::kClosed) {
      c.peer_eof = true;
      if (c.phase == Phase::kHandling || c.phase == Phase::kWriting) {  // nobody to answer
        close_conn(c);
        return;
      }
    }
    if (c.phase == Phase::kClosed) return;
    // A 100 Continue still going out while the body is read; the answer's own writes are advance()'s.
    if ((events & EPOLLOUT) && !c.out.empty() && c.phase != Phase::kWriting && !flush(c, now)) return;
    advance(c, now);
  }

  void drain_mailbox(Clock::time_point now) {
    std::vector<Completion> items;
    {
      std::lock_guard lock(mailbox->mutex);
      items.swap(mailbox->items);
    }
    for (Completion& item : items) {
      const auto it = conns.find(item.conn);
      if (it == conns.end()) continue;
      Conn& c = *it->second;
      if (c.phase != Phase::kHandling || c.seq != item.seq) continue;
      answer(c, item.response, false, now);  // begin_stop() already set close_after
      touched.push_back(c.id);
    }
  }

  void scan_deadlines(Clock::time_point now) {
    for (auto& [id, conn] : conns) {
      Conn& c = *conn;
      if (c.phase == Phase::kClosed || now < c.deadline) continue;
      if (c.phase == Phase::kReading) {
        answer_error(c, 408, c.body_deadline ? "the request body did not arrive in time"
                                              : "the request head did not arrive in time",
                     now);
        advance(c, now);
      } else {
        close_conn(c);  // idle past its time, a reader that stopped reading, a refused client lingering
      }
    }
  }

  void begin_stop(Clock::time_point now) {
    stop_begun = true;
    stop_deadline = now + kDrainAtMost;
    if (listen_fd >= 0) {
      ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, listen_fd, nullptr);
      ::close(listen_fd);
      listen_fd = -1;
    }
    for (auto& [id, conn] : conns) {
      Conn& c = *conn;
      if (c.phase == Phase::kIdle || c.phase == Phase::kReading) close_conn(c);
      else c.close_after = true;
    }
  }

  void advance_touched(Clock::time_point now) {
    while (!touched.empty()) {
      const uint64_t id = touched.back();
      touched.pop_back();
      if (const auto it = conns.find(id); it != conns.end()) advance(*it->second, now);
    }
  }

  void reap() {
    for (const uint64_t id : dead) conns.erase(id);
    dead.clear();
  }

  void run() {
    epoll_event events[256];
    last_scan = Clock::now();
    for (;;) {
      Clock::time_point now = Clock::now();
      if (stopping.load() && !stop_begun) begin_stop(now);
      reap();
      if (stop_begun && (conns.empty() || now >= stop_deadline)) break;
      resume_accept(now);
      const int n = ::epoll_wait(epoll_fd, events, 256, 50);
      now = Clock::now();
      for (int i = 0; i < n; ++i) {
        const uint64_t tag = events[i].data.u64;
        if (tag == kListenTag) {
          if (listen_fd >= 0) accept_all(now);
        } else if (tag == kWakeTag) {
          uint64_t count;
          [[maybe_unused]] const ssize_t r = ::read(mailbox->wake_fd, &count, sizeof count);
        } else if (const auto it = conns.find(tag); it != conns.end()) {
          on_event(*it->second, events[i].events, now);
        }
      }
      drain_mailbox(now);
      advance_touched(now);
      if (now - last_scan >= kScanEvery) {
        last_scan = now;
        scan_deadlines(now);
        advance_touched(now);
      }
    }
    for (auto& [id, c] : conns) close_conn(*c);
    reap();
  }
};

HttpServer::HttpServer(HttpServerOptions options, HttpHandlers handlers) : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.options = std::move(options);
  s.handlers = std::move(handlers);
  s.mailbox->error_response = s.handlers.error_response;
  s.fit_descriptor_limit();
  s.bind_and_listen();
  s.epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  s.mailbox->wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (s.epoll_fd < 0 || s.mailbox->wake_fd < 0)
    throw Error("serve: cannot create the event loop (" + std::string(std::strerror(errno)) + ")", kExitFailure);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kListenTag;
  ::epoll_ctl(s.epoll_fd, EPOLL_CTL_ADD, s.listen_fd, &ev);
  ev.data.u64 = kWakeTag;
  ::epoll_ctl(s.epoll_fd, EPOLL_CTL_ADD, s.mailbox->wake_fd, &ev);
}

HttpServer::~HttpServer() = default;
int HttpServer::port() const { return impl_->port; }
void HttpServer::run() { impl_->run(); }

void HttpServer::stop() {
  impl_->stopping = true;
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(impl_->mailbox->wake_fd, &one, sizeof one);
}

}  // namespace attnlab::server
