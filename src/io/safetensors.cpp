// safetensors reader (see safetensors.h). Follows the format's reference validation
// (safetensors/src/tensor.rs: Metadata::validate).
#include "io/safetensors.h"

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

#include "attnlab/error.h"
#include "core/bf16.h"
#include "core/file_error.h"

namespace attnlab {
namespace {

struct DTypeInfo {
  const char* name;
  DType dtype;
  size_t size;
};
constexpr DTypeInfo kDTypes[] = {
    {"F64", DType::kF64, 8},   {"F32", DType::kF32, 4},       {"F16", DType::kF16, 2},
    {"BF16", DType::kBF16, 2}, {"I64", DType::kI64, 8},       {"I32", DType::kI32, 4},
    {"I16", DType::kI16, 2},   {"I8", DType::kI8, 1},         {"U8", DType::kU8, 1},
    {"BOOL", DType::kBool, 1}, {"U16", DType::kU16, 2},       {"U32", DType::kU32, 4},
    {"U64", DType::kU64, 8},   {"F8_E4M3", DType::kF8E4M3, 1}, {"F8_E5M2", DType::kF8E5M2, 1},
};

}  // namespace

const char* dtype_name(DType d) {
  for (const auto& i : kDTypes)
    if (i.dtype == d) return i.name;
  return "?";
}
size_t dtype_size(DType d) {
  for (const auto& i : kDTypes)
    if (i.dtype == d) return i.size;
  return 0;
}

int64_t TensorView::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

SafetensorsFile::SafetensorsFile(const std::filesystem::path& path) : file_(path) {
  const auto bytes = file_.bytes();
  if (bytes.size() < 8)
    throw_file_error(path, "not a safetensors file: " + std::to_string(bytes.size()) +
                               " bytes, expected at least 8 (the header length)");
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | bytes[i];  // little-endian u64
  if (header_len > kMaxHeaderBytes)
    throw_file_error(path, "header length " + std::to_string(header_len) + " exceeds the limit of " +
                               std::to_string(kMaxHeaderBytes) + " bytes (corrupt or not a safetensors file)");
  if (header_len > bytes.size() - 8)
    throw_file_error(path, "header length " + std::to_string(header_len) + " runs past the end of the file (" +
                               std::to_string(bytes.size()) + " bytes; truncated download?)");
  const char* header_begin = reinterpret_cast<const char*>(bytes.data() + 8);
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(header_begin, header_begin + header_len);
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for a number like 1e400
    throw_file_error(path, std::string("header is not valid JSON: ") + e.what());
  }
  if (!header.is_object()) throw_file_error(path, "header is not a JSON object");

