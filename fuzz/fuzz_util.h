// Shared by the libFuzzer targets: a private scratch directory (in /dev/shm when there is one) for
// readers that take a path, removed when the fuzzer exits.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "../tests/support/temp_dir.h"

namespace attnlab::fuzz {

class ScratchDir : public testing::TempDir {
 public:
  ScratchDir() : TempDir(base()) {}

  // Writes `bytes` to dir/name (replacing it) and returns the path.
  std::filesystem::path write(const std::string& name, std::string_view bytes) const {
    const auto p = path() / name;
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) std::abort();
    return p;
  }
  void remove(const std::string& name) const {
    std::error_code ec;
    std::filesystem::remove(path() / name, ec);
  }

 private:
  static std::filesystem::path base() {
    std::error_code ec;
    return std::filesystem::is_directory("/dev/shm", ec) ? std::filesystem::path("/dev/shm")
                                                         : std::filesystem::temp_directory_path();
  }
};

inline std::string_view as_view(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// A broken invariant is a finding: stop so libFuzzer saves the input.
#define ATTNLAB_FUZZ_CHECK(cond) \
  do {                           \
    if (!(cond)) __builtin_trap(); \
  } while (0)

}  // namespace attnlab::fuzz
