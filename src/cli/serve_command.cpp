// `attnlab serve`: the viewer as a local web app with a JSON API (src/server/), until SIGINT/SIGTERM.
#include <signal.h>
#include <spawn.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "attnlab/error.h"
#include "cli/commands.h"
#include "cli/session.h"
#include "server/server.h"

extern char** environ;

namespace attnlab::cli {
namespace {

struct ServeArgs {
  std::vector<std::string> models;
  std::string host = "127.0.0.1";
  int port = 8000;
  bool allow_remote = false;
  bool open = false;
  bool log_text = false;
  int cache_mb = 32;
};

int g_stop_pipe[2] = {-1, -1};

extern "C" void on_stop_signal(int sig) {
  const char byte = static_cast<char>(sig);
  [[maybe_unused]] const ssize_t n = write(g_stop_pipe[1], &byte, 1);
}

// The desktop's browser, when there is a desktop; a note otherwise.
void open_browser(const std::string& url) {
  const bool desktop = std::getenv("DISPLAY") || std::getenv("WAYLAND_DISPLAY");
  pid_t pid = 0;
  const char* argv[] = {"xdg-open", url.c_str(), nullptr};
  if (!desktop || posix_spawnp(&pid, "xdg-open", nullptr, nullptr, const_cast<char**>(argv), environ) != 0) {
    std::fprintf(stderr, "attnlab: no desktop browser to open; open %s yourself\n", url.c_str());
  }
}

void run_serve(const ServeArgs& a) {
  const bool loopback = server::is_loopback_host(a.host);
  if (!loopback && !a.allow_remote)
    throw Error("--host " + a.host + " would expose the server beyond this machine; add --allow-remote to mean it",
                kExitUsage);
  std::vector<server::ServedModel> models;
  for (const std::string& m : a.models.empty() ? std::vector<std::string>{""} : a.models) {
    auto engine = std::make_shared<const Engine>(open_engine(m));
    models.push_back({m.empty() ? engine->info().name : m, std::move(engine)});
  }
  server::ServeOptions options;
  options.host = a.host;
  options.port = a.port;
  options.log_text = a.log_text;
  options.cache_bytes = static_cast<size_t>(a.cache_mb) << 20;

  server::Server srv(std::move(models), options);

  const std::string shown_host = a.host.find(':') != std::string::npos ? "[" + a.host + "]" : a.host;
  const std::string url = "http://" + (loopback ? std::string("127.0.0.1") : shown_host) + ":" + std::to_string(srv.port()) + "/";
  if (!loopback)
    std::fprintf(stderr,
                 "attnlab: warning: serving on %s: anyone who can reach this address can run the models and read "
                 "the API (no authentication)\n",
                 a.host.c_str());
  std::fprintf(stderr, "attnlab: serving %s on %s (Ctrl-C stops)\n", a.models.empty() ? "the default model" : "the models",
               url.c_str());
  if (a.open) open_browser(url);

  // SIGINT/SIGTERM, whichever thread they reach, only write a byte to a pipe; a waiting thread reads
  // it and stops the server: in-flight requests finish, then run() returns and the process exits 0.
  if (pipe(g_stop_pipe) != 0) throw Error("serve: cannot create a pipe for signals", kExitFailure);
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::thread waiter([&srv] {
    char sig = 0;
    while (read(g_stop_pipe[0], &sig, 1) < 0 && errno == EINTR) {
    }
    if (sig == 0) return;  // closed by run_serve: the server ended by itself
    std::fprintf(stderr, "attnlab: stopping (finishing requests in progress)\n");
    srv.stop();
  });
  srv.run();
  close(g_stop_pipe[1]);
  waiter.join();
}

}  // namespace

void add_serve_command(CLI::App& app) {
  auto a = std::make_shared<ServeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "serve",
      "A local web app (the viewer plus a text box, live as you type) and a JSON API over the loaded\n"
      "models: POST /api/tokenize, /api/attention, /api/view; GET /api/models, /healthz. Loopback only\n"
      "unless --allow-remote. Stops cleanly on Ctrl-C or SIGTERM.");
  cmd->add_option("--model,-m", a->models,
                  "Model directory or Hub id; repeat for several (default: bert-base-uncased from the cache, "
                  "else the offline all-MiniLM-L6-v2)");
  cmd->add_option("--host", a->host, "Address to listen on")->capture_default_str();
  cmd->add_option("--port,-p", a->port, "Port (0: any free port)")->check(CLI::Range(0, 65535))->capture_default_str();
  cmd->add_flag("--allow-remote", a->allow_remote, "Allow a --host other than loopback (no authentication!)");
  cmd->add_flag("--open", a->open, "Open the app in the desktop's browser");
  cmd->add_flag("--log-text", a->log_text, "Show request texts in the access log (never shown otherwise)");
  cmd->add_option("--cache-mb", a->cache_mb,
                  "Keep the answers of recent API requests, up to this many MB, for identical requests (a class "
                  "opening one shared link runs the model once); 0 keeps none")
      ->check(CLI::Range(0, 4096))
      ->capture_default_str();
  cmd->callback([a] { run_serve(*a); });
}

}  // namespace attnlab::cli
