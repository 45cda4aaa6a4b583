// Command-line flags of the C++ benchmark drivers: `--name value` pairs, `--help`, and one error path.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "attnlab/error.h"

namespace attnlab::bench {

// The value after `name` in argv, else `fallback`.
inline std::string arg(int argc, char** argv, const char* name, const char* fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  return fallback;
}

inline bool flag(int argc, char** argv, const char* name) {
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return true;
  return false;
}

// With -h or --help: prints `usage` and exits 0.
inline void help(int argc, char** argv, const char* usage) {
  if (flag(argc, argv, "-h") || flag(argc, argv, "--help")) {
    std::fputs(usage, stdout);
    std::exit(0);
  }
}

// The value of a flag the driver cannot run without; exits 2 naming it when it is missing.
inline std::string required(int argc, char** argv, const char* name, const char* usage) {
  std::string v = arg(argc, argv, name, "");
  if (v.empty()) {
    std::fprintf(stderr, "%s: missing %s\n%s", argv[0], name, usage);
    std::exit(2);
  }
  return v;
}

// The JSON file at `path`; errors name it.
inline nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot read");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(path + ": not valid JSON: " + e.what());
  }
}

// main's catch-all: the message on stderr and the exit code (attnlab's for its own errors, 1 for
// anything else: a bad number, an unreadable inputs file).
inline int fail(const char* program, const std::exception& e) {
  std::fprintf(stderr, "%s: error: %s\n", program, e.what());
  if (const auto* a = dynamic_cast<const attnlab::Error*>(&e)) return a->exit_code();
  return 1;
}

}  // namespace attnlab::bench
