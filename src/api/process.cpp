// Signal and GLib handlers for front ends (see attnlab/process.h).
#include "attnlab/process.h"

#include <glib.h>
#include <signal.h>
#include <unistd.h>

#include <cstring>

#include "core/temp_files.h"

namespace attnlab {
namespace {

void write_stderr(const char* text) {
  const ssize_t ignored = ::write(STDERR_FILENO, text, std::strlen(text));
  (void)ignored;
}

void on_terminate(int sig) {
  remove_pending_temp_files();
  ::signal(sig, SIG_DFL);  // die of the same signal: the parent sees 128 + sig
  ::raise(sig);
}

// GLib aborts (SIGTRAP) after an error-level message: "failed to allocate N bytes" from g_malloc, or
// "Error creating thread: Resource temporarily unavailable" when no stack can be mapped. Under a
// memory limit both mean the same: out of memory.
void on_glib_error(const gchar*, GLogLevelFlags, const gchar* message, gpointer) {
  remove_pending_temp_files();
  if (message != nullptr &&
      (std::strstr(message, "failed to allocate") != nullptr || std::strstr(message, "creating thread") != nullptr)) {
    write_stderr("attnlab: error: out of memory\n");
  } else {
    write_stderr("attnlab: error: GLib: ");
    write_stderr(message ? message : "fatal error");
    write_stderr("\n");
  }
  ::_exit(1);
}

}  // namespace

void install_process_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_terminate;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  ::signal(SIGXFSZ, SIG_IGN);
  const auto levels = static_cast<GLogLevelFlags>(G_LOG_LEVEL_ERROR | G_LOG_FLAG_FATAL | G_LOG_FLAG_RECURSION);
  for (const char* domain : {"GLib", "GLib-GObject", "Pango"})
    g_log_set_handler(domain, levels, on_glib_error, nullptr);
}

}  // namespace attnlab
