// A read-only memory map of a whole file (POSIX mmap), so checkpoints are read without copying.
// If the file shrinks while mapped (another process truncates or rewrites it), touching a page past
// its new end raises SIGBUS; a handler installed with the first map turns such a page into zeros
// and marks the map changed, so callers can check changed() / throw_if_changed() and report the
// file instead of the process dying. Faults outside every map go to the previous handler.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>

namespace attnlab {

class MappedFile {
 public:
  // Throws attnlab::Error naming the path when the file cannot be opened or mapped.
  explicit MappedFile(const std::filesystem::path& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&&) = delete;

  std::span<const uint8_t> bytes() const { return {data_, size_}; }
  // Drops the whole pages inside [p, p + n) from this process's memory (madvise DONTNEED). The
  // bytes stay readable: touching them again re-reads the file. Used once weights are repacked.
  void release(const void* p, size_t n) const;
  // Maps the pages of [p, p + n) in one go (MADV_POPULATE_READ; a no-op where unsupported), so
  // reading a whole tensor does not take a page fault per 4 kB.
  void prefetch(const void* p, size_t n) const;
  const std::filesystem::path& path() const { return path_; }
  // True once a read hit a page the file no longer has (see above); those bytes read as zeros.
  bool changed() const;
  // Throws attnlab::Error (kExitInput) naming the file when changed().
  void throw_if_changed() const;

 private:
  std::filesystem::path path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  int slot_ = -1;  // in the SIGBUS handler's table of live maps
};

}  // namespace attnlab
