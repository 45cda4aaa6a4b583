// GGUF reader (see gguf.h). The layout is docs/gguf.md of llama.cpp; the checks follow ggml's own
// reader (ggml/src/gguf.cpp: gguf_init_from_file_impl) and gguf-py's GGUFReader, stricter where
// they trust the file: every length and count is checked against the bytes that remain before
// anything is allocated for it, so a hostile header costs at most a small multiple of its size.
#include "io/gguf.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <limits>
#include <utility>

#include "attnlab/error.h"
#include "core/file_error.h"

namespace attnlab {
namespace {

constexpr uint64_t kMinKvBytes = 8 + 4 + 1;              // key length, value type, a one-byte value
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 4 + 8;  // name length, n_dims, ggml type, offset
constexpr uint64_t kHeaderBytes = 4 + 4 + 8 + 8;         // magic, version, tensor count, key count

constexpr const char* kValueTypeNames[] = {"UINT8", "INT8",   "UINT16", "INT16",  "UINT32", "INT32",  "FLOAT32",
                                           "BOOL",  "STRING", "ARRAY",  "UINT64", "INT64",  "FLOAT64"};
constexpr uint32_t kNumValueTypes = 13;

// Bytes of a fixed-size value type; 0 for STRING and ARRAY.
uint64_t scalar_size(GgufValueType t) {
  switch (t) {
    case GgufValueType::kUint8:
    case GgufValueType::kInt8:
    case GgufValueType::kBool:
      return 1;
    case GgufValueType::kUint16:
    case GgufValueType::kInt16:
      return 2;
    case GgufValueType::kUint32:
    case GgufValueType::kInt32:
    case GgufValueType::kFloat32:
      return 4;
    case GgufValueType::kUint64:
    case GgufValueType::kInt64:
    case GgufValueType::kFloat64:
      return 8;
    case GgufValueType::kString:
    case GgufValueType::kArray:
      return 0;
  }
  return 0;
}

bool is_integer(GgufValueType t) {
  switch (t) {
    case GgufValueType::kUint8:
    case GgufValueType::kInt8:
    case GgufValueType::kUint16:
    case GgufValueType::kInt16:
    case GgufValueType::kUint32:
    case GgufValueType::kInt32:
    case GgufValueType::kUint64:
    case GgufValueType::kInt64:
      return true;
    default:
      return false;
  }
}
bool is_signed(GgufValueType t) {
  return t == GgufValueType::kInt8 || t == GgufValueType::kInt16 || t == GgufValueType::kInt32 ||
         t == GgufValueType::kInt64;
}

uint64_t load_le(const uint8_t* p, uint64_t n) {
  uint64_t v = 0;
  for (uint64_t i = n; i-- > 0;) v = (v << 8) | p[i];
  return v;
}

// A name from the file for a message: quoted, cut to 200 bytes (front ends escape what they print).
std::string name_text(std::string_view s) {
  std::string q = "'";
  if (s.size() > 200) {
    q.append(s.substr(0, 200));
    q.append("...' (");
    q.append(std::to_string(s.size()));
    q.append(" bytes)");
  } else {
    q.append(s);
    q.append("'");
  }
  return q;
}

std::string dims_text(const std::vector<uint64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(dims[i]);
  }
  return s + "]";
}

// A scalar integer of any width as signed or unsigned 64 bits.
struct Integer {
  bool is_signed;
  int64_t s;
  uint64_t u;
  std::string text() const { return is_signed ? std::to_string(s) : std::to_string(u); }
  template <class T>
  bool fits() const {
    return is_signed ? std::in_range<T>(s) : std::in_range<T>(u);
  }
  template <class T>
  T as() const {
    return is_signed ? static_cast<T>(s) : static_cast<T>(u);
  }
};

Integer integer_at(GgufValueType t, const uint8_t* p) {
  const uint64_t n = scalar_size(t);
  const uint64_t raw = load_le(p, n);
  if (!is_signed(t)) return {false, 0, raw};
  const unsigned shift = static_cast<unsigned>(64 - 8 * n);  // sign-extend from n bytes
  return {true, static_cast<int64_t>(raw << shift) >> shift, 0};
}

float f32_at(const uint8_t* p) {
  const uint32_t bits = static_cast<uint32_t>(load_le(p, 4));
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}
double f64_at(const uint8_t* p) {
  const uint64_t bits = load_le(p, 8);
  double d;
  std::memcpy(&d, &bits, 8);
  return d;
}

// Reads the header front to back; every read names the field it is for, so a truncated or lying
// file says where it stopped making sense.
class Reader {
 public:
  Reader(const std::filesystem::path& path, std::span<const uint8_t> bytes) : path_(path), bytes_(bytes) {}

