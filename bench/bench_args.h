// Command-line flags of the C++ benchmark drivers: `--name value` pairs.
#pragma once

#include <cstring>
#include <string>

namespace attnlab::bench {

// The value after `name` in argv, else `fallback`.
inline std::string arg(int argc, char** argv, const char* name, const char* fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  return fallback;
}

}  // namespace attnlab::bench
