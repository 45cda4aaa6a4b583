// Writing named arrays to the binary formats numpy and PyTorch users load directly: .npz (numpy.load)
// and .safetensors (safetensors.safe_open, or its JSON header + numpy.frombuffer).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace attnlab {

enum class ArrayFileFormat {
  kNpz,          // numpy's savez layout: a ZIP of .npy files, stored uncompressed; ZIP64 past 4 GiB
  kSafetensors,  // 8-byte header length, JSON header (dtype, shape, data_offsets), raw little-endian data
};

// Element types of the arrays: float32, float16 (IEEE binary16 bits, numpy's float16), int32, int64.
enum class ArrayDType { kF32, kI32, kI64, kF16 };

// One array of a file laid out in advance (ArrayFileWriter::declare).
struct ArraySpec {
  std::string name;
  ArrayDType dtype = ArrayDType::kF32;
  std::vector<std::int64_t> shape;
};

// The format a path's extension names: ".npz" or ".safetensors". Anything else is attnlab::Error
// (kExitUsage) naming the path and listing those two.
ArrayFileFormat array_file_format(const std::filesystem::path& path);

// Collects arrays into one file. Data goes to a temporary file beside the target (never a copy of
// the whole file in memory) that commit() renames into place; destroyed without commit() (an error,
// an exception), the temporary file is removed and the target is left as it was. One writer per
// file; not thread-safe. Errors are attnlab::Error naming the target path: kExitIo when a file
// cannot be created or written, kExitFailure for a misuse (duplicate name, shape not matching data).
//
// Arrays are row-major (C order), little-endian; dtypes: float -> float32 ('<f4' / F32),
// int32_t -> int32 ('<i4' / I32), int64_t -> int64 ('<i8' / I64). Every array's data must stay alive
// until commit(): .npz writes it in add(), .safetensors (whose header comes first) in commit().
//
//   ArrayFileWriter w("out.npz");
//   w.add("attentions", probs, {layers, heads, seq, seq});
//   w.add("input_ids", ids, {seq});
//   w.commit();
class ArrayFileWriter {
 public:
  explicit ArrayFileWriter(const std::filesystem::path& path);  // format from the extension
  ArrayFileWriter(const std::filesystem::path& path, ArrayFileFormat format);
  ~ArrayFileWriter();
  ArrayFileWriter(const ArrayFileWriter&) = delete;
  ArrayFileWriter& operator=(const ArrayFileWriter&) = delete;

  // `name` is the key in numpy.load(...) / the safetensors header: non-empty, unique, no '/'.
  // `shape` multiplies out to data.size(); {} is a scalar (one element).
  void add(std::string_view name, std::span<const float> data, const std::vector<std::int64_t>& shape);
  void add(std::string_view name, std::span<const std::int32_t> data, const std::vector<std::int64_t>& shape);
  void add(std::string_view name, std::span<const std::int64_t> data, const std::vector<std::int64_t>& shape);

  // One float32 array streamed in pieces, as a forward pass makes them (a layer at a time): its
  // name and shape, then every element in order over any number of append() calls, then
  // end_array(), which checks that the shape's elements all came. .npz only (its members are written
  // in turn; the CRC in the member's header is filled in at end_array()); .safetensors, whose header
  // lists every array's offset before any data, refuses it (kExitFailure). Nothing else may be
  // added between begin_floats() and end_array().
  void begin_floats(std::string_view name, const std::vector<std::int64_t>& shape);
  void append(std::span<const float> data);
  void end_array();

  // The whole file laid out first: every array it will hold, in the file's order. The headers are
  // written at once and each array's place reserved, so data can then arrive in any order and any
  // number of pieces (a forward pass's blocks of query rows land in several heads' regions): write()
  // puts bytes at an element offset of a declared array, add() a whole one (which must match its
  // declaration). Works for both formats (.npz: the members' CRCs are read back at commit());
  // commit() checks that every declared byte was written once. Only once, before anything else.
  void declare(const std::vector<ArraySpec>& arrays);
  // elements of the declared array `name` from element `offset` on; the span's type must be the
  // array's: uint16_t bits for kF16, or float, rounded to float16 as numpy's astype(float16) does.
  void write(std::string_view name, std::uint64_t offset, std::span<const float> data);
  void write(std::string_view name, std::uint64_t offset, std::span<const std::uint16_t> data);
  void write(std::string_view name, std::uint64_t offset, std::span<const std::int64_t> data);

  // Finishes the file and renames it onto the target. Adding after commit() is an error.
  void commit();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace attnlab
