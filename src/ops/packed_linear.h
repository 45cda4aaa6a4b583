// Linear layers on weights packed once at load time into panels of 16 output rows, k-major, so a
// 6x16 register-blocked AVX2 kernel streams each weight exactly once per call for short inputs
// and stays near the FMA peak for long ones (measured: bench/README.md).
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

namespace attnlab {

struct PackedWeight {
  static constexpr int kPanel = 16;  // output rows per panel
  int in = 0, out = 0;
  std::unique_ptr<float[], void (*)(float*)> data{nullptr, [](float*) {}};  // [ceil(out/16)][in][16], 64-byte aligned
  int panels() const { return (out + kPanel - 1) / kPanel; }
  size_t bytes() const { return static_cast<size_t>(panels()) * kPanel * in * sizeof(float); }
};

// w: [out, in] row-major (nn.Linear's layout) -> panels; rows past `out` in the last panel are zero.
PackedWeight pack_weight(const float* w, int out, int in);

// Several weights stacked along the output dimension (e.g. query, key, value -> one [3h, h] layer).
struct WeightBlock {
  const float* w;  // [rows, in]
  int rows;
};
PackedWeight pack_weights(const std::vector<WeightBlock>& blocks, int in);

// y: [rows, out] = x: [rows, in] · W^T + b (b may be null), over the thread pool.
void linear_packed(const float* x, int rows, const PackedWeight& w, const float* b, float* y);

}  // namespace attnlab