  uint64_t pos() const { return pos_; }
  uint64_t remaining() const { return bytes_.size() - pos_; }
  [[noreturn]] void fail(const std::string& what) const { throw_file_error(path_, what); }

  // n bytes for `field`; a file that ends first is an error naming the field and the offset.
  template <class Describe>
  const uint8_t* take(uint64_t n, Describe&& field) {
    if (n > remaining()) {
      std::string msg = "truncated: ";
      msg.append(field());
      msg.append(" needs ");
      msg.append(std::to_string(n));
      msg.append(" bytes at offset ");
      msg.append(std::to_string(pos_));
      msg.append(", the file ends at ");
      msg.append(std::to_string(bytes_.size()));
      fail(msg);
    }
    const uint8_t* p = bytes_.data() + pos_;
    pos_ += n;
    return p;
  }
  template <class Describe>
  uint32_t u32(Describe&& field) {
    return static_cast<uint32_t>(load_le(take(4, field), 4));
  }
  template <class Describe>
  uint64_t u64(Describe&& field) {
    return load_le(take(8, field), 8);
  }
  // A gguf_string: u64 length, then that many bytes (bounded by the file before anything is read).
  template <class Describe>
  std::string_view string(Describe&& field) {
    const uint64_t len = u64([&] { return field() + " (its length)"; });
    if (len > remaining()) {
      std::string msg = field();
      msg.append(": string length ");
      msg.append(std::to_string(len));
      msg.append(" runs past the end of the file (");
      msg.append(std::to_string(remaining()));
      msg.append(" bytes remain at offset ");
      msg.append(std::to_string(pos_));
      msg.append(")");
      fail(msg);
    }
    return {reinterpret_cast<const char*>(take(len, field)), static_cast<size_t>(len)};
  }

