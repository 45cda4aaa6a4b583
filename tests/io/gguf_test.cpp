// GGUF reader and dequantization: every type bit for bit against gguf-py (tests/fixtures/gguf/, written by
// tools/make_gguf_fixtures.py), complete files read back, and one test per way a file can lie.
#include "io/gguf.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>

#include "../support/fixtures.h"
#include "../support/temp_dir.h"
#include "attnlab/error.h"
#include "io/gguf_quants.h"
#include "io/safetensors.h"
#include "text/gguf_tokenizer.h"

namespace attnlab {
namespace {

using nlohmann::json;
using testing::TempDir;
using testing::write_file;

std::string gguf_fixture(const std::string& name) { return testing::fixture_path("gguf/" + name); }

std::string le32(uint32_t v) {
  std::string s(4, '\0');
  for (int i = 0; i < 4; ++i) s[static_cast<size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}
std::string le64(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[static_cast<size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xff);
  return s;
}
std::string gstr(std::string_view s) {
  std::string out = le64(s.size());
  out.append(s);
  return out;
}
void patch(std::string& bytes, size_t at, const std::string& with) { bytes.replace(at, with.size(), with); }

// A small GGUF file written field by field, valid unless a test overrides something.
struct Builder {
  struct Tensor {
    std::string name;
    uint32_t type;
    std::vector<uint64_t> dims;
    std::string data;
    std::optional<uint64_t> offset;  // default: packed in order, padded to the alignment
  };
  uint32_t version = 3;
  uint64_t alignment = 32;  // layout only; alignment_kv() also writes general.alignment
  std::vector<std::string> kvs;
  std::vector<Tensor> tensors;

  Builder& kv(std::string_view key, uint32_t type, const std::string& payload) {
    std::string e = gstr(key);
    e += le32(type);
    e += payload;
    kvs.push_back(e);
    return *this;
  }
  Builder& u32(std::string_view key, uint32_t v) { return kv(key, 4, le32(v)); }
  Builder& string(std::string_view key, std::string_view v) { return kv(key, 8, gstr(v)); }
  Builder& strings(std::string_view key, const std::vector<std::string>& v) {
    std::string p = le32(8) + le64(v.size());
    for (const auto& s : v) p += gstr(s);
    return kv(key, 9, p);
  }
  Builder& alignment_kv(uint32_t a) {
    alignment = a;
    return u32("general.alignment", a);
  }
  Builder& tensor(std::string name, uint32_t type, std::vector<uint64_t> dims, std::string data,
                  std::optional<uint64_t> offset = std::nullopt) {
    tensors.push_back({std::move(name), type, std::move(dims), std::move(data), offset});
    return *this;
  }
  Builder& f32(std::string name, std::vector<uint64_t> dims, std::vector<float> values) {
    std::string data(values.size() * 4, '\0');
    std::memcpy(data.data(), values.data(), data.size());
    return tensor(std::move(name), 0, std::move(dims), std::move(data));
  }

  uint64_t pad(uint64_t n) const { return (n + alignment - 1) / alignment * alignment; }
  std::vector<uint64_t> offsets() const {
    std::vector<uint64_t> out;
    uint64_t running = 0;
    for (const auto& t : tensors) {
      out.push_back(t.offset.value_or(running));
      if (!t.offset) running = pad(running + t.data.size());
    }
    return out;
  }
  std::string bytes() const {
    std::string b = "GGUF" + le32(version) + le64(tensors.size()) + le64(kvs.size());
    for (const auto& e : kvs) b += e;
    const auto offs = offsets();
    for (size_t i = 0; i < tensors.size(); ++i) {
      b += gstr(tensors[i].name);
      b += le32(static_cast<uint32_t>(tensors[i].dims.size()));
      for (uint64_t d : tensors[i].dims) b += le64(d);
      b += le32(tensors[i].type);
      b += le64(offs[i]);
    }
    if (tensors.empty()) return b;
    b.resize(pad(b.size()), '\0');
    const size_t data_start = b.size();
    for (size_t i = 0; i < tensors.size(); ++i) {
      if (offs[i] + tensors[i].data.size() > (1u << 20)) continue;  // a hostile offset: no data there
      if (b.size() < data_start + offs[i] + tensors[i].data.size())
        b.resize(data_start + offs[i] + tensors[i].data.size(), '\0');
      b.replace(data_start + offs[i], tensors[i].data.size(), tensors[i].data);
    }
    b.resize(data_start + pad(b.size() - data_start), '\0');
    return b;
  }
};

Builder valid_builder() {
  Builder b;
  b.string("general.architecture", "llama").u32("llama.block_count", 2);
  b.f32("a.weight", {2, 2}, {1.0f, -2.0f, 0.5f, 3.0f});
  b.f32("b.bias", {3}, {4.0f, 5.0f, 6.0f});
  return b;
}

// Expects GgufFile(path) to throw an attnlab::Error (kExitInput) naming the file and every fragment.
void expect_error(const std::string& bytes, std::initializer_list<const char*> fragments) {
  TempDir dir;
  const auto path = dir / "model.gguf";
  write_file(path, bytes);
  try {
    GgufFile f(path);
    ADD_FAILURE() << "no error for a file of " << bytes.size() << " bytes";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind(path.string() + ": ", 0), 0u) << msg;
    EXPECT_EQ(e.exit_code(), kExitInput) << msg;
    for (const char* f : fragments) EXPECT_NE(msg.find(f), std::string::npos) << "'" << f << "' not in: " << msg;
  }
}

// Expects `fn` to throw an attnlab::Error whose message contains every fragment.
template <class Fn>
void expect_throws(Fn&& fn, std::initializer_list<const char*> fragments) {
  try {
    fn();
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    for (const char* f : fragments) EXPECT_NE(msg.find(f), std::string::npos) << "'" << f << "' not in: " << msg;
  }
}

std::string read_bytes(const std::string& path) { return testing::read_text(path); }

// The loops below write thousands of small files: on tmpfs when there is one.
std::filesystem::path scratch_base() {
  std::error_code ec;
  return std::filesystem::is_directory("/dev/shm", ec) ? std::filesystem::path("/dev/shm")
                                                       : std::filesystem::temp_directory_path();
}

std::vector<float> dequantized(const GgufFile& f, const GgufTensor& t) {
  std::vector<float> out(static_cast<size_t>(t.numel));
  f.dequantize(t, out.data());
  return out;
}

// ---- types and dequantization -------------------------------------------------------------------

TEST(GgufTypes, TableMatchesGgufPy) {
  const json types = testing::load_json("gguf/types.json")["types"];
  int dequantizable = 0;
  std::vector<bool> known(64, false);
  for (const auto& t : types) {
    const uint32_t id = t["id"].get<uint32_t>();
    known[id] = true;
    const GgmlTypeInfo* info = ggml_type_info(id);
    ASSERT_NE(info, nullptr) << t["name"];
    EXPECT_EQ(std::string(info->name), t["name"].get<std::string>());
    EXPECT_EQ(info->block_size, t["block_size"].get<int64_t>()) << info->name;
    EXPECT_EQ(info->block_bytes, t["block_bytes"].get<size_t>()) << info->name;
    EXPECT_EQ(info->dequantizable, t["dequantizable"].get<bool>()) << info->name;
    dequantizable += info->dequantizable;
  }
  EXPECT_EQ(dequantizable, 13);
  for (uint32_t id = 0; id < 64; ++id) {
    if (!known[id]) {
      EXPECT_EQ(ggml_type_info(id), nullptr) << id;
    }
  }
  EXPECT_STREQ(ggml_removed_type_name(31), "Q4_0_4_4");
  EXPECT_EQ(ggml_dequantizable_types(), "F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K");
}

// Tolerance 0: gguf-py computes in float32 with no fused operations; so does dequantize_row.
TEST(GgufDequant, EveryTypeBitExactAgainstGgufPy) {
  const json cases = testing::load_json("gguf/dequant.json")["cases"];
  const std::string blocks = read_bytes(gguf_fixture("dequant_blocks.bin"));
  const testing::FloatBlob expected = testing::read_float_blob(gguf_fixture("dequant_expected.bin"));
  std::vector<std::string> seen;
  for (const auto& c : cases) {
    const std::string what = c["type"].get<std::string>() + " (" + c["origin"].get<std::string>() + ")";
    const GgmlTypeInfo* info = ggml_type_info(c["type_id"].get<uint32_t>());
    ASSERT_NE(info, nullptr) << what;
    const auto* src = reinterpret_cast<const uint8_t*>(blocks.data()) + c["blocks"]["offset"].get<size_t>();
    const int64_t n = c["n"].get<int64_t>();
    ASSERT_EQ(static_cast<size_t>(n / info->block_size) * info->block_bytes, c["blocks"]["nbytes"].get<size_t>());
    std::vector<float> got(static_cast<size_t>(n));
    dequantize_row(info->type, src, got.data(), n);
    const std::vector<float> want = expected.slice(c["expected"]);
    testing::expect_bit_identical(got, want, what);
    if (std::string(info->name) != "F32" && std::string(info->name) != "F16" && std::string(info->name) != "BF16")
      testing::expect_close(got, want, 0.0, what);  // prints the max |diff|: 0
    // Block by block gives the same bits (no state carried between blocks).
    std::vector<float> piecewise(static_cast<size_t>(n));
    for (int64_t b = 0; b < n / info->block_size; ++b)
      dequantize_row(info->type, src + static_cast<size_t>(b) * info->block_bytes,
                     piecewise.data() + b * info->block_size, info->block_size);
    testing::expect_bit_identical(piecewise, want, what + " block by block");
    seen.push_back(info->name);
  }
  for (const char* t :
       {"F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"})
    EXPECT_NE(std::find(seen.begin(), seen.end(), t), seen.end()) << t << " has no fixture";
}

TEST(GgufDequant, F16ConversionAgreesWithSafetensorsReader) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const float a = ggml_f16_to_f32(static_cast<uint16_t>(h)), b = f16_to_f32(static_cast<uint16_t>(h));
    ASSERT_EQ(std::memcmp(&a, &b, 4), 0) << std::hex << h;
  }
}

