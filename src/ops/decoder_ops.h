// The steps of a pre-norm decoder that BERT has no use for: RMSNorm, SiLU-gated MLP, rotary positions
// (causal grouped-query attention is ops/attention.h's). Plain loops in float32 with the order of
// operations of transformers' eager path; knows nothing of any family.
#pragma once

namespace attnlab {

// x: [rows, cols] -> out: [rows, cols] = weight * (x * rsqrt(mean(x^2) + eps)), in float32 as LlamaRMSNorm
// (the weight multiplied after the normalised value is rounded). out may be x.
void rms_norm_rows(const float* x, int rows, int cols, const float* weight, float eps, float* out);

// x: [rows, ld] whose first `heads` head_dim segments per row are each RMS-normed in place (Qwen3's
// q_norm / k_norm over head_dim).
void rms_norm_heads(float* x, int rows, int heads, int head_dim, int ld, const float* weight, float eps);

// gate_up: [rows, 2 inter] holding [gate | up] per row -> out: [rows, inter] = silu(gate) * up.
void silu_gate(const float* gate_up, int rows, int inter, float* out);

// The same with GELU's tanh approximation (gelu_pytorch_tanh: torch's gelu(approximate="tanh"),
// 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))) in place of SiLU (Gemma), vectorised as
// gelu_tanh_mul (ops/vec_math.h): within a few float32 ulps of torch's value.
void gelu_tanh_gate(const float* gate_up, int rows, int inter, float* out);

// x: [rows, cols] in place: x = cap * tanh(x / cap) (Gemma's final_logit_softcapping), in float32.
void softcap(float* x, long n, float cap);

// x: [rows, ld], heads of head_dim starting at column 0; position of row r is r. cos, sin: [rows, head_dim]
// (the cat(freqs, freqs) layout, already times attention_scaling). In place: x = x * cos + rotate_half(x) * sin.
void apply_rope(float* x, int rows, int heads, int head_dim, int ld, const float* cos, const float* sin);

}  // namespace attnlab