  const uint8_t* data = bytes.data() + 8 + header_len;
  const uint64_t data_size = bytes.size() - 8 - header_len;
  struct Span {
    uint64_t begin, end;
    const std::string* name;
  };
  std::vector<Span> spans;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    if (name == "__metadata__") {
      if (!it.value().is_object()) throw_file_error(path, "__metadata__ is not an object");
      // The format's metadata is a map of strings to strings (safetensors refuses anything else).
      for (auto m = it.value().begin(); m != it.value().end(); ++m)
        if (!m.value().is_string())
          throw_file_error(path, "__metadata__ value '" + m.key() + "' is " + m.value().type_name() +
                                     ", expected a string (safetensors metadata maps strings to strings)");
      continue;
    }
    const auto& e = it.value();
    const std::string where = "tensor '" + name + "'";
    if (!e.is_object()) throw_file_error(path, where + ": entry is not an object");
    if (!e.contains("dtype") || !e["dtype"].is_string())
      throw_file_error(path, where + ": missing string field 'dtype'");
    if (!e.contains("shape") || !e["shape"].is_array()) throw_file_error(path, where + ": missing array field 'shape'");
    if (!e.contains("data_offsets") || !e["data_offsets"].is_array() || e["data_offsets"].size() != 2)
      throw_file_error(path, where + ": 'data_offsets' must be an array [begin, end]");
    const std::string dtype = e["dtype"].get<std::string>();
    const DTypeInfo* info = nullptr;
    for (const auto& d : kDTypes)
      if (dtype == d.name) info = &d;
    if (!info) throw_file_error(path, where + ": unknown dtype '" + dtype + "'");
    TensorView t{name, info->dtype, {}, nullptr, 0};
    uint64_t numel = 1;
    bool overflow = false;
    for (const auto& d : e["shape"]) {
      if (!d.is_number_integer()) throw_file_error(path, where + ": shape entries must be integers, got " + d.dump());
      if (d.is_number_integer() && !d.is_number_unsigned() && d.get<int64_t>() < 0)
        throw_file_error(path, where + ": negative dimension " + d.dump() + " in shape " + e["shape"].dump());
      const uint64_t dim = d.get<uint64_t>();
      if (dim > (uint64_t{1} << 62)) overflow = true;
      else if (dim != 0 && numel > (uint64_t{1} << 62) / dim) overflow = true;
      else numel *= dim;
      t.shape.push_back(static_cast<int64_t>(std::min<uint64_t>(dim, uint64_t{1} << 62)));
    }
    if (overflow) throw_file_error(path, where + ": shape " + e["shape"].dump() + " overflows");
    for (const auto& o : e["data_offsets"])
      if (!o.is_number_unsigned())
        throw_file_error(path, where + ": data_offsets must be non-negative integers, got " + e["data_offsets"].dump());
    const uint64_t begin = e["data_offsets"][0].get<uint64_t>(), end = e["data_offsets"][1].get<uint64_t>();
    if (begin > end)
      throw_file_error(path, where + ": data_offsets " + e["data_offsets"].dump() + " end before they begin");
    if (end > data_size)
      throw_file_error(path, where + ": data_offsets " + e["data_offsets"].dump() + " run past the data section (" +
                                 std::to_string(data_size) + " bytes; truncated file?)");
    // numel <= 2^62 but numel x 8 can still wrap; such a tensor cannot fit in any file.
    uint64_t expected = 0;
    if (__builtin_mul_overflow(numel, static_cast<uint64_t>(info->size), &expected))
      throw_file_error(path, where + ": " + dtype + " shape " + e["shape"].dump() + " needs more than 2^64 bytes");
    if (end - begin != expected)
      throw_file_error(path, where + ": " + dtype + " shape " + e["shape"].dump() + " needs " +
                                 std::to_string(expected) + " bytes, data_offsets give " + std::to_string(end - begin));
    t.data = data + begin;
    t.nbytes = end - begin;
    auto [pos, inserted] = tensors_.emplace(name, std::move(t));
    spans.push_back({begin, end, &pos->first});
  }
  // Tensors must tile the data section exactly: sorted by offset, each starting where the last ended.
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t cursor = 0;
  for (const auto& s : spans) {
    if (s.begin < cursor)
      throw_file_error(path, "tensor '" + *s.name + "' overlaps the previous tensor (offset " +
                                 std::to_string(s.begin) + " < " + std::to_string(cursor) + ")");
    if (s.begin > cursor)
      throw_file_error(path, "gap before tensor '" + *s.name + "' (offset " + std::to_string(s.begin) + ", expected " +
                                 std::to_string(cursor) + ")");
    cursor = s.end;
  }
  if (cursor != data_size)
    throw_file_error(
        path, "data section is " + std::to_string(data_size) + " bytes but tensors cover " + std::to_string(cursor));
}

const TensorView* SafetensorsFile::find(const std::string& name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

float f16_to_f32(uint16_t h) {
  const uint32_t sign = (h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ffu, bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      exp = 127 - 15 + 1;
      while (!(mant & 0x400u)) {
        mant <<= 1;
        --exp;
      }
      mant &= 0x3ffu;
      bits = sign | (exp << 23) | (mant << 13);
    }
  } else if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}


void convert_to_f32(const TensorView& t, const std::filesystem::path& file, float* out) {
  const size_t n = static_cast<size_t>(t.numel());
  switch (t.dtype) {
    case DType::kF32:
      if (n > 0) std::memcpy(out, t.data, n * 4);  // an empty tensor may come with out == nullptr
      return;
    case DType::kF16:
    case DType::kBF16:
      for (size_t i = 0; i < n; ++i) {
        uint16_t v;
        std::memcpy(&v, t.data + 2 * i, 2);
        out[i] = t.dtype == DType::kF16 ? f16_to_f32(v) : from_bf16(v);
      }
      return;
    case DType::kF64:
      for (size_t i = 0; i < n; ++i) {
        double v;
        std::memcpy(&v, t.data + 8 * i, 8);
        out[i] = static_cast<float>(v);
      }
      return;
    default:
      throw Error(file.string() + ": tensor '" + t.name + "' has dtype " + dtype_name(t.dtype) +
                      ", expected a floating type (F32, F16, BF16)",
                  kExitInput);
  }
}

}  // namespace attnlab
