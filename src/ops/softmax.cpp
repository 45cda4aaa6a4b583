// Row-wise softmax (see softmax.h): max, exp(x - max) and the sum, then a multiply by 1/sum, the
// steps of ATen's vectorised CPU kernel (_vec_softmax_lastdim).
#include "ops/softmax.h"

#include <cmath>

#include "ops/vec_math.h"

namespace attnlab {

void softmax_rows(float* x, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    float* v = x + static_cast<long>(r) * cols;
    float max = v[0];
    for (int c = 1; c < cols; ++c) max = v[c] > max ? v[c] : max;
    for (int c = 0; c < cols; ++c) v[c] -= max;
    exp_inplace(v, cols);
    float sum = 0.0f;
    for (int c = 0; c < cols; ++c) sum += v[c];
    const float inv = 1.0f / sum;
    for (int c = 0; c < cols; ++c) v[c] *= inv;
  }
}

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
