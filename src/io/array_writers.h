// Internals of attnlab/array_file.h: the temporary output file, and one writer per format over it.
// The npz writer's ZIP64 threshold is a parameter so tests can force the ZIP64 layout on small files.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "attnlab/array_file.h"
#include "core/temp_files.h"

namespace attnlab {

struct ArrayDTypeInfo {
  const char* numpy;        // npy descr: "<f4", "<i4", "<i8", "<f2"
  const char* safetensors;  // "F32", "I32", "I64", "F16"
  std::size_t bytes;
};
const ArrayDTypeInfo& dtype_info(ArrayDType d);

struct ArrayEntry {
  std::string name;
  ArrayDType dtype;
  std::vector<std::int64_t> shape;
  std::span<const std::uint8_t> bytes;  // the caller's data, alive until commit
};

// A file created beside `target` under a hidden temporary name; commit() renames it onto the target,
// destruction without commit() removes it. Every failure is Error(kExitIo) naming the target.
class OutputFile {
 public:
  explicit OutputFile(const std::filesystem::path& target);
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  void write(const void* data, std::size_t size);
  void write(std::string_view bytes) { write(bytes.data(), bytes.size()); }
  // Overwrites size bytes at an offset already written (a header field known only later).
  void patch(std::uint64_t offset, const void* data, std::size_t size);
  // Writes (or reads back) size bytes at any offset below reserve()'s end.
  void write_at(std::uint64_t offset, const void* data, std::size_t size);
  void read_at(std::uint64_t offset, void* data, std::size_t size) const;
  // Extends the file (a hole, no data) to `size` bytes and moves the write position to its end.
  void reserve(std::uint64_t size);
  std::uint64_t offset() const { return offset_; }  // bytes written so far
  void commit();
  const std::filesystem::path& target() const { return target_; }
  [[noreturn]] void fail(const std::string& what, int err) const;  // "cannot write '<target>': <what>: <strerror>"

 private:
  std::filesystem::path target_;
  PendingTempFile temp_;
  std::FILE* file_ = nullptr;
  std::uint64_t offset_ = 0;
};

class ArrayFormatWriter {
 public:
  virtual ~ArrayFormatWriter() = default;
  virtual void add(const ArrayEntry& entry) = 0;
  // One array streamed: begin (entry's bytes unused), its bytes in order over any number of appends,
  // end. Formats that must know every array's data before writing refuse it.
  virtual void begin(const ArrayEntry& entry);
  virtual void append(std::span<const std::uint8_t> bytes);
  virtual void end();
  // Every array of the file at once, headers written and data places reserved; returns each
  // entry's absolute data offset in the file (entries' bytes unused). Then only write_at() and finish().
  virtual std::vector<std::uint64_t> declare(const std::vector<ArrayEntry>& entries) = 0;
  virtual void finish() = 0;  // everything written; the caller then commits the file
};

// Members and offsets at or past zip64_threshold take ZIP64 records (the format's limit, 0xFFFFFFFF,
// unless a test forces them with 0).
inline constexpr std::uint64_t kZip64Limit = 0xFFFFFFFFu;
std::unique_ptr<ArrayFormatWriter> make_npz_writer(OutputFile& file, std::uint64_t zip64_threshold = kZip64Limit);
std::unique_ptr<ArrayFormatWriter> make_safetensors_writer(OutputFile& file);

// CRC-32 (ZIP's, polynomial 0xEDB88320) of data, continuing from crc; PCLMULQDQ folding where the
// CPU has it, large inputs in parallel (io/crc32.cpp).
std::uint32_t crc32(std::span<const std::uint8_t> data, std::uint32_t crc = 0);
std::uint32_t crc32_one_thread(std::span<const std::uint8_t> data, std::uint32_t crc = 0);
// The portable twin (slicing-by-8 tables), which every other path must equal.
std::uint32_t crc32_portable(std::span<const std::uint8_t> data, std::uint32_t crc = 0);

}  // namespace attnlab
