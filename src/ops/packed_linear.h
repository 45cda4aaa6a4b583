// Linear layers on weights packed once at load time into panels of 16 output rows, k-major, so a
// 6x16 register-blocked AVX2 kernel streams each weight exactly once per call for short inputs
// and stays near the FMA peak for long ones (README.md, "Speed"). The kernels are built per
// instruction set (ops/isa/packed_linear.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/bf16.h"  // to_bf16, from_bf16: the bf16 panels' element conversions

namespace attnlab {

struct PackedWeight {
  static constexpr int kPanel = 16;  // output rows per panel
  // Where column j (< 16) of a bfloat16 panel row is stored: columns 0-7 in the low and 8-15 in the
  // high halves of eight 32-bit lanes, so the AVX2 kernel widens them with one shift and one mask.
  static constexpr int bf16_slot(int j) { return j < 8 ? 2 * j : 2 * (j - 8) + 1; }
  int in = 0, out = 0;
  bool bf16 = false;  // reduced-precision mode: weights rounded to bfloat16, half the bytes to stream
  std::unique_ptr<void, void (*)(void*)> storage{nullptr, [](void*) {}};  // [ceil(out/16)][in][16], 64-byte aligned
  int panels() const { return (out + kPanel - 1) / kPanel; }
  size_t element_size() const { return bf16 ? 2 : 4; }
  size_t bytes() const { return static_cast<size_t>(panels()) * kPanel * in * element_size(); }
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

// What linear_packed applies to each output once its sum is complete.
enum class Activation { kNone, kGelu };

// y: [rows, out] = act(x: [rows, in] · W^T + b) (b may be null), over the thread pool. kGelu gives the
// bits of gelu_erf_fast on the plain product, applied to each tile while it is still in cache.
void linear_packed(const float* x, int rows, const PackedWeight& w, const float* b, float* y,
                   Activation act = Activation::kNone);

}  // namespace attnlab
