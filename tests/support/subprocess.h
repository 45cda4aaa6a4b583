// Runs a program as a child process and captures what it prints, for end-to-end tests of the CLI.
#pragma once

#include <sys/resource.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace attnlab::testing {

struct ProcessOptions {
  std::optional<std::string> stdin_text;             // fed through a pipe; else stdin_file, else /dev/null
  std::optional<std::filesystem::path> stdin_file;   // opened as standard input (like `< file`)
  std::optional<std::filesystem::path> stdout_file;  // standard output goes here (like `> /dev/full`)
  bool merge_stderr = false;                         // stderr into stdout's capture, in order (like `2>&1`)
  bool stdout_unread = false;                        // stdout is a pipe closed at our end: writes get EPIPE
  std::map<std::string, std::string> env;            // set on top of the test's own environment
  std::chrono::seconds timeout{300};                 // then the child is killed
  std::vector<std::pair<int, rlim_t>> limits;        // setrlimit(resource, soft = hard) in the child, e.g. RLIMIT_AS
  // Sends signal `first` to the child `second` after it started (once), e.g. {SIGTERM, 200ms}.
  std::optional<std::pair<int, std::chrono::milliseconds>> send_signal;
};

struct ProcessResult {
  int exit_code = -1;  // the exit status; 128 + N when killed by signal N
  bool timed_out = false;
  std::string out, err;
};

// Runs argv[0] (a path, not searched in $PATH) with argv. Never throws for the child's behaviour;
// throws std::runtime_error when the child cannot be started.
ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options = {});

}  // namespace attnlab::testing
