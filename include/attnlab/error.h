// The one error type of attnlab: a message that names the file, field or value at fault, plus the
// process exit code a front end should use. Front ends print "attnlab: error: <message>". One
// subtype, InputTooLong, marks the refusal a front end answers with its own advice (--truncate,
// "truncate": true).
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace attnlab {

// Exit codes, documented in README.md ("Exit codes").
enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,  // anything not listed below
  kExitUsage = 2,    // bad command line: unknown flag, value not a number, value out of range
  kExitInput = 3,    // bad input data: model files, config, vocabulary, checkpoint, text
  kExitIo = 4,       // cannot read or write a file or directory
  kExitNetwork = 5,  // model not cached and cannot be downloaded
};

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, int exit_code = kExitFailure)
      : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

// A text with more tokens than the model takes (or than TruncationOptions::max_length), refused
// because truncation was off. Exit code kExitInput.
class InputTooLong : public Error {
 public:
  InputTooLong(int tokens, int limit)
      : Error("input is " + std::to_string(tokens) + " tokens, the model accepts at most " + std::to_string(limit) +
                  " (max_position_embeddings)",
              kExitInput),
        tokens_(tokens),
        limit_(limit) {}
  int tokens() const { return tokens_; }
  int limit() const { return limit_; }

 private:
  int tokens_, limit_;
};

// A message made safe to print on a terminal: control characters, C1 controls and bytes that are not
// UTF-8 escaped (\x1b, \u009b, \xff), at most 4096 bytes kept ("... (N bytes)" after). Messages
// quote names and values from files and text a stranger wrote.
std::string printable(std::string_view message);

// printable() for a value that must stay on one line (a path, a --model value): '\n' is escaped too.
std::string printable_line(std::string_view value);

}  // namespace attnlab
