// Shared by the CLI's end-to-end tests: the binary under test, its models, and checks in the shape
// of `grep -E`: an exit code, then a line of the output matching a pattern.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "../support/subprocess.h"

namespace attnlab::testing {

inline const std::filesystem::path kCli = ATTNLAB_CLI;
inline const std::filesystem::path kFixtures = ATTNLAB_FIXTURES;
inline const std::filesystem::path kTiny = kFixtures / "bert" / "tiny-random" / "model";
// Fetched by `make model` into the checkout's models/ (tests/fixtures/../../models).
inline const std::filesystem::path kMinilm = kFixtures.parent_path().parent_path() / "models" / "all-MiniLM-L6-v2";

// `attnlab ARGS...`.
inline ProcessResult run_cli(const std::vector<std::string>& args, const ProcessOptions& options = {}) {
  std::vector<std::string> argv{kCli.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv, options);
}

// True when some line of text matches `pattern`, like grep -E. The patterns use what extended and
// ECMAScript regular expressions share; ECMAScript because libstdc++'s extended grammar refuses `\]`.
inline bool has_line_matching(const std::string& text, const std::string& pattern) {
  const std::regex re(pattern, std::regex::ECMAScript);
  size_t begin = 0;
  while (begin <= text.size()) {
    size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    if (std::regex_search(text.begin() + static_cast<long>(begin), text.begin() + static_cast<long>(end), re))
      return true;
    begin = end + 1;
  }
  return false;
}

// What a failing check prints: the exit code and both outputs (long ones cut).
inline std::string describe(const ProcessResult& r) {
  const auto cut = [](const std::string& s) { return s.size() > 4000 ? s.substr(0, 4000) + "..." : s; };
  return "exit " + std::to_string(r.exit_code) + (r.timed_out ? " (timed out)" : "") + "\n--- stdout:\n" +
         cut(r.out) + "\n--- stderr:\n" + cut(r.err);
}

// The run exited with want_exit and a line of its stdout or stderr matches pattern (grep -E).
inline void expect_run(const ProcessResult& r, int want_exit, const std::string& pattern) {
  EXPECT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.exit_code, want_exit) << describe(r);
  EXPECT_TRUE(has_line_matching(r.out + "\n" + r.err, pattern)) << "no line matches /" << pattern << "/\n"
                                                                  << describe(r);
}

// A regular expression matching s literally (for paths inside patterns).
inline std::string regex_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (std::string_view(".[]{}()\\*+?|^$").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

}  // namespace attnlab::testing
