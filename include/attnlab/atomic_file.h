// A file written whole or not at all: bytes go to a temporary file beside the target, renamed onto it
// by commit(). Destroyed before commit() (an error, an exception), the temporary file is removed and
// the target is left as it was.
#pragma once

#include <filesystem>
#include <memory>
#include <string_view>

namespace attnlab {

class AtomicFile {
 public:
  // Creates the temporary file now, so an unwritable place fails before any work is done.
  // Throws attnlab::Error (kExitIo) naming the target and the reason.
  explicit AtomicFile(const std::filesystem::path& target);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(std::string_view bytes);
  void commit();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace attnlab
