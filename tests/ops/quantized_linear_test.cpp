// Linear layers over quantized panels (ops/packed_linear.h, QuantLayout) against the float32 path on
// the dequantized weight: bit for bit, on every instruction set, for every ggml type with an integer
// form (io/gguf_quants.h), short inputs (expanded per k-block in L1) and long ones (expanded per chunk
// of panels), partial panels, biases, GELU, and stacked blocks of two types of one form. The blocks
// are gguf-py's (tests/fixtures/gguf/dequant_blocks.bin, tools/make_gguf_fixtures.py): random bytes
// and gguf.quants.quantize output.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "../support/random.h"
#include "../support/fixtures.h"
#include "../support/isa.h"
#include "core/thread_pool.h"
#include "io/gguf_quants.h"
#include "ops/packed_linear.h"

namespace attnlab {
namespace {

struct TypeBlocks {
  const GgmlTypeInfo* info;
  std::string origin;
  std::string bytes;  // whole blocks
  size_t blocks() const { return bytes.size() / info->block_bytes; }
};

std::vector<TypeBlocks> quantized_fixtures() {
  const nlohmann::json cases = testing::load_json("gguf/dequant.json")["cases"];
  const std::string all = testing::read_text(testing::fixture_path("gguf/dequant_blocks.bin"));
  std::vector<TypeBlocks> out;
  for (const auto& c : cases) {
    const GgmlTypeInfo* info = ggml_type_info(c["type_id"].get<uint32_t>());
    if (!info || !quant_form(info->type, nullptr)) continue;
    out.push_back({info, c["origin"].get<std::string>(),
                   all.substr(c["blocks"]["offset"].get<size_t>(), c["blocks"]["nbytes"].get<size_t>())});
  }
  return out;
}

// A weight [out, in] of `type` whose rows are runs of the fixture's blocks, each row starting at a
// different block: raw bytes, row-major.
std::string weight_of(const TypeBlocks& t, int out, int in) {
  const size_t per_row = static_cast<size_t>(in / t.info->block_size), bb = t.info->block_bytes;
  std::string raw;
  for (int r = 0; r < out; ++r)
    for (size_t b = 0; b < per_row; ++b) raw += t.bytes.substr(((static_cast<size_t>(r) * 7 + b) % t.blocks()) * bb, bb);
  return raw;
}

std::vector<float> dequantized(GgmlType type, const std::string& raw, int out, int in) {
  std::vector<float> w(static_cast<size_t>(out) * in);
  dequantize_row(type, reinterpret_cast<const uint8_t*>(raw.data()), w.data(), static_cast<int64_t>(w.size()));
  return w;
}

QuantRows rows_of(GgmlType type, const std::string& raw, int out, int in) {
  const size_t row_bytes = raw.size() / static_cast<size_t>(out);
  const auto* data = reinterpret_cast<const uint8_t*>(raw.data());
  return {out, [=](int r, int8_t* q, float* s, float* a) {
            decode_quant_row(type, data + static_cast<size_t>(r) * row_bytes, in, q, s, a);
          }};
}

QuantLayout layout_of(GgmlType type) {
  QuantForm f;
  EXPECT_TRUE(quant_form(type, &f));
  return {f.group, f.offsets, f.nibbles};
}

using testing::random_vector;

class QuantizedLinear : public testing::IsaTest {};
ATTNLAB_INSTANTIATE_OVER_ISAS(QuantizedLinear);

TEST_P(QuantizedLinear, BitIdenticalToTheDequantizedWeight) {
  const std::vector<TypeBlocks> types = quantized_fixtures();
  ASSERT_EQ(types.size(), 15u);  // 10 types; the 5 legacy ones twice (random and quantize())
  for (int threads : {2}) {
    set_num_threads(threads);
    for (const TypeBlocks& t : types) {
      // Up to 6 (AVX2) or 12 (AVX-512) rows: fused decoding, 1 to 4 panels at a time; 13 rows within
      // 256 kB: expanded per k-block; 70 x 1024: the long path. out 40, 24, 72, 104 and 200 leave a
      // partial panel, and panel counts that are not multiples of 2 or 4.
      for (auto [rows, in, out] : {std::tuple{1, 256, 16}, {1, 512, 200}, {2, 256, 72}, {3, 512, 40}, {4, 256, 104},
                                    {5, 512, 40}, {6, 256, 40}, {9, 768, 96}, {12, 256, 72}, {13, 256, 24},
                                    {70, 1024, 40}}) {
        const std::string what = std::string(t.info->name) + " (" + t.origin + ") " + std::to_string(rows) + "x" +
                                 std::to_string(in) + "x" + std::to_string(out) + " " + isa() + " threads " +
                                 std::to_string(threads);
        const std::string raw = weight_of(t, out, in);
        const std::vector<float> w = dequantized(t.info->type, raw, out, in);
        const PackedWeight plain = pack_weight(w.data(), out, in);
        const PackedWeight quant = pack_quantized({rows_of(t.info->type, raw, out, in)}, in, layout_of(t.info->type));
        ASSERT_TRUE(quant.quantized());
        EXPECT_LT(quant.bytes(), plain.bytes() / 2) << what;
        testing::expect_bit_identical(unpack_weight(quant), w, what + " unpacked");
        const auto x = random_vector(static_cast<size_t>(rows) * in, 21), b = random_vector(out, 22);
        for (const Activation act : {Activation::kNone, Activation::kGelu})
          for (const float* bias : {static_cast<const float*>(nullptr), b.data()}) {
            std::vector<float> want(static_cast<size_t>(rows) * out), got(want.size());
            linear_packed(x.data(), rows, plain, bias, want.data(), act);
            linear_packed(x.data(), rows, quant, bias, got.data(), act);
            testing::expect_bit_identical(got, want, what + (bias ? " bias" : "") + (act == Activation::kGelu ? " gelu" : ""));
          }
      }
    }
  }
  set_num_threads(0);
}

// Gemma 3's attention stacks Q5_0 and Q8_0 matrices (one form: int8, groups of 32, no offsets).
TEST_P(QuantizedLinear, StackedTypesOfOneFormEqualTheDequantizedStack) {
  const std::vector<TypeBlocks> types = quantized_fixtures();
  const TypeBlocks *q5 = nullptr, *q8 = nullptr;
  for (const auto& t : types) {
    if (t.info->type == GgmlType::kQ5_0) q5 = &t;
    if (t.info->type == GgmlType::kQ8_0) q8 = &t;
  }
  ASSERT_TRUE(q5 && q8);
  const int in = 640, rows = 7;
  const std::string a = weight_of(*q5, 64, in), c = weight_of(*q8, 32, in);
  const std::vector<float> wa = dequantized(GgmlType::kQ5_0, a, 64, in), wc = dequantized(GgmlType::kQ8_0, c, 32, in);
  const PackedWeight plain = pack_weights({{wa.data(), 64}, {wc.data(), 32}}, in);
  const PackedWeight quant = pack_quantized({rows_of(GgmlType::kQ5_0, a, 64, in), rows_of(GgmlType::kQ8_0, c, 32, in)},
                                            in, layout_of(GgmlType::kQ5_0));
  const auto x = random_vector(static_cast<size_t>(rows) * in, 23);
  std::vector<float> want(static_cast<size_t>(rows) * 96), got(want.size());
  linear_packed(x.data(), rows, plain, nullptr, want.data());
  linear_packed(x.data(), rows, quant, nullptr, got.data());
  testing::expect_bit_identical(got, want, "Q5_0 + Q8_0 " + isa());
}

}  // namespace
}  // namespace attnlab
