// Row-wise softmax over the last dimension, as torch.softmax(x, dim=-1) computes it.
#pragma once

namespace attnlab {

// x: [rows, cols], in place. Subtracts the row max before exp, like ATen's CPU kernel.
void softmax_rows(float* x, int rows, int cols);

// The scalar twin: the same function in double precision, exactly rounded.
void softmax_rows_naive(float* x, int rows, int cols);

}  // namespace attnlab
