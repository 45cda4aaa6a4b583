// safetensors reader: memory-maps the file and validates everything the header claims before any
// tensor is touched (header length bounded by the file, JSON header, known dtypes, offsets in
// range, contiguous and non-overlapping, byte size = shape product x dtype size).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "io/mapped_file.h"

namespace attnlab {

enum class DType { kF64, kF32, kF16, kBF16, kI64, kI32, kI16, kI8, kU8, kBool, kU16, kU32, kU64, kF8E4M3, kF8E5M2 };
const char* dtype_name(DType d);
size_t dtype_size(DType d);

struct TensorView {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  const uint8_t* data;  // into the memory map; not necessarily aligned
  size_t nbytes;
  int64_t numel() const;
};

class SafetensorsFile {
 public:
  // Largest header accepted (the format's own reader allows 100 MB).
  static constexpr uint64_t kMaxHeaderBytes = 100u * 1024 * 1024;

  // Throws attnlab::Error (kExitInput) naming the file and what is wrong.
  explicit SafetensorsFile(const std::filesystem::path& path);

  const TensorView* find(const std::string& name) const;  // null when absent
  const std::map<std::string, TensorView>& tensors() const { return tensors_; }
  const std::filesystem::path& path() const { return file_.path(); }
  size_t file_size() const { return file_.bytes().size(); }
  void release(const void* p, size_t n) const { file_.release(p, n); }    // see MappedFile::release
  void prefetch(const void* p, size_t n) const { file_.prefetch(p, n); }  // see MappedFile::prefetch
  void throw_if_changed() const { file_.throw_if_changed(); }              // see MappedFile
  bool contains(const void* p) const {  // p points into this file's map
    const auto b = file_.bytes();
    const auto* q = static_cast<const uint8_t*>(p);
    return q >= b.data() && q < b.data() + b.size();
  }

 private:
  MappedFile file_;
  std::map<std::string, TensorView> tensors_;
};

// Converts a floating tensor (F32, F16, BF16, F64) to float32; other dtypes are an error naming the tensor.
void convert_to_f32(const TensorView& t, const std::filesystem::path& file, float* out);

float f16_to_f32(uint16_t h);

}  // namespace attnlab