TEST(GgufDequant, RefusesTypesItDoesNotRead) {
  uint8_t block[66] = {};
  float out[256];
  expect_throws([&] { dequantize_row(GgmlType::kIQ2_XXS, block, out, 256); },
                {"ggml type IQ2_XXS", "not one attnlab reads", "supported: F32, F16, BF16, Q4_0"});
  expect_throws([&] { dequantize_row(GgmlType::kQ4_0, block, out, 33); }, {"33", "multiple of 32"});
}

// ---- complete files -----------------------------------------------------------------------------

void check_metadata(const GgufFile& f, const json& m) {
  const std::string key = m["key"].get<std::string>();
  const std::string type = m["type"].get<std::string>();
  const GgufKv* kv = f.find_key(key);
  ASSERT_NE(kv, nullptr) << key;
  EXPECT_EQ(gguf_value_type_name(kv->value.type), type) << key;
  const json& v = m["value"];
  if (type == "STRING") {
    EXPECT_EQ(f.get_string(key), v.get<std::string>()) << key;
  } else if (type == "BOOL") {
    EXPECT_EQ(f.get_bool(key), v.get<bool>()) << key;
  } else if (type == "FLOAT32") {
    const float want = static_cast<float>(v.get<double>()), got = f.get_f32(key);
    EXPECT_EQ(std::memcmp(&got, &want, 4), 0) << key;
    EXPECT_EQ(f.get_f64(key), v.get<double>()) << key;
  } else if (type == "FLOAT64") {
    EXPECT_EQ(f.get_f64(key), v.get<double>()) << key;
  } else if (type != "ARRAY") {  // integers
    if (v.is_number_unsigned()) {
      EXPECT_EQ(f.get_u64(key), v.get<uint64_t>()) << key;
    } else {
      EXPECT_EQ(f.get_i64(key), v.get<int64_t>()) << key;
    }
  } else {
    const std::string elem = m["element_type"].get<std::string>();
    EXPECT_EQ(gguf_value_type_name(kv->value.element_type), elem) << key;
    EXPECT_EQ(kv->value.count, v.size()) << key;
    if (elem == "STRING") {
      EXPECT_EQ(f.get_string_array(key), v.get<std::vector<std::string>>()) << key;
    } else if (elem == "FLOAT32" || elem == "FLOAT64") {
      testing::expect_bit_identical(f.get_f32_array(key), testing::flat(v), key);
    } else if (elem == "BOOL") {
      for (size_t i = 0; i < v.size(); ++i) EXPECT_EQ(kv->value.data[i], v[i].get<bool>() ? 1 : 0) << key;
    } else if (elem == "ARRAY") {  // the fixtures' nested arrays hold INT32 arrays
      ASSERT_EQ(kv->value.arrays.size(), v.size()) << key;
      for (size_t i = 0; i < v.size(); ++i) {
        const GgufValue& inner = kv->value.arrays[i];
        EXPECT_EQ(inner.element_type, GgufValueType::kInt32) << key;
        ASSERT_EQ(inner.count, v[i].size()) << key;
        for (size_t j = 0; j < v[i].size(); ++j) {
          int32_t x;
          std::memcpy(&x, inner.data + 4 * j, 4);
          EXPECT_EQ(x, v[i][j].get<int32_t>()) << key;
        }
      }
    } else {  // integer arrays through get_i32_array, which refuses values beyond int32
      bool fits = true;
      for (const auto& x : v)
        fits = fits && (x.is_number_unsigned() ? x.get<uint64_t>() <= 2147483647u
                                               : x.get<int64_t>() >= -2147483648LL && x.get<int64_t>() <= 2147483647);
      if (fits) {
        const std::vector<int32_t> got = f.get_i32_array(key);
        ASSERT_EQ(got.size(), v.size());
        for (size_t i = 0; i < v.size(); ++i) EXPECT_EQ(got[i], v[i].get<int64_t>()) << key;
      } else {
        expect_throws([&] { f.get_i32_array(key); }, {key.c_str(), "does not fit INT32"});
      }
    }
  }
}