 private:
  const std::filesystem::path& path_;
  std::span<const uint8_t> bytes_;
  uint64_t pos_ = 0;
};

// "metadata key 'a.b'", or "metadata key 'a.b' element 3" / "... element 3.1" inside arrays.
struct Where {
  std::string_view key;
  std::vector<uint64_t> index;
  std::string text() const {
    std::string s = "metadata key " + name_text(key);
    for (size_t i = 0; i < index.size(); ++i) {
      s += i ? "." : " element ";
      s += std::to_string(index[i]);
    }
    return s;
  }
};

GgufValueType value_type(Reader& r, uint32_t raw, const Where& where, const char* what) {
  if (raw >= kNumValueTypes)
    r.fail(where.text() + " has " + what + " " + std::to_string(raw) +
           ", expected 0..12 (UINT8, INT8, UINT16, INT16, UINT32, INT32, FLOAT32, BOOL, STRING, ARRAY, UINT64, "
           "INT64, FLOAT64)");
  return static_cast<GgufValueType>(raw);
}

void check_bool(Reader& r, uint8_t b, const Where& where) {
  if (b > 1) r.fail(where.text() + " is BOOL with byte " + std::to_string(b) + ", expected 0 or 1");
}

GgufValue parse_value(Reader& r, GgufValueType type, Where& where, int depth) {
  GgufValue v;
  v.type = type;
  if (type == GgufValueType::kString) {
    v.str = r.string([&] { return where.text(); });
    v.data = reinterpret_cast<const uint8_t*>(v.str.data());
    return v;
  }
  if (type != GgufValueType::kArray) {
    v.data =
        r.take(scalar_size(type), [&] { return where.text() + " (" + kValueTypeNames[static_cast<int>(type)] + ")"; });
    if (type == GgufValueType::kBool) check_bool(r, v.data[0], where);
    return v;
  }
  if (depth >= GgufFile::kMaxArrayDepth)
    r.fail(where.text() + ": arrays nested more than " + std::to_string(GgufFile::kMaxArrayDepth) + " deep");
  v.element_type =
      value_type(r, r.u32([&] { return where.text() + " (array element type)"; }), where, "array element type");
  v.count = r.u64([&] { return where.text() + " (array length)"; });
  const uint64_t min_bytes = v.element_type == GgufValueType::kString  ? 8
                             : v.element_type == GgufValueType::kArray ? 4 + 8
                                                                       : scalar_size(v.element_type);
  if (v.count > r.remaining() / min_bytes)
    r.fail(where.text() + ": array of " + std::to_string(v.count) + " " +
           kValueTypeNames[static_cast<int>(v.element_type)] + " needs at least " + std::to_string(min_bytes) +
           " bytes per element, only " + std::to_string(r.remaining()) + " bytes remain (truncated or corrupt file)");
  if (v.element_type == GgufValueType::kString || v.element_type == GgufValueType::kArray) {
    // count <= remaining / 8 here, so these vectors are bounded by the file's size.
    if (v.element_type == GgufValueType::kString) v.strings.reserve(static_cast<size_t>(v.count));
    where.index.push_back(0);
    for (uint64_t i = 0; i < v.count; ++i) {
      where.index.back() = i;
      if (v.element_type == GgufValueType::kString)
        v.strings.push_back(r.string([&] { return where.text(); }));
      else
        v.arrays.push_back(parse_value(r, GgufValueType::kArray, where, depth + 1));
    }
    where.index.pop_back();
    v.data = v.element_type == GgufValueType::kString && v.count > 0
                 ? reinterpret_cast<const uint8_t*>(v.strings[0].data())
                 : nullptr;
    return v;
  }
  v.data = r.take(v.count * min_bytes, [&] { return where.text() + " (array data)"; });
  if (v.element_type == GgufValueType::kBool) {
    for (uint64_t i = 0; i < v.count; ++i) {
      if (v.data[i] > 1) {
        where.index.push_back(i);
        check_bool(r, v.data[i], where);
      }
    }
  }
  return v;
}

std::string type_text(const GgufValue& v) {
  std::string s = kValueTypeNames[static_cast<int>(v.type)];
  if (v.type == GgufValueType::kArray) {
    s += " of ";
    s += std::to_string(v.count);
    s += " ";
    s += kValueTypeNames[static_cast<int>(v.element_type)];
  }
  return s;
}

}  // namespace

const char* gguf_value_type_name(GgufValueType t) {
  const auto i = static_cast<uint32_t>(t);
  return i < kNumValueTypes ? kValueTypeNames[i] : "?";
}

