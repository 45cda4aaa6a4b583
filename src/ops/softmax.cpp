// Row-wise softmax (see softmax.h): the kernel is in ops/isa/softmax.cpp (max, exp(x - max) and the
// sum, then a multiply by 1/sum, as ATen's _vec_softmax_lastdim); here the dispatch and the twin.
#include "ops/softmax.h"

#include <cmath>

#include "ops/isa/kernels.h"

namespace attnlab {

void softmax_rows(float* x, int rows, int cols) { kernels().softmax_rows(x, rows, cols); }

void softmax_rows_naive(float* x, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    float* v = x + static_cast<long>(r) * cols;
    double max = v[0], sum = 0.0;
    for (int c = 1; c < cols; ++c) max = v[c] > max ? v[c] : max;
    for (int c = 0; c < cols; ++c) sum += std::exp(static_cast<double>(v[c]) - max);
    for (int c = 0; c < cols; ++c) v[c] = static_cast<float>(std::exp(static_cast<double>(v[c]) - max) / sum);
  }
}

}  // namespace attnlab