TEST(GgufFile, ReadsCompleteFilesAsGgufPyDoes) {
  const json files = testing::load_json("gguf/files.json")["files"];
  const testing::FloatBlob expected = testing::read_float_blob(gguf_fixture("files_expected.bin"));
  ASSERT_EQ(files.size(), 3u);
  for (const auto& fx : files) {
    const std::string name = fx["file"].get<std::string>();
    SCOPED_TRACE(name);
    const GgufFile f(gguf_fixture(name));
    const std::string raw = read_bytes(gguf_fixture(name));
    EXPECT_EQ(f.version(), fx["version"].get<uint32_t>());
    EXPECT_EQ(f.alignment(), fx["alignment"].get<uint32_t>());
    EXPECT_EQ(f.data_offset(), fx["data_offset"].get<uint64_t>());
    EXPECT_EQ(f.file_size(), fx["file_size"].get<size_t>());
    ASSERT_EQ(f.metadata().size(), fx["metadata"].size());
    for (size_t i = 0; i < f.metadata().size(); ++i) {
      EXPECT_EQ(f.metadata()[i].key, fx["metadata"][i]["key"].get<std::string>()) << "file order";
      check_metadata(f, fx["metadata"][i]);
    }
    ASSERT_EQ(f.tensors().size(), fx["tensors"].size());
    for (size_t i = 0; i < f.tensors().size(); ++i) {
      const json& tx = fx["tensors"][i];
      const GgufTensor& t = f.tensors()[i];
      const std::string tname = tx["name"].get<std::string>();
      EXPECT_EQ(t.name, tname);
      EXPECT_EQ(f.find(tname), &t);
      EXPECT_EQ(ggml_type_name(t.type), tx["type"].get<std::string>()) << tname;
      EXPECT_EQ(static_cast<uint32_t>(t.type), tx["type_id"].get<uint32_t>()) << tname;
      EXPECT_EQ(t.dims, tx["dims"].get<std::vector<int64_t>>()) << tname;
      EXPECT_EQ(t.offset, tx["offset"].get<uint64_t>()) << tname;
      EXPECT_EQ(t.nbytes, tx["nbytes"].get<size_t>()) << tname;
      // The pointer is into the map, at data offset + tensor offset: the same bytes as the file's.
      ASSERT_EQ(std::memcmp(t.data, raw.data() + f.data_offset() + t.offset, t.nbytes), 0) << tname;
      if (tx.contains("expected")) {
        testing::expect_bit_identical(dequantized(f, t), expected.slice(tx["expected"]), tname);
        // A slice of rows is the same bits as those rows of the whole.
        if (t.num_rows() > 1) {
          std::vector<float> tail(static_cast<size_t>((t.num_rows() - 1) * t.row_length()));
          f.dequantize_rows(t, 1, t.num_rows() - 1, tail.data());
          const std::vector<float> all = expected.slice(tx["expected"]);
          testing::expect_bit_identical(tail, std::vector<float>(all.begin() + t.row_length(), all.end()),
                                        tname + " rows 1..");
        }
      } else {
        const std::string type = tx["type"].get<std::string>();
        try {
          dequantized(f, t);
          ADD_FAILURE() << tname << " (" << type << ") dequantized";
        } catch (const Error& e) {
          const std::string msg = e.what();
          EXPECT_NE(msg.find(name + ": tensor '" + tname + "' has ggml type " + type +
                             ", which attnlab does not read; supported: F32, F16, BF16, Q4_0"),
                    std::string::npos)
              << msg;
        }
      }
    }
    EXPECT_EQ(f.find("no.such.tensor"), nullptr);
    EXPECT_EQ(f.find_key("no.such.key"), nullptr);
  }
}