GgufFile::GgufFile(const std::filesystem::path& path) : file_(path) {
  const auto bytes = file_.bytes();
  Reader r(path, bytes);
  if (bytes.size() < 4)
    r.fail("not a GGUF file: " + std::to_string(bytes.size()) + " bytes, expected at least " +
           std::to_string(kHeaderBytes) + " (magic 'GGUF', version, tensor and key counts)");
  if (std::memcmp(bytes.data(), "GGUF", 4) != 0) {
    std::string found;
    for (int i = 0; i < 4; ++i) {
      const uint8_t c = bytes[static_cast<size_t>(i)];
      found += c >= 0x20 && c < 0x7f ? static_cast<char>(c) : '?';
    }
    r.fail("not a GGUF file: it starts with '" + found + "', expected the magic 'GGUF'");
  }
  r.take(4, [] { return std::string("the magic"); });
  version_ = r.u32([] { return std::string("the GGUF version"); });
  if (version_ != 2 && version_ != 3) {
    std::string msg = "GGUF version " + std::to_string(version_) + " is not supported (attnlab reads versions 2 and 3";
    if (version_ == 1) msg += "; ggml dropped version 1 too (32-bit counts and lengths): convert the model again";
    if ((version_ & 0xffffu) == 0) msg += "; this looks like a big-endian file, attnlab reads little-endian ones";
    msg += ")";
    r.fail(msg);
  }
  const uint64_t n_tensors = r.u64([] { return std::string("the tensor count"); });
  const uint64_t n_kv = r.u64([] { return std::string("the metadata key count"); });
  // Bound both counts by the bytes left before anything is allocated for them.
  if (n_kv > r.remaining() / kMinKvBytes)
    r.fail("metadata key count " + std::to_string(n_kv) + " cannot fit: each key takes at least " +
           std::to_string(kMinKvBytes) + " bytes and " + std::to_string(r.remaining()) +
           " bytes follow the file header (corrupt or truncated file)");
  if (n_tensors > r.remaining() / kMinTensorInfoBytes)
    r.fail("tensor count " + std::to_string(n_tensors) + " cannot fit: each tensor's entry takes at least " +
           std::to_string(kMinTensorInfoBytes) + " bytes and " + std::to_string(r.remaining()) +
           " bytes follow the file header (corrupt or truncated file)");
  if (n_tensors * kMinTensorInfoBytes + n_kv * kMinKvBytes > r.remaining())
    r.fail("the header lists " + std::to_string(n_kv) + " metadata keys and " + std::to_string(n_tensors) +
           " tensors, at least " + std::to_string(n_tensors * kMinTensorInfoBytes + n_kv * kMinKvBytes) +
           " bytes, but " + std::to_string(r.remaining()) + " bytes follow the file header (truncated file?)");

  kvs_.reserve(static_cast<size_t>(n_kv));
  for (uint64_t i = 0; i < n_kv; ++i) {
    const std::string_view key = r.string([&] { return "the name of metadata key " + std::to_string(i); });
    if (key.empty()) r.fail("metadata key " + std::to_string(i) + " has an empty name");
    if (kv_index_.count(key))
      r.fail("duplicate metadata key " + name_text(key) + " (entries " + std::to_string(kv_index_.at(key)) + " and " +
             std::to_string(i) + ")");
    Where where{key, {}};
    const GgufValueType type =
        value_type(r, r.u32([&] { return where.text() + " (value type)"; }), where, "value type");
    GgufValue value = parse_value(r, type, where, /*depth=*/0);
    kvs_.push_back({std::string(key), std::move(value)});
    kv_index_.emplace(key, kvs_.size() - 1);  // a view of the file's bytes, which outlive the map
  }

  if (const GgufKv* a = find_key("general.alignment")) {
    if (a->value.type != GgufValueType::kUint32)
      r.fail("metadata key 'general.alignment' is " + type_text(a->value) +
             ", expected UINT32 (as ggml and gguf-py require)");
    alignment_ = static_cast<uint32_t>(load_le(a->value.data, 4));
    if (alignment_ == 0 || (alignment_ & (alignment_ - 1)) != 0)
      r.fail("metadata key 'general.alignment' is " + std::to_string(alignment_) + ", expected a power of two");
  }

  struct Info {
    std::string_view name;
    std::vector<uint64_t> dims;
    uint32_t type;
    uint64_t offset;
  };
  std::vector<Info> infos;
  infos.reserve(static_cast<size_t>(n_tensors));
  for (uint64_t i = 0; i < n_tensors; ++i) {
    Info info;
    info.name = r.string([&] { return "the name of tensor " + std::to_string(i); });
    const auto where = [&] { return "tensor " + name_text(info.name); };
    if (tensor_index_.count(info.name))
      r.fail("duplicate tensor name " + name_text(info.name) + " (tensors " +
             std::to_string(tensor_index_.at(info.name)) + " and " + std::to_string(i) + ")");
    tensor_index_.emplace(info.name, static_cast<size_t>(i));  // a view of the file's bytes, like the keys
    const uint32_t n_dims = r.u32([&] { return where() + " (number of dimensions)"; });
    if (n_dims > static_cast<uint32_t>(kMaxDims))
      r.fail(where() + " has " + std::to_string(n_dims) + " dimensions, at most " + std::to_string(kMaxDims));
    for (uint32_t d = 0; d < n_dims; ++d)
      info.dims.push_back(r.u64([&] { return where() + " (dimension " + std::to_string(d) + ")"; }));
    info.type = r.u32([&] { return where() + " (ggml type)"; });
    info.offset = r.u64([&] { return where() + " (data offset)"; });
    infos.push_back(std::move(info));
  }

  // The data section starts at the next multiple of the alignment.
  const uint64_t header_end = r.pos();
  data_offset_ = header_end + (alignment_ - header_end % alignment_) % alignment_;

  struct Span {
    uint64_t begin, end;
    size_t tensor;
  };
  std::vector<Span> spans;
  tensors_.reserve(infos.size());
  for (const Info& info : infos) {
    const std::string where = "tensor " + name_text(info.name);
    const GgmlTypeInfo* type = ggml_type_info(info.type);
    if (!type) {
      const char* removed = ggml_removed_type_name(info.type);
      r.fail(where + " has ggml type " + std::to_string(info.type) +
             (removed ? std::string(" (") + removed + "), which ggml removed"
                      : std::string(", which is not a ggml type")));
    }
    int64_t numel = 1;
    for (size_t d = 0; d < info.dims.size(); ++d) {
      if (info.dims[d] == 0)
        r.fail(where + " has dimension " + std::to_string(d) + " = 0 (dims " + dims_text(info.dims) +
               "); attnlab reads no empty tensors");
      if (info.dims[d] > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
          __builtin_mul_overflow(numel, static_cast<int64_t>(info.dims[d]), &numel))
        r.fail(where + " has dims " + dims_text(info.dims) + ", more than 2^63 elements");
    }
    const int64_t row = info.dims.empty() ? 1 : static_cast<int64_t>(info.dims[0]);
    if (row % type->block_size != 0)
      r.fail(where + " is " + type->name + " with rows of " + std::to_string(row) + " (dims " + dims_text(info.dims) +
             "), not a multiple of its block size " + std::to_string(type->block_size));
    uint64_t nbytes = 0;
    if (__builtin_mul_overflow(static_cast<uint64_t>(numel / type->block_size),
                               static_cast<uint64_t>(type->block_bytes), &nbytes))
      r.fail(where + " (" + type->name + ", dims " + dims_text(info.dims) + ") needs more than 2^64 bytes");
    if (info.offset % alignment_ != 0)
      r.fail(where + " has data offset " + std::to_string(info.offset) + ", not a multiple of the alignment " +
             std::to_string(alignment_));
    uint64_t begin = 0, end = 0;
    if (__builtin_add_overflow(data_offset_, info.offset, &begin) || __builtin_add_overflow(begin, nbytes, &end) ||
        end > bytes.size())
      r.fail(where + " (" + type->name + ", dims " + dims_text(info.dims) + ", " + std::to_string(nbytes) +
             " bytes at data offset " + std::to_string(info.offset) + ") runs past the end of the file (" +
             std::to_string(bytes.size()) + " bytes, data section from " + std::to_string(data_offset_) +
             "; truncated download?)");
    GgufTensor t;
    t.name = std::string(info.name);
    t.type = type->type;
    for (uint64_t d : info.dims) t.dims.push_back(static_cast<int64_t>(d));
    t.numel = numel;
    t.offset = info.offset;
    t.nbytes = static_cast<size_t>(nbytes);
    t.data = bytes.data() + begin;
    spans.push_back({begin, end, tensors_.size()});
    tensors_.push_back(std::move(t));
  }
  // No two tensors share a byte (ggml itself also wants them in order, padded to the alignment; gguf-py
  // does not, and neither does the format).
  std::sort(spans.begin(), spans.end(),
            [](const Span& a, const Span& b) { return a.begin != b.begin ? a.begin < b.begin : a.tensor < b.tensor; });
  for (size_t i = 1; i < spans.size(); ++i) {
    const Span& prev = spans[i - 1];
    const Span& cur = spans[i];
    if (cur.begin < prev.end)
      r.fail("tensor " + name_text(tensors_[cur.tensor].name) + " (data offset " +
             std::to_string(tensors_[cur.tensor].offset) + ", " + std::to_string(tensors_[cur.tensor].nbytes) +
             " bytes) overlaps tensor " + name_text(tensors_[prev.tensor].name) + " (data offset " +
             std::to_string(tensors_[prev.tensor].offset) + ", " + std::to_string(tensors_[prev.tensor].nbytes) +
             " bytes)");
  }
}

