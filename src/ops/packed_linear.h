// Linear layers on weights packed once at load time into panels of 16 output rows, k-major, so a
// 6x16 register-blocked AVX2 kernel streams each weight exactly once per call for short inputs
// and stays near the FMA peak for long ones (README.md, "Speed"). The kernels are built per
// instruction set (ops/isa/packed_linear.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "core/bf16.h"  // to_bf16, from_bf16: the bf16 panels' element conversions

namespace attnlab {

// Quantized panels (weights kept in an integer form, pack_quantized): each weight is
// scale * q (+ offset), one scale and offset per column and group of `group` k's, the products exact
// in float32. Per panel and group: scale[16] float, offset[16] float (when `offsets`), then the
// group's quants k-major: 16 int8 per k, or with `nibbles` 8 bytes per k, byte j holding column j's
// quant in its low and column j + 8's in its high nibble. Every size is a multiple of 64 bytes.
struct QuantLayout {
  int group = 0;  // 0: not quantized
  bool offsets = false;
  bool nibbles = false;
  size_t head_bytes() const { return offsets ? 128 : 64; }
  size_t k_bytes() const { return nibbles ? 8 : 16; }
  size_t group_bytes() const { return head_bytes() + static_cast<size_t>(group) * k_bytes(); }
};

struct PackedWeight {
  static constexpr int kPanel = 16;  // output rows per panel
  // Where column j (< 16) of a bfloat16 panel row is stored: columns 0-7 in the low and 8-15 in the
  // high halves of eight 32-bit lanes, so the AVX2 kernel widens them with one shift and one mask.
  static constexpr int bf16_slot(int j) { return j < 8 ? 2 * j : 2 * (j - 8) + 1; }
  int in = 0, out = 0;
  bool bf16 = false;  // reduced-precision mode: weights rounded to bfloat16, half the bytes to stream
  QuantLayout quant;  // quantized panels (then the storage holds them, see QuantLayout)
  std::unique_ptr<void, void (*)(void*)> storage{nullptr, [](void*) {}};  // [ceil(out/16)][in][16], 64-byte aligned
  int panels() const { return (out + kPanel - 1) / kPanel; }
  size_t element_size() const { return bf16 ? 2 : 4; }
  bool quantized() const { return quant.group > 0; }
  size_t panel_bytes() const {
    return quantized() ? static_cast<size_t>(in / quant.group) * quant.group_bytes()
                       : static_cast<size_t>(kPanel) * in * element_size();
  }
  size_t bytes() const { return static_cast<size_t>(panels()) * panel_bytes(); }
  const float* f32() const { return static_cast<const float*>(storage.get()); }
  const uint16_t* b16() const { return static_cast<const uint16_t*>(storage.get()); }
};

// w: [out, in] row-major (nn.Linear's layout) -> panels; rows past `out` in the last panel are zero.
PackedWeight pack_weight(const float* w, int out, int in, bool bf16 = false);

// Several weights stacked along the output dimension (e.g. query, key, value -> one [3h, h] layer).
struct WeightBlock {
  const float* w;  // [rows, in]
  int rows;
};
PackedWeight pack_weights(const std::vector<WeightBlock>& blocks, int in, bool bf16 = false);

// Rows of a weight in an integer form: decode(row, q [in], scale [in / group], offset [in / group], or
// null without offsets) fills one row (of this block) as QuantLayout describes.
struct QuantRows {
  int rows;
  std::function<void(int row, int8_t* q, float* scale, float* offset)> decode;
};
// Stacked blocks of one layout -> quantized panels. `in` a multiple of layout.group; with nibbles,
// every q in [0, 15]. linear_packed on the result gives, on every instruction set, the bits it gives
// on pack_weights of the dequantized rows (scale * q + offset, each rounded once).
PackedWeight pack_quantized(const std::vector<QuantRows>& blocks, int in, const QuantLayout& layout);

// The weight back in nn.Linear's row-major layout [out, in], as the kernels see it (bf16 widened,
// quantized panels expanded to scale * q + offset): for analyses, not for speed.
std::vector<float> unpack_weight(const PackedWeight& w);

// What linear_packed applies to each output once its sum is complete.
enum class Activation { kNone, kGelu };

// y: [rows, out] = act(x: [rows, in] · W^T + b) (b may be null), over the thread pool. kGelu gives the
// bits of gelu_erf_fast on the plain product, applied to each tile while it is still in cache.
void linear_packed(const float* x, int rows, const PackedWeight& w, const float* b, float* y,
                   Activation act = Activation::kNone);

}  // namespace attnlab