TEST(GgufFile, GettersConvertLosslesslyAndNameTheKey) {
  const GgufFile f(gguf_fixture("all_types.gguf"));
  EXPECT_EQ(f.get_i64("llama.block_count"), 2);  // UINT32 read as int64
  EXPECT_EQ(f.get_u32("test.i32_small"), 12u);   // INT32 read as uint32
  EXPECT_EQ(f.get_i32("test.u8"), 255);
  EXPECT_EQ(f.get_u64("test.u32"), 4294967295u);
  EXPECT_EQ(f.get_f32("test.f64_exact"), 0.5f);  // FLOAT64 that FLOAT32 holds exactly
  EXPECT_EQ(f.get_f32("llama.rope.freq_base"), 10000.0f);
  EXPECT_EQ(f.get_string("general.empty"), "");
  EXPECT_EQ(f.get_f32_array("test.f64_array"), (std::vector<float>{0.5f, -2.0f}));
  EXPECT_EQ(f.get_i32_array("test.i64_array"), (std::vector<int32_t>{-1, 2, 3}));
  EXPECT_EQ(f.get_i32_array("tokenizer.ggml.token_type"), (std::vector<int32_t>{2, 3, 3, 1, 1, 1, 1, 1}));
  const std::string file = gguf_fixture("all_types.gguf") + ": ";
  expect_throws([&] { f.get_u32("test.i32"); },
                {file.c_str(), "'test.i32' is INT32 -2147483648", "does not fit UINT32"});
  expect_throws([&] { f.get_i64("test.u64"); }, {"'test.u64' is UINT64 18446744073709551615", "does not fit INT64"});
  expect_throws([&] { f.get_i32("test.u32"); }, {"does not fit INT32"});
  expect_throws([&] { f.get_u32("general.name"); }, {file.c_str(), "'general.name' is STRING, expected UINT32"});
  expect_throws([&] { f.get_u32("missing.key"); }, {file.c_str(), "missing metadata key 'missing.key'"});
  expect_throws([&] { f.get_f32("test.f64"); }, {"'test.f64' is FLOAT64 0.1", "FLOAT32 cannot hold exactly"});
  expect_throws([&] { f.get_f32("test.u32"); }, {"'test.u32' is UINT32, expected FLOAT32"});
  expect_throws([&] { f.get_bool("test.u8"); }, {"'test.u8' is UINT8, expected BOOL"});
  expect_throws([&] { f.get_string("tokenizer.ggml.tokens"); },
                {"'tokenizer.ggml.tokens' is ARRAY of 8 STRING, expected STRING"});
  expect_throws([&] { f.get_string_array("tokenizer.ggml.scores"); },
                {"'tokenizer.ggml.scores' is ARRAY of 8 FLOAT32, expected an ARRAY of STRING"});
  expect_throws([&] { f.get_f32_array("tokenizer.ggml.tokens"); }, {"expected an ARRAY of FLOAT32"});
  expect_throws([&] { f.get_i32_array("test.u32_array"); },
                {"'test.u32_array' element 2 is UINT32 4294967295, which does not fit INT32"});
  expect_throws([&] { f.get_i32_array("test.bool_array"); }, {"ARRAY of 3 BOOL, expected an ARRAY of INT32"});
}

