// Child processes for tests (see subprocess.h): posix_spawn with pipes, poll() until both outputs
// close, a deadline that kills the child.
#include "subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace attnlab::testing {
namespace {

struct Pipe {
  int fd[2] = {-1, -1};
  Pipe() {
    if (::pipe2(fd, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  }
  ~Pipe() { close_both(); }
  void close_end(int i) {
    if (fd[i] >= 0) ::close(fd[i]);
    fd[i] = -1;
  }
  void close_both() {
    close_end(0);
    close_end(1);
  }
};

std::vector<std::string> environment_with(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    const std::string entry = *e;
    if (!extra.count(entry.substr(0, entry.find('=')))) env.push_back(entry);
  }
  for (const auto& [name, value] : extra) env.push_back(name + "=" + value);
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

// fork + execve, for a child that needs resource limits (posix_spawn cannot set them). Between the
// two the child calls only async-signal-safe functions.
static pid_t fork_with_limits(const std::vector<std::string>& argv, const ProcessOptions& options, const Pipe& in,
                       const Pipe& out, const Pipe& err, char** c_args, char** c_env) {
  const std::string stdin_path = options.stdin_file ? options.stdin_file->string() : "/dev/null";
  const std::string stdout_path = options.stdout_file ? options.stdout_file->string() : "";
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  const int in_fd = options.stdin_text ? in.fd[0] : ::open(stdin_path.c_str(), O_RDONLY);
  const int out_fd = options.stdout_file ? ::open(stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644) : out.fd[1];
  if (in_fd < 0 || out_fd < 0 || ::dup2(in_fd, 0) < 0 || ::dup2(out_fd, 1) < 0 ||
      ::dup2(options.merge_stderr ? out.fd[1] : err.fd[1], 2) < 0)
    ::_exit(127);
  for (const auto& [resource, value] : options.limits) {
    const rlimit limit{value, value};
    if (::setrlimit(resource, &limit) != 0) ::_exit(127);
  }
  ::execve(argv[0].c_str(), c_args, c_env);
  ::_exit(127);
}

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options) {
  ::signal(SIGPIPE, SIG_IGN);  // a child that exits without reading all its stdin must not kill us
  Pipe in, out, err;
  std::vector<std::string> args = argv, env = environment_with(options.env);
  std::vector<char*> c_args = c_strings(args), c_env = c_strings(env);
  pid_t pid = 0;
  if (!options.limits.empty()) {
    pid = fork_with_limits(argv, options, in, out, err, c_args.data(), c_env.data());
    if (pid < 0) throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(errno));
  } else {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (options.stdin_text) {
      posix_spawn_file_actions_adddup2(&actions, in.fd[0], 0);
    } else {
      const std::string path = options.stdin_file ? options.stdin_file->string() : "/dev/null";
      posix_spawn_file_actions_addopen(&actions, 0, path.c_str(), O_RDONLY, 0);
    }
    if (options.stdout_file)
      posix_spawn_file_actions_addopen(&actions, 1, options.stdout_file->c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    else
      posix_spawn_file_actions_adddup2(&actions, out.fd[1], 1);
    posix_spawn_file_actions_adddup2(&actions, options.merge_stderr ? out.fd[1] : err.fd[1], 2);
    const int rc = posix_spawn(&pid, argv.at(0).c_str(), &actions, nullptr, c_args.data(), c_env.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  }
  in.close_end(0);
  out.close_end(1);
  err.close_end(1);
  if (options.stdout_unread) out.close_end(0);  // like `attnlab ... | head -c0`
  if (!options.stdin_text)
    in.close_end(1);
  else
    ::fcntl(in.fd[1], F_SETFL, O_NONBLOCK);  // never block on stdin while the child waits on its output

  ProcessResult result;
  const std::string stdin_text = options.stdin_text.value_or("");
  size_t written = 0;
  const auto started = std::chrono::steady_clock::now();
  const auto deadline = started + options.timeout;
  bool signalled = false;
  char buf[65536];
  while (out.fd[0] >= 0 || err.fd[0] >= 0) {
    if (in.fd[1] >= 0 && written == stdin_text.size()) in.close_end(1);  // EOF for the child
    pollfd fds[3] = {{out.fd[0], POLLIN, 0}, {err.fd[0], POLLIN, 0}, {in.fd[1], POLLOUT, 0}};
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    long wait_ms = std::min<long>(left.count(), 1000);
    if (options.send_signal && !signalled) {
      const auto due = started + options.send_signal->second - std::chrono::steady_clock::now();
      const long due_ms = std::chrono::duration_cast<std::chrono::milliseconds>(due).count();
      if (due_ms <= 0) {
        ::kill(pid, options.send_signal->first);
        signalled = true;
      } else {
        wait_ms = std::min(wait_ms, due_ms);
      }
    }
    if (::poll(fds, 3, static_cast<int>(wait_ms)) < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0)
        (i == 0 ? result.out : result.err).append(buf, static_cast<size_t>(n));
      else if (n == 0 || errno != EINTR)
        (i == 0 ? out : err).close_end(0);
    }
    if (fds[2].revents & (POLLOUT | POLLERR | POLLHUP)) {
      const ssize_t n =
          ::write(in.fd[1], stdin_text.data() + written, std::min<size_t>(stdin_text.size() - written, 65536));
      if (n > 0)
        written += static_cast<size_t>(n);
      else if (errno != EINTR && errno != EAGAIN)
        in.close_end(1);  // EPIPE: the child stopped reading
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status))
    result.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status))
    result.exit_code = 128 + WTERMSIG(status);
  return result;
}

}  // namespace attnlab::testing
