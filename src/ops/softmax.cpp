// Row-wise softmax (see softmax.h).
#include "ops/softmax.h"

#include <cmath>

namespace attnlab {

void softmax_rows(float* x, int rows, int cols) {
  for (int r = 0; r < rows; ++r) {
    float* v = x + static_cast<long>(r) * cols;
    float max = v[0];
    for (int c = 1; c < cols; ++c) max = v[c] > max ? v[c] : max;
    float sum = 0.0f;
    for (int c = 0; c < cols; ++c) {
      v[c] = std::exp(v[c] - max);
      sum += v[c];
    }
    const float inv = 1.0f / sum;
    for (int c = 0; c < cols; ++c) v[c] *= inv;
  }
}

}  // namespace attnlab