TEST(GgufFile, BuilderFileReads) {
  TempDir dir;
  Builder b = valid_builder();
  b.alignment_kv(64).kv("empty.array", 9, le32(6) + le64(0)).tensor("scalar", 0, {}, le32(0x3f800000));
  write_file(dir / "m.gguf", b.bytes());
  const GgufFile f(dir / "m.gguf");
  EXPECT_EQ(f.alignment(), 64u);
  EXPECT_EQ(f.data_offset() % 64, 0u);
  EXPECT_TRUE(f.get_f32_array("empty.array").empty());
  EXPECT_EQ(dequantized(f, *f.find("a.weight")), (std::vector<float>{1.0f, -2.0f, 0.5f, 3.0f}));
  EXPECT_EQ(dequantized(f, *f.find("b.bias")), (std::vector<float>{4.0f, 5.0f, 6.0f}));
  const GgufTensor& s = *f.find("scalar");  // n_dims 0: one element, as ggml reads it
  EXPECT_TRUE(s.dims.empty());
  EXPECT_EQ(s.numel, 1);
  EXPECT_EQ(dequantized(f, s), (std::vector<float>{1.0f}));
  expect_throws(
      [&] {
        std::vector<float> out(4);
        f.dequantize_rows(*f.find("a.weight"), 1, 2, out.data());
      },
      {"'a.weight'", "outside its 2 rows"});
}

// ---- hostile files --------------------------------------------------------------------------------

TEST(GgufHostile, TruncatedAtEveryOffset) {
  for (const char* name : {"all_types.gguf", "align64.gguf"}) {
    const std::string raw = read_bytes(gguf_fixture(name));
    uint64_t end = 0;  // the end of the last tensor's bytes: any shorter file is refused
    {
      const GgufFile f(gguf_fixture(name));
      for (const auto& t : f.tensors()) end = std::max<uint64_t>(end, f.data_offset() + t.offset + t.nbytes);
    }
    TempDir dir(scratch_base());
    const auto path = dir / "cut.gguf";
    int refused = 0;
    for (uint64_t len = 0; len < end; ++len) {
      write_file(path, raw.substr(0, static_cast<size_t>(len)));
      try {
        GgufFile f(path);
        ADD_FAILURE() << name << " cut at " << len << " opened";
      } catch (const Error& e) {
        ASSERT_EQ(std::string(e.what()).rfind(path.string() + ": ", 0), 0u) << e.what();
        ++refused;
      }
    }
    EXPECT_EQ(refused, static_cast<int>(end)) << name;
  }
}

TEST(GgufHostile, EveryHeaderByteCorrupted) {
  // Each header byte set to 0x00, 0x7f, 0x80 and 0xff: the file either opens, and then every tensor
  // dequantizes and every metadata value is readable, or it is refused with an Error. Never a crash.
  const std::string raw = read_bytes(gguf_fixture("all_types.gguf"));
  const size_t header = GgufFile(gguf_fixture("all_types.gguf")).data_offset();
  TempDir dir(scratch_base());
  const auto path = dir / "corrupt.gguf";
  int opened = 0, refused = 0;
  for (size_t at = 0; at < header; ++at) {
    for (uint8_t v : {0x00, 0x7f, 0x80, 0xff}) {
      std::string bytes = raw;
      bytes[at] = static_cast<char>(v);
      write_file(path, bytes);
      try {
        GgufFile f(path);
        for (const auto& t : f.tensors()) {
          try {
            dequantized(f, t);
          } catch (const Error&) {
          }
        }
        ++opened;
      } catch (const Error&) {
        ++refused;
      }
    }
  }
  EXPECT_GT(opened, 0);
  EXPECT_GT(refused, 0);
}

