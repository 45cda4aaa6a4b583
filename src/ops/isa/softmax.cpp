// Row-wise softmax's kernel (see ops/softmax.h), built once per instruction set
// (ops/isa/kernels.h): the steps of ATen's vectorised CPU kernel (_vec_softmax_lastdim), in plain
// loops the compiler vectorises for the build's instruction set without reordering a sum.
#include "ops/isa/kernels.h"

namespace attnlab::ATTNLAB_ISA_NS {

namespace {

// at::vec::reduce_all with 8-lane vectors (ATen's AVX2 build): lane-wise accumulation over whole
// vectors, the tail folded into its lanes, then a halving tree
// (128-bit halves, 64-bit pairs, neighbours). Max and sum then come out as ATen's do, in a few
// cycles per 8 values instead of one dependent add per value.
template <typename Op>
float reduce_all(const float* v, int n, Op op) {
  constexpr int kLanes = 8;
  float acc[kLanes];
  if (n < kLanes) {  // ATen: one partial vector, reduced over its first n lanes
    float r = v[0];
    for (int i = 1; i < n; ++i) r = op(r, v[i]);
    return r;
  }
  for (int l = 0; l < kLanes; ++l) acc[l] = v[l];
  int d = kLanes;
  for (; d + kLanes <= n; d += kLanes)
    for (int l = 0; l < kLanes; ++l) acc[l] = op(acc[l], v[d + l]);
  for (int l = 0; d + l < n; ++l) acc[l] = op(acc[l], v[d + l]);
  for (int l = 0; l < 4; ++l) acc[l] = op(acc[l], acc[l + 4]);
  for (int l = 0; l < 2; ++l) acc[l] = op(acc[l], acc[l + 2]);
  return op(acc[0], acc[1]);
}

}  // namespace

void softmax_rows(float* x, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    float* v = x + static_cast<long>(r) * cols;
    const float max = reduce_all(v, cols, [](float a, float b) { return a > b ? a : b; });
    for (int c = 0; c < cols; ++c) v[c] -= max;
    exp_inplace(v, cols);
    const float sum = reduce_all(v, cols, [](float a, float b) { return a + b; });
    const float inv = 1.0f / sum;
    for (int c = 0; c < cols; ++c) v[c] *= inv;
  }
}

}  // namespace attnlab::ATTNLAB_ISA_NS
