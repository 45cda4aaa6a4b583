// GGUF reader (llama.cpp's checkpoint format, versions 2 and 3): memory-maps the file and validates
// everything the header claims before any tensor is touched: magic, version, counts and lengths
// bounded by the bytes left, every metadata value type, general.alignment, tensor shapes, ggml types,
// aligned, in-file and non-overlapping tensor data, unique keys and tensor names. Metadata is read
// through typed getters that name the key; tensors are views into the map.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "io/gguf_quants.h"
#include "io/mapped_file.h"

namespace attnlab {

// Metadata value types as the file numbers them (gguf-py GGUFValueType, ggml gguf_type).
enum class GgufValueType : uint32_t {
  kUint8 = 0,
  kInt8 = 1,
  kUint16 = 2,
  kInt16 = 3,
  kUint32 = 4,
  kInt32 = 5,
  kFloat32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kUint64 = 10,
  kInt64 = 11,
  kFloat64 = 12,
};
const char* gguf_value_type_name(GgufValueType t);  // "UINT32", "STRING", ... as gguf-py names them

// One metadata value as stored. Scalars keep their little-endian bytes in `data`; strings point into
// the map (bytes as written, not checked as UTF-8); an array of scalars points at its first element
// (`count` values back to back, unaligned), an array of strings lists them, an array of arrays holds
// one GgufValue per element. Views are valid as long as the GgufFile.
struct GgufValue {
  GgufValueType type = GgufValueType::kUint8;
  const uint8_t* data = nullptr;                       // scalar bytes / string bytes / first array element
  std::string_view str;                                // kString
  GgufValueType element_type = GgufValueType::kUint8;  // kArray: the elements' type
  uint64_t count = 0;                                  // kArray: number of elements
  std::vector<std::string_view> strings;               // kArray of kString
  std::vector<GgufValue> arrays;                       // kArray of kArray
};

struct GgufKv {
  std::string key;  // "llama.attention.head_count"
  GgufValue value;
};

struct GgufTensor {
  std::string name;               // "blk.0.attn_q.weight"
  GgmlType type = GgmlType::kF32;  // any known ggml type; dequantize() reads the 13 of ggml_dequantizable_types()
  std::vector<int64_t> dims;      // GGUF order: dims[0] = ne[0], the innermost (row) length; 0 to 4 of them
  int64_t numel = 0;              // product of dims
  uint64_t offset = 0;            // from the start of the data section, a multiple of the alignment
  size_t nbytes = 0;              // numel / block_size * block_bytes
  const uint8_t* data = nullptr;  // into the memory map; aligned to the file's alignment within the file
  int64_t row_length() const { return dims.empty() ? 1 : dims[0]; }
  int64_t num_rows() const { return row_length() == 0 ? 0 : numel / row_length(); }
};

// A path names a GGUF file when it is a regular file whose first four bytes are "GGUF".
bool is_gguf_file(const std::filesystem::path& path);

class GgufFile {
 public:
  static constexpr uint32_t kDefaultAlignment = 32;
  static constexpr int kMaxDims = 4;        // GGML_MAX_DIMS
  static constexpr int kMaxArrayDepth = 8;  // arrays of arrays of ... deeper than this are refused

  // Throws attnlab::Error (kExitInput) naming the file, the key or tensor, what was expected and found.
  explicit GgufFile(const std::filesystem::path& path);

  uint32_t version() const { return version_; }  // 2 or 3
  uint32_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }  // where the data section starts in the file

  // Metadata in file order, and lookup by key (null when absent).
  const std::vector<GgufKv>& metadata() const { return kvs_; }
  const GgufKv* find_key(std::string_view key) const;
  bool has(std::string_view key) const { return find_key(key) != nullptr; }

  // Typed getters. Each throws attnlab::Error (kExitInput) naming the file and key when the key is
  // absent ("missing metadata key 'x'") or of another type ("metadata key 'x' is STRING, expected
  // UINT32"). Integer getters take any integer type whose value fits (a UINT32 read as int64, an INT32
  // 12 read as uint32), and say so when it does not; float getters take FLOAT32, or FLOAT64 that
  // converts exactly; array getters apply the same rules to every element.
  uint32_t get_u32(std::string_view key) const;
  int32_t get_i32(std::string_view key) const;
  uint64_t get_u64(std::string_view key) const;
  int64_t get_i64(std::string_view key) const;
  float get_f32(std::string_view key) const;
  double get_f64(std::string_view key) const;  // FLOAT64 or FLOAT32 (exact)
  bool get_bool(std::string_view key) const;
  std::string get_string(std::string_view key) const;
  std::vector<std::string> get_string_array(std::string_view key) const;
  std::vector<float> get_f32_array(std::string_view key) const;
  std::vector<int32_t> get_i32_array(std::string_view key) const;

  // Tensors in file order, and lookup by name (null when absent).
  const std::vector<GgufTensor>& tensors() const { return tensors_; }
  const GgufTensor* find(std::string_view name) const;

  // Dequantizes the whole tensor into out[numel] (row-major, rows of dims[0]). A type attnlab does not
  // read is an Error naming the tensor, its type and the supported ones.
  void dequantize(const GgufTensor& t, float* out) const;
  // Rows [row_begin, row_begin + rows) of a tensor seen as num_rows() rows of dims[0] elements.
  void dequantize_rows(const GgufTensor& t, int64_t row_begin, int64_t rows, float* out) const;

  const std::filesystem::path& path() const { return file_.path(); }
  size_t file_size() const { return file_.bytes().size(); }
  void throw_if_changed() const { file_.throw_if_changed(); }  // see MappedFile
  void release(const void* p, size_t n) const { file_.release(p, n); }  // see MappedFile::release

 private:
  const GgufKv& require(std::string_view key) const;
  void check_dequantizable(const GgufTensor& t) const;

  MappedFile file_;
  uint32_t version_ = 0;
  uint32_t alignment_ = kDefaultAlignment;
  uint64_t data_offset_ = 0;
  std::vector<GgufKv> kvs_;
  std::vector<GgufTensor> tensors_;
  std::unordered_map<std::string_view, size_t> kv_index_, tensor_index_;  // keys: views of the map's bytes
};

}  // namespace attnlab