TEST(GgufHostile, EmptyAndTinyFiles) {
  expect_error("", {"not a GGUF file: 0 bytes", "at least 24"});
  expect_error("GGU", {"3 bytes"});
  expect_error("GGUF", {"truncated: the GGUF version needs 4 bytes at offset 4, the file ends at 4"});
  expect_error("GGUF" + le32(3) + le64(0), {"the metadata key count"});
}

TEST(GgufHostile, BadMagic) {
  std::string b = valid_builder().bytes();
  b[3] = 'G';
  expect_error(b, {"not a GGUF file", "'GGUG'", "expected the magic 'GGUF'"});
}

TEST(GgufHostile, Versions) {
  for (uint32_t v : {0u, 1u, 4u, 0x03000000u}) {
    Builder b = valid_builder();
    b.version = v;
    const std::string want = "GGUF version " + std::to_string(v) + " is not supported";
    expect_error(b.bytes(), {want.c_str(), "versions 2 and 3"});
  }
  Builder b1 = valid_builder();
  b1.version = 1;
  expect_error(b1.bytes(), {"ggml dropped version 1"});
  Builder be = valid_builder();
  be.version = 0x03000000;
  expect_error(be.bytes(), {"big-endian"});
  Builder b2 = valid_builder();
  b2.version = 2;
  TempDir dir;
  write_file(dir / "v2.gguf", b2.bytes());
  EXPECT_EQ(GgufFile(dir / "v2.gguf").version(), 2u);
}

TEST(GgufHostile, HugeCounts) {
  std::string b = valid_builder().bytes();
  patch(b, 8, le64(1000000000000000000ull));
  expect_error(b, {"tensor count 1000000000000000000 cannot fit", "at least 24 bytes"});
  b = valid_builder().bytes();
  patch(b, 16, le64(~0ull));
  expect_error(b, {"metadata key count 18446744073709551615 cannot fit"});
  b = valid_builder().bytes();
  patch(b, 16, le64(15));  // each count fits alone, not both
  expect_error(b, {"the header lists 15 metadata keys and 2 tensors, at least 243 bytes, but 232 bytes follow",
                   "truncated file?"});
  Builder none = valid_builder();
  none.tensors.clear();
  b = none.bytes();
  patch(b, 8, le64(1));  // a tensor the header does not hold
  expect_error(b, {"truncated: the name of tensor 0 (its length) needs 8 bytes"});
}

TEST(GgufHostile, HugeStringLengths) {
  std::string b = valid_builder().bytes();
  patch(b, 24, le64(uint64_t{1} << 63));  // the first key's name
  expect_error(b, {"the name of metadata key 0", "string length 9223372036854775808 runs past the end"});
  b = valid_builder().bytes();
  patch(b, 24 + 8 + 20 + 4, le64(uint64_t{1} << 63));  // the value of general.architecture
  expect_error(b, {"metadata key 'general.architecture'", "string length 9223372036854775808"});
  Builder t = valid_builder();
  // The first tensor's name: after the header and both keys.
  const size_t kv_bytes = t.kvs[0].size() + t.kvs[1].size();
  b = t.bytes();
  patch(b, 24 + kv_bytes, le64(~0ull));
  expect_error(b, {"the name of tensor 0", "string length 18446744073709551615"});
}

TEST(GgufHostile, HugeArrays) {
  Builder s;
  s.strings("tokenizer.ggml.tokens", {"a", "b"});
  std::string b = s.bytes();
  patch(b, 24 + 8 + 21 + 4 + 4, le64(1000000000));  // the array's length
  expect_error(b, {"metadata key 'tokenizer.ggml.tokens'", "array of 1000000000 STRING", "at least 8 bytes"});
  Builder f;
  f.kv("scores", 9, le32(6) + le64(uint64_t{1} << 62) + le32(0));
  expect_error(f.bytes(), {"'scores'", "array of 4611686018427387904 FLOAT32"});
  Builder n;
  n.kv("nested", 9, le32(9) + le64(~0ull));
  expect_error(n.bytes(), {"'nested'", "ARRAY needs at least 12 bytes"});
  Builder shortarr;  // length fits the file, the elements do not
  shortarr.kv("ids", 9, le32(5) + le64(2) + le32(7));
  expect_error(shortarr.bytes(), {"'ids'", "array of 2 INT32"});
}

TEST(GgufHostile, NestedArraysBounded) {
  const auto nested = [](int levels) {  // `levels` arrays, each holding one array, the innermost one INT32
    std::string p;
    for (int i = 1; i < levels; ++i) p += le32(9) + le64(1);
    return p + le32(5) + le64(1) + le32(42);
  };
  Builder ok;
  ok.kv("deep", 9, nested(GgufFile::kMaxArrayDepth));
  TempDir dir;
  write_file(dir / "ok.gguf", ok.bytes());
  const GgufFile f(dir / "ok.gguf");
  const GgufValue* v = &f.find_key("deep")->value;
  for (int i = 1; i < GgufFile::kMaxArrayDepth; ++i) v = &v->arrays.at(0);
  EXPECT_EQ(v->element_type, GgufValueType::kInt32);
  Builder deep;
  deep.kv("deep", 9, nested(GgufFile::kMaxArrayDepth + 1));
  expect_error(deep.bytes(), {"metadata key 'deep' element 0.0.0.0.0.0.0", "nested more than 8 deep"});
}