const GgufKv* GgufFile::find_key(std::string_view key) const {
  auto it = kv_index_.find(key);
  return it == kv_index_.end() ? nullptr : &kvs_[it->second];
}

const GgufTensor* GgufFile::find(std::string_view name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

const GgufKv& GgufFile::require(std::string_view key) const {
  const GgufKv* kv = find_key(key);
  if (!kv) throw_file_error(path(), "missing metadata key " + name_text(key));
  return *kv;
}

namespace {

[[noreturn]] void wrong_type(const std::filesystem::path& path, const GgufKv& kv, const char* expected) {
  throw_file_error(path, "metadata key " + name_text(kv.key) + " is " + type_text(kv.value) + ", expected " + expected);
}

// One integer (a scalar, or element i of an array) converted to T when it fits.
template <class T>
T integer_as(const std::filesystem::path& path, const GgufKv& kv, GgufValueType t, const uint8_t* p,
             const char* expected, int64_t element = -1) {
  const Integer v = integer_at(t, p);
  if (!v.fits<T>()) {
    std::string msg = "metadata key " + name_text(kv.key);
    if (element >= 0) msg += " element " + std::to_string(element);
    msg += " is " + std::string(kValueTypeNames[static_cast<int>(t)]) + " " + v.text() + ", which does not fit " +
           expected;
    throw_file_error(path, msg);
  }
  return v.as<T>();
}

template <class T>
T scalar_integer(const std::filesystem::path& path, const GgufKv& kv, const char* expected) {
  if (!is_integer(kv.value.type)) wrong_type(path, kv, expected);
  return integer_as<T>(path, kv, kv.value.type, kv.value.data, expected);
}

// A FLOAT32, or a FLOAT64 that converts exactly (NaN stays NaN).
bool float_at(GgufValueType t, const uint8_t* p, float* out) {
  if (t == GgufValueType::kFloat32) {
    *out = f32_at(p);
    return true;
  }
  if (t != GgufValueType::kFloat64) return false;
  const double d = f64_at(p);
  const float f = static_cast<float>(d);
  if (static_cast<double>(f) != d && !(d != d)) return false;
  *out = f;
  return true;
}

}  // namespace

uint32_t GgufFile::get_u32(std::string_view key) const {
  return scalar_integer<uint32_t>(path(), require(key), "UINT32");
}
int32_t GgufFile::get_i32(std::string_view key) const { return scalar_integer<int32_t>(path(), require(key), "INT32"); }
uint64_t GgufFile::get_u64(std::string_view key) const {
  return scalar_integer<uint64_t>(path(), require(key), "UINT64");
}
int64_t GgufFile::get_i64(std::string_view key) const { return scalar_integer<int64_t>(path(), require(key), "INT64"); }

float GgufFile::get_f32(std::string_view key) const {
  const GgufKv& kv = require(key);
  float f;
  if (float_at(kv.value.type, kv.value.data, &f)) return f;
  if (kv.value.type == GgufValueType::kFloat64)
    throw_file_error(path(), "metadata key " + name_text(kv.key) + " is FLOAT64 " +
                                 std::to_string(f64_at(kv.value.data)) + ", which FLOAT32 cannot hold exactly");
  wrong_type(path(), kv, "FLOAT32");
}

double GgufFile::get_f64(std::string_view key) const {
  const GgufKv& kv = require(key);
  if (kv.value.type == GgufValueType::kFloat64) return f64_at(kv.value.data);
  if (kv.value.type == GgufValueType::kFloat32) return f32_at(kv.value.data);
  wrong_type(path(), kv, "FLOAT64 (or FLOAT32)");
}

bool GgufFile::get_bool(std::string_view key) const {
  const GgufKv& kv = require(key);
  if (kv.value.type != GgufValueType::kBool) wrong_type(path(), kv, "BOOL");
  return kv.value.data[0] != 0;
}

std::string GgufFile::get_string(std::string_view key) const {
  const GgufKv& kv = require(key);
  if (kv.value.type != GgufValueType::kString) wrong_type(path(), kv, "STRING");
  return std::string(kv.value.str);
}

std::vector<std::string> GgufFile::get_string_array(std::string_view key) const {
  const GgufKv& kv = require(key);
  if (kv.value.type != GgufValueType::kArray || kv.value.element_type != GgufValueType::kString)
    wrong_type(path(), kv, "an ARRAY of STRING");
  return {kv.value.strings.begin(), kv.value.strings.end()};
}

std::vector<float> GgufFile::get_f32_array(std::string_view key) const {
  const GgufKv& kv = require(key);
  const GgufValue& v = kv.value;
  if (v.type != GgufValueType::kArray ||
      (v.element_type != GgufValueType::kFloat32 && v.element_type != GgufValueType::kFloat64))
    wrong_type(path(), kv, "an ARRAY of FLOAT32");
  const uint64_t size = scalar_size(v.element_type);
  std::vector<float> out(static_cast<size_t>(v.count));
  for (uint64_t i = 0; i < v.count; ++i)
    if (!float_at(v.element_type, v.data + i * size, &out[static_cast<size_t>(i)]))
      throw_file_error(path(), "metadata key " + name_text(kv.key) + " element " + std::to_string(i) + " is FLOAT64 " +
                                   std::to_string(f64_at(v.data + i * size)) + ", which FLOAT32 cannot hold exactly");
  return out;
}

std::vector<int32_t> GgufFile::get_i32_array(std::string_view key) const {
  const GgufKv& kv = require(key);
  const GgufValue& v = kv.value;
  if (v.type != GgufValueType::kArray || !is_integer(v.element_type)) wrong_type(path(), kv, "an ARRAY of INT32");
  const uint64_t size = scalar_size(v.element_type);
  std::vector<int32_t> out(static_cast<size_t>(v.count));
  for (uint64_t i = 0; i < v.count; ++i)
    out[static_cast<size_t>(i)] =
        integer_as<int32_t>(path(), kv, v.element_type, v.data + i * size, "INT32", static_cast<int64_t>(i));
  return out;
}

void GgufFile::check_dequantizable(const GgufTensor& t) const {
  const GgmlTypeInfo& info = ggml_type_info(t.type);
  if (!info.dequantizable)
    throw_file_error(path(), "tensor " + name_text(t.name) + " has ggml type " + info.name +
                                 ", which attnlab does not read; supported: " + ggml_dequantizable_types());
}

void GgufFile::dequantize(const GgufTensor& t, float* out) const { dequantize_rows(t, 0, t.num_rows(), out); }

void GgufFile::dequantize_rows(const GgufTensor& t, int64_t row_begin, int64_t rows, float* out) const {
  check_dequantizable(t);
  if (row_begin < 0 || rows < 0 || row_begin > t.num_rows() || rows > t.num_rows() - row_begin)
    throw Error("tensor " + name_text(t.name) + ": rows [" + std::to_string(row_begin) + ", " +
                std::to_string(row_begin) + " + " + std::to_string(rows) + ") outside its " +
                std::to_string(t.num_rows()) + " rows");
  const GgmlTypeInfo& info = ggml_type_info(t.type);
  const int64_t row = t.row_length();
  const size_t row_bytes = static_cast<size_t>(row / info.block_size) * info.block_bytes;
  dequantize_row(t.type, t.data + static_cast<size_t>(row_begin) * row_bytes, out, rows * row);
  file_.throw_if_changed();  // the file shrank under the map: those bytes read as zeros
}

bool is_gguf_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return false;
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  return in.read(magic, 4) && std::memcmp(magic, "GGUF", 4) == 0;
}

}  // namespace attnlab
