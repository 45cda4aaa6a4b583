// Normalisation and activations: LayerNorm over the last dimension and exact (erf) GELU.
#pragma once

namespace attnlab {

// x: [rows, cols] in place: (x - mean) / sqrt(var + eps) * weight + bias, biased variance as torch.
void layer_norm_rows(float* x, int rows, int cols, const float* weight, const float* bias, float eps);

// The residual step of a BERT layer in one pass over memory: x = LayerNorm(add + x), the sum
// rounded to float first exactly as torch's separate add.
void add_layer_norm_rows(float* x, const float* add, int rows, int cols, const float* weight, const float* bias,
                         float eps);

// The scalar twin: one row at a time, plain loops.
void layer_norm_rows_naive(float* x, int rows, int cols, const float* weight, const float* bias, float eps);

// x[i] = 0.5 x (1 + erf(x / sqrt 2)), in place (nn.functional.gelu, approximate="none").
void gelu_erf(float* x, long n);

// x[i] = tanh(x[i]), in place.
void tanh_inplace(float* x, long n);

}  // namespace attnlab