TEST(GgufHostile, BadValues) {
  Builder t;
  t.kv("x", 13, le32(0));
  expect_error(t.bytes(), {"metadata key 'x' has value type 13, expected 0..12"});
  Builder e;
  e.kv("x", 9, le32(99) + le64(1));
  expect_error(e.bytes(), {"metadata key 'x' has array element type 99"});
  Builder bo;
  bo.kv("flag", 7, std::string(1, '\2'));
  expect_error(bo.bytes(), {"metadata key 'flag' is BOOL with byte 2, expected 0 or 1"});
  Builder ba;
  ba.kv("flags", 9, le32(7) + le64(3) + std::string("\1\0\5", 3));
  expect_error(ba.bytes(), {"metadata key 'flags' element 2 is BOOL with byte 5"});
  Builder k;
  k.kv("", 4, le32(1));
  expect_error(k.bytes(), {"metadata key 0 has an empty name"});
  Builder cut;
  cut.kv("x", 4, "");  // a UINT32 with no bytes, at the end of the file
  expect_error(cut.bytes(), {"truncated: metadata key 'x' (UINT32) needs 4 bytes"});
}

TEST(GgufHostile, DuplicateNames) {
  Builder k = valid_builder();
  k.u32("llama.block_count", 3);
  expect_error(k.bytes(), {"duplicate metadata key 'llama.block_count' (entries 1 and 2)"});
  Builder t = valid_builder();
  t.f32("a.weight", {1}, {1.0f});
  expect_error(t.bytes(), {"duplicate tensor name 'a.weight' (tensors 0 and 2)"});
}

TEST(GgufHostile, Alignment) {
  Builder w = valid_builder();
  w.kv("general.alignment", 5, le32(32));
  expect_error(w.bytes(), {"'general.alignment' is INT32, expected UINT32"});
  for (uint32_t a : {0u, 48u, 3u}) {
    Builder b = valid_builder();
    b.u32("general.alignment", a);
    const std::string want = "'general.alignment' is " + std::to_string(a) + ", expected a power of two";
    expect_error(b.bytes(), {want.c_str()});
  }
}

TEST(GgufHostile, TensorShapes) {
  Builder d = valid_builder();
  d.tensor("five", 0, {1, 1, 1, 1, 1}, le32(0));
  expect_error(d.bytes(), {"tensor 'five' has 5 dimensions, at most 4"});
  Builder z = valid_builder();
  z.tensor("empty", 0, {4, 0}, "");
  expect_error(z.bytes(), {"tensor 'empty' has dimension 1 = 0 (dims [4, 0])"});
  Builder o = valid_builder();
  o.tensor("big", 0, {uint64_t{1} << 32, uint64_t{1} << 32}, "");
  expect_error(o.bytes(), {"tensor 'big' has dims [4294967296, 4294967296], more than 2^63 elements"});
  Builder neg = valid_builder();
  neg.tensor("neg", 0, {~0ull}, "");
  expect_error(neg.bytes(), {"tensor 'neg'", "more than 2^63 elements"});
  Builder w = valid_builder();
  w.tensor("wraps", 0, {(uint64_t{1} << 62) + 1}, "");
  expect_error(w.bytes(), {"tensor 'wraps' (F32, dims [4611686018427387905]) needs more than 2^64 bytes"});
  Builder r = valid_builder();
  r.tensor("q", 2, {33}, std::string(18, '\0'));
  expect_error(r.bytes(), {"tensor 'q' is Q4_0 with rows of 33", "not a multiple of its block size 32"});
}

TEST(GgufHostile, TensorTypes) {
  Builder u = valid_builder();
  u.tensor("t", 99, {4}, std::string(16, '\0'));
  expect_error(u.bytes(), {"tensor 't' has ggml type 99, which is not a ggml type"});
  Builder r = valid_builder();
  r.tensor("t", 31, {4}, std::string(16, '\0'));
  expect_error(r.bytes(), {"tensor 't' has ggml type 31 (Q4_0_4_4), which ggml removed"});
  Builder iq = valid_builder();
  iq.tensor("blk.0.attn_q.weight", 16, {256}, std::string(66, '\0'));
  TempDir dir;
  write_file(dir / "iq.gguf", iq.bytes());
  const GgufFile f(dir / "iq.gguf");
  const GgufTensor& t = *f.find("blk.0.attn_q.weight");
  EXPECT_EQ(t.nbytes, 66u);
  expect_throws([&] { dequantized(f, t); },
                {"iq.gguf: tensor 'blk.0.attn_q.weight' has ggml type IQ2_XXS, which attnlab does not read; supported: "
                 "F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K"});
}

