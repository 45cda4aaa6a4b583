// ggml's tensor types (the numbers GGUF files store) and their dequantization to float32, bit for bit
// what gguf-py's gguf.quants.dequantize returns (ggml/src/ggml-common.h block layouts; the operation
// order of gguf-py's numpy code, which never fuses a multiply and an add).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace attnlab {

// Numbers as in ggml.h / gguf-py constants.py (GGMLQuantizationType). Gaps (4, 5, 31-33, 36-38) are
// types ggml removed; no file may use them.
enum class GgmlType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,
  kQ5_1 = 7,
  kQ8_0 = 8,
  kQ8_1 = 9,
  kQ2_K = 10,
  kQ3_K = 11,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kQ8_K = 15,
  kIQ2_XXS = 16,
  kIQ2_XS = 17,
  kIQ3_XXS = 18,
  kIQ1_S = 19,
  kIQ4_NL = 20,
  kIQ3_S = 21,
  kIQ2_S = 22,
  kIQ4_XS = 23,
  kI8 = 24,
  kI16 = 25,
  kI32 = 26,
  kI64 = 27,
  kF64 = 28,
  kIQ1_M = 29,
  kBF16 = 30,
  kTQ1_0 = 34,
  kTQ2_0 = 35,
  kMXFP4 = 39,
  kNVFP4 = 40,
  kQ1_0 = 41,
};

// What a GGUF reader needs to know of a type: its name, elements per block and bytes per block (a
// row's length must be a multiple of block_size), and whether dequantize_row reads it.
struct GgmlTypeInfo {
  GgmlType type;
  const char* name;    // "Q4_K", as ggml_type_name and gguf-py spell it
  int64_t block_size;  // elements per block: 1 (F32, F16, BF16), 32 (Q4_0 .. Q8_0), 256 (K-quants)
  size_t block_bytes;  // bytes per block: 144 for Q4_K
  bool dequantizable;  // one of the 13 types dequantize_row reads
};

// The type numbered `id`, or null when ggml has no such type (unknown, or removed like 4 = Q4_2).
const GgmlTypeInfo* ggml_type_info(uint32_t id);
const GgmlTypeInfo& ggml_type_info(GgmlType type);
const char* ggml_type_name(GgmlType type);
// The name of a number ggml once used and removed ("Q4_0_4_4" for 31), or null.
const char* ggml_removed_type_name(uint32_t id);
// "F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K": for messages.
std::string ggml_dequantizable_types();

// src: n / block_size blocks of `type` (unaligned bytes) -> dst: n float32. n must be a multiple of
// the type's block size. Throws attnlab::Error (kExitInput) naming the type when it is not one of the
// dequantizable ones. Plain scalar code, one loop per type; safe to call from several threads.
void dequantize_row(GgmlType type, const uint8_t* src, float* dst, int64_t n);

// The integer form of a quantized type, for kernels that expand blocks in registers: element e of a
// row is scale[e / group] * q[e], plus offset[e / group] when the form has offsets, each product
// exact in float32 (see gguf_quants.cpp), so the one rounding (of the add) gives dequantize_row's bits
// whether fused or not. Every q fits int8; `nibbles`: every q is in [0, 15].
struct QuantForm {
  int group = 0;           // elements per scale: 32 or 16
  bool offsets = false;    // Q4_1, Q5_1 (+ m), Q2_K, Q4_K, Q5_K (- dmin * m, stored negated)
  bool nibbles = false;    // Q4_1, Q4_K
};
// The form of `type`; false for F32, F16, BF16 and every type dequantize_row does not read.
bool quant_form(GgmlType type, QuantForm* form);
// src: a row of n elements of `type` -> q [n], scale and offset [n / group] (offset: null when the form
// has none).
void decode_quant_row(GgmlType type, const uint8_t* src, int64_t n, int8_t* q, float* scale, float* offset);

// IEEE half bits -> float32, exact for every input (subnormals, infinities, NaN payloads kept), as
// numpy's float16.astype(float32).
float ggml_f16_to_f32(uint16_t h);

}  // namespace attnlab