TEST(GgufHostile, TensorPlacement) {
  Builder m = valid_builder();
  m.tensors[1].offset = 4;
  expect_error(m.bytes(), {"tensor 'b.bias' has data offset 4, not a multiple of the alignment 32"});
  Builder o = valid_builder();
  o.tensors[1].offset = 0;
  expect_error(o.bytes(),
               {"tensor 'b.bias' (data offset 0, 12 bytes) overlaps tensor 'a.weight' (data offset 0, 16 bytes)"});
  Builder p = valid_builder();
  p.tensors[1].offset = uint64_t{1} << 40;
  expect_error(p.bytes(), {"tensor 'b.bias' (F32, dims [3], 12 bytes at data offset 1099511627776) runs past the end"});
  Builder w = valid_builder();
  w.tensors[1].offset = ~0ull - 31;  // aligned, and data_offset + offset wraps
  expect_error(w.bytes(), {"tensor 'b.bias'", "runs past the end of the file"});
  std::string cut = valid_builder().bytes();
  cut.resize(cut.size() - 32 - 20);  // into a.weight
  expect_error(cut, {"tensor 'a.weight'", "runs past the end of the file", "truncated download?"});
}

TEST(GgufHostile, MissingFile) {
  try {
    GgufFile f("/nonexistent/model.gguf");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/model.gguf: cannot open"), std::string::npos) << e.what();
  }
}

// The tokenizer built from tokenizer.ggml.* refuses what transformers' reader or builder would: a
// string that is not UTF-8 (its reader decodes strictly), a tokenizer model or architecture with no
// builder here (Unigram, phi3's SentencePiece), counts that disagree.
TEST(GgufTokenizerHostile, RefusedWithTheKeyNamed) {
  TempDir dir;
  const auto tokenizer_of = [&](Builder b) {
    write_file(dir / "t.gguf", b.bytes());
    return gguf_tokenizer(GgufFile(dir / "t.gguf"));
  };
  const auto gemma = [](const std::vector<std::string>& tokens) {
    Builder b;
    b.string("general.architecture", "gemma3").string("tokenizer.ggml.model", "llama").strings("tokenizer.ggml.tokens", tokens);
    return b;
  };
  // A valid Gemma-style vocabulary builds (merges recovered from the order) and encodes.
  const GgufTokenizer ok = tokenizer_of(gemma({"<unk>", "a", "b", "ab", "\u2581"}));
  EXPECT_EQ(ok.document["model"]["merges"], json::array({json::array({"a", "b"})}));
  EXPECT_EQ(ok.config.add_bos_token, true);  // a SentencePiece file that does not say adds BOS
  expect_throws([&] { tokenizer_of(gemma({"<unk>", "a\xff", "b"})); },
                {"t.gguf: tokenizer.ggml.tokens[1] is not valid UTF-8 (byte 1)"});
  expect_throws([&] { tokenizer_of(gemma({"<unk>", "\xc3"})); }, {"tokenizer.ggml.tokens[1] is not valid UTF-8"});
  Builder templ = gemma({"a"});
  templ.string("tokenizer.chat_template", "{{ x }}\xe2\x82");
  expect_throws([&] { tokenizer_of(templ); }, {"tokenizer.chat_template[0] is not valid UTF-8"});
  Builder phi3;
  phi3.string("general.architecture", "phi3").string("tokenizer.ggml.model", "llama").strings("tokenizer.ggml.tokens", {"a"});
  expect_throws([&] { tokenizer_of(phi3); }, {"tokenizer.ggml.model is 'llama' (general.architecture 'phi3')"});
  Builder unigram;
  unigram.string("general.architecture", "t5").string("tokenizer.ggml.model", "t5").strings("tokenizer.ggml.tokens", {"a"});
  expect_throws([&] { tokenizer_of(unigram); }, {"tokenizer.ggml.model is 't5'"});
  Builder llama;  // SentencePiece without merges needs the scores to recover them
  llama.string("general.architecture", "llama").string("tokenizer.ggml.model", "llama").strings("tokenizer.ggml.tokens", {"a"});
  expect_throws([&] { tokenizer_of(llama); }, {"tokenizer.ggml.scores"});
  llama.kv("tokenizer.ggml.scores", 9, le32(6) + le64(2) + le32(0) + le32(0));
  expect_throws([&] { tokenizer_of(llama); }, {"tokenizer.ggml.scores has 2 entries, tokenizer.ggml.tokens 1"});
  Builder bpe;
  bpe.string("general.architecture", "llama").string("tokenizer.ggml.model", "gpt2")
      .strings("tokenizer.ggml.tokens", {"a", "b", "ab"}).strings("tokenizer.ggml.merges", {"a b", "a\x80 b"});
  expect_throws([&] { tokenizer_of(bpe); }, {"tokenizer.ggml.merges[1] is not valid UTF-8"});
  Builder types = gemma({"a", "b"});
  types.kv("tokenizer.ggml.token_type", 9, le32(5) + le64(1) + le32(1));
  expect_throws([&] { tokenizer_of(types); }, {"tokenizer.ggml.token_type has 1 entries, tokenizer.ggml.tokens 2"});
}

}  // namespace
}  // namespace attnlab
