// ggml type table and dequantization (see gguf_quants.h). Each dequantize_* follows gguf-py's
// quants.py dequantize_blocks (gguf 0.19.0) operation for operation, in float32: (d * sc) * q - (dmin * m).
// The order cannot change the bits anyway: every product is exact in float32, an fp16 scale (11
// significant bits) times a sub-scale times a quant having at most 23 (Q6_K: 11 + 7 + 5; Q8_0: 11 + 8;
// Q4_K: 11 + 6 + 4), with no overflow or float32 subnormal in reach. Only the final add of a minimum
// rounds, once, and a fused multiply-add rounds the same exact product the same way: ggml's C code gives
// these bits too, contracted or not. Block layouts are ggml-common.h's (block_q4_0 ... block_q6_K;
// QK_K = 256); all multi-byte fields little-endian.
#include "io/gguf_quants.h"

#include <cstring>

#include "attnlab/error.h"

namespace attnlab {
namespace {

constexpr int64_t kQK = 32;     // QK4_0 = QK4_1 = QK5_0 = QK5_1 = QK8_0
constexpr int64_t kQK_K = 256;  // the K-quants' super-block

// Block sizes and bytes per block from gguf-py constants.py GGML_QUANT_SIZES (ggml.c type_traits).
constexpr GgmlTypeInfo kTypes[] = {
    {GgmlType::kF32, "F32", 1, 4, true},
    {GgmlType::kF16, "F16", 1, 2, true},
    {GgmlType::kQ4_0, "Q4_0", kQK, 2 + 16, true},
    {GgmlType::kQ4_1, "Q4_1", kQK, 2 + 2 + 16, true},
    {GgmlType::kQ5_0, "Q5_0", kQK, 2 + 4 + 16, true},
    {GgmlType::kQ5_1, "Q5_1", kQK, 2 + 2 + 4 + 16, true},
    {GgmlType::kQ8_0, "Q8_0", kQK, 2 + 32, true},
    {GgmlType::kQ8_1, "Q8_1", kQK, 4 + 4 + 32, false},
    {GgmlType::kQ2_K, "Q2_K", kQK_K, 2 + 2 + 16 + 64, true},
    {GgmlType::kQ3_K, "Q3_K", kQK_K, 2 + 64 + 32 + 12, true},
    {GgmlType::kQ4_K, "Q4_K", kQK_K, 2 + 2 + 128 + 12, true},
    {GgmlType::kQ5_K, "Q5_K", kQK_K, 2 + 2 + 128 + 32 + 12, true},
    {GgmlType::kQ6_K, "Q6_K", kQK_K, 2 + 128 + 64 + 16, true},
    {GgmlType::kQ8_K, "Q8_K", kQK_K, 4 + 256 + 32, false},
    {GgmlType::kIQ2_XXS, "IQ2_XXS", kQK_K, 2 + 64, false},
    {GgmlType::kIQ2_XS, "IQ2_XS", kQK_K, 2 + 64 + 8, false},
    {GgmlType::kIQ3_XXS, "IQ3_XXS", kQK_K, 2 + 64 + 32, false},
    {GgmlType::kIQ1_S, "IQ1_S", kQK_K, 2 + 32 + 16, false},
    {GgmlType::kIQ4_NL, "IQ4_NL", kQK, 2 + 16, false},
    {GgmlType::kIQ3_S, "IQ3_S", kQK_K, 2 + 64 + 32 + 8 + 4, false},
    {GgmlType::kIQ2_S, "IQ2_S", kQK_K, 2 + 64 + 16, false},
    {GgmlType::kIQ4_XS, "IQ4_XS", kQK_K, 2 + 2 + 128 + 4, false},
    {GgmlType::kI8, "I8", 1, 1, false},
    {GgmlType::kI16, "I16", 1, 2, false},
    {GgmlType::kI32, "I32", 1, 4, false},
    {GgmlType::kI64, "I64", 1, 8, false},
    {GgmlType::kF64, "F64", 1, 8, false},
    {GgmlType::kIQ1_M, "IQ1_M", kQK_K, 32 + 16 + 8, false},
    {GgmlType::kBF16, "BF16", 1, 2, true},
    {GgmlType::kTQ1_0, "TQ1_0", kQK_K, 2 + 4 * 13, false},
    {GgmlType::kTQ2_0, "TQ2_0", kQK_K, 2 + 64, false},
    {GgmlType::kMXFP4, "MXFP4", kQK, 1 + 16, false},
    {GgmlType::kNVFP4, "NVFP4", 64, 4 + 32, false},
    {GgmlType::kQ1_0, "Q1_0", 128, 2 + 16, false},
};

struct RemovedType {
  uint32_t id;
  const char* name;
};
constexpr RemovedType kRemoved[] = {{4, "Q4_2"},      {5, "Q4_3"},        {31, "Q4_0_4_4"},   {32, "Q4_0_4_8"},
                                    {33, "Q4_0_8_8"}, {36, "IQ4_NL_4_4"}, {37, "IQ4_NL_4_8"}, {38, "IQ4_NL_8_8"}};

inline uint16_t le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
inline uint32_t le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) | (static_cast<uint32_t>(p[2]) << 16) |
         (static_cast<uint32_t>(p[3]) << 24);
}
inline float half_at(const uint8_t* p) { return ggml_f16_to_f32(le16(p)); }

// F16 / BF16 / F32: one element per "block".
void dequantize_f32(const uint8_t* x, float* y, int64_t n) { std::memcpy(y, x, static_cast<size_t>(n) * 4); }
void dequantize_f16(const uint8_t* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = ggml_f16_to_f32(le16(x + 2 * i));
}
void dequantize_bf16(const uint8_t* x, float* y, int64_t n) {  // (int16 as int32) << 16, viewed as float32
  for (int64_t i = 0; i < n; ++i) {
    const uint32_t bits = static_cast<uint32_t>(le16(x + 2 * i)) << 16;
    std::memcpy(y + i, &bits, 4);
  }
}

// block_q4_0 {d; qs[16]}: element j is the low nibble of qs[j], element j + 16 the high one. d * (q - 8).
void dequantize_q4_0(const uint8_t* x, float* y, int64_t nb) {
  for (int64_t b = 0; b < nb; ++b, x += 18, y += kQK) {
    const float d = half_at(x);
    const uint8_t* qs = x + 2;
    for (int j = 0; j < 16; ++j) {
      y[j] = d * static_cast<float>((qs[j] & 0x0f) - 8);
      y[j + 16] = d * static_cast<float>((qs[j] >> 4) - 8);
    }
  }
}

// block_q4_1 {d; m; qs[16]}: (d * q) + m.
void dequantize_q4_1(const uint8_t* x, float* y, int64_t nb) {
  for (int64_t b = 0; b < nb; ++b, x += 20, y += kQK) {
    const float d = half_at(x), m = half_at(x + 2);
    const uint8_t* qs = x + 4;
    for (int j = 0; j < 16; ++j) {
      y[j] = d * static_cast<float>(qs[j] & 0x0f) + m;
      y[j + 16] = d * static_cast<float>(qs[j] >> 4) + m;
    }
  }
}

// block_q5_0 {d; qh[4]; qs[16]}: bit j of the little-endian u32 qh is element j's fifth bit. d * (q - 16).
void dequantize_q5_0(const uint8_t* x, float* y, int64_t nb) {
  for (int64_t b = 0; b < nb; ++b, x += 22, y += kQK) {
    const float d = half_at(x);
    const uint32_t qh = le32(x + 2);
    const uint8_t* qs = x + 6;
    for (int j = 0; j < 16; ++j) {
      const int lo = (qs[j] & 0x0f) | static_cast<int>(((qh >> j) & 1u) << 4);
      const int hi = (qs[j] >> 4) | static_cast<int>(((qh >> (j + 16)) & 1u) << 4);
      y[j] = d * static_cast<float>(lo - 16);
      y[j + 16] = d * static_cast<float>(hi - 16);
    }
  }
}

// block_q5_1 {d; m; qh[4]; qs[16]}: (d * q) + m.
void dequantize_q5_1(const uint8_t* x, float* y, int64_t nb) {
  for (int64_t b = 0; b < nb; ++b, x += 24, y += kQK) {
    const float d = half_at(x), m = half_at(x + 2);
    const uint32_t qh = le32(x + 4);
    const uint8_t* qs = x + 8;
    for (int j = 0; j < 16; ++j) {
      const unsigned lo = (qs[j] & 0x0fu) | (((qh >> j) & 1u) << 4);
      const unsigned hi = (qs[j] >> 4) | (((qh >> (j + 16)) & 1u) << 4);
      y[j] = d * static_cast<float>(lo) + m;
      y[j + 16] = d * static_cast<float>(hi) + m;
    }
  }
}

// block_q8_0 {d; int8 qs[32]}: q * d.
void dequantize_q8_0(const uint8_t* x, float* y, int64_t nb) {
  for (int64_t b = 0; b < nb; ++b, x += 34, y += kQK) {
    const float d = half_at(x);
    for (int j = 0; j < 32; ++j) y[j] = static_cast<float>(static_cast<int8_t>(x[2 + j])) * d;
  }
}

// block_q2_K {scales[16]; qs[64]; d; dmin}: 16 groups of 16, group g scaled by d * (scales[g] & 15)
// with minimum dmin * (scales[g] >> 4). Element 128 n + 32 s + l is bits 2s..2s+1 of qs[32 n + l];
// its group is 8 n + 2 s + l / 16. (d * sc) * q - (dmin * m).
void dequantize_q2_k(const uint8_t* x, float* y, int64_t nb) {
  for (int64_t b = 0; b < nb; ++b, x += 84, y += kQK_K) {
    const uint8_t* scales = x;
    const float d = half_at(x + 80), dmin = half_at(x + 82);
    for (int n = 0; n < 2; ++n) {
      const uint8_t* q = x + 16 + 32 * n;
      for (int s = 0; s < 4; ++s) {
        for (int sub = 0; sub < 2; ++sub) {
          const uint8_t sc = scales[8 * n + 2 * s + sub];
          const float dl = d * static_cast<float>(sc & 0x0f), ml = dmin * static_cast<float>(sc >> 4);
          float* out = y + 128 * n + 32 * s + 16 * sub;
          for (int l = 0; l < 16; ++l) out[l] = dl * static_cast<float>((q[16 * sub + l] >> (2 * s)) & 3) - ml;
        }
      }
    }
  }
}

// block_q3_K {hmask[32]; qs[64]; scales[12]; d}: 16 groups of 16 with signed 6-bit scales (low 4 bits
// in scales[0..7]'s nibbles, high 2 bits in scales[8..11]), minus 32. Element 128 n + 32 s + l: low
// bits 2s..2s+1 of qs[32 n + l]; bit 4 n + s of hmask[l] set means q, clear means q - 4.
// (d * sc) * q.
void dequantize_q3_k(const uint8_t* x, float* y, int64_t nb) {
  for (int64_t b = 0; b < nb; ++b, x += 110, y += kQK_K) {
    const uint8_t* hmask = x;
    const uint8_t* qs = x + 32;
    const uint8_t* sc = x + 96;
    const float d = half_at(x + 108);
    float dl[16];
    for (int i = 0; i < 16; ++i) {
      const int lo = i < 8 ? (sc[i] & 0x0f) : (sc[i - 8] >> 4);
      const int hi = (sc[8 + i % 4] >> (2 * (i / 4))) & 3;
      dl[i] = d * static_cast<float>((lo | (hi << 4)) - 32);
    }
    for (int n = 0; n < 2; ++n) {
      for (int s = 0; s < 4; ++s) {
        const int e0 = 128 * n + 32 * s;
        for (int l = 0; l < 32; ++l) {
          const int ql = (qs[32 * n + l] >> (2 * s)) & 3;
          const int h = (hmask[l] >> (4 * n + s)) & 1;
          y[e0 + l] = dl[(e0 + l) / 16] * static_cast<float>(ql - ((h ^ 1) << 2));
        }
      }
    }
  }
}

// The 8 six-bit scales and mins of Q4_K / Q5_K (ggml's get_scale_min_k4).
inline void scale_min_k4(const uint8_t* s, uint8_t* sc, uint8_t* m) {
  for (int j = 0; j < 4; ++j) {
    sc[j] = s[j] & 63;
    m[j] = s[j + 4] & 63;
    sc[j + 4] = static_cast<uint8_t>((s[j + 8] & 0x0f) | ((s[j] >> 6) << 4));
    m[j + 4] = static_cast<uint8_t>((s[j + 8] >> 4) | ((s[j + 4] >> 6) << 4));
  }
}

// block_q4_K {d; dmin; scales[12]; qs[128]}: 8 groups of 32; group 2j is the low nibbles of
// qs[32 j .. 32 j + 31], group 2j + 1 the high ones. (d * sc) * q - (dmin * m).
void dequantize_q4_k(const uint8_t* x, float* y, int64_t nb) {
  for (int64_t b = 0; b < nb; ++b, x += 144, y += kQK_K) {
    const float d = half_at(x), dmin = half_at(x + 2);
    uint8_t sc[8], m[8];
    scale_min_k4(x + 4, sc, m);
    const uint8_t* qs = x + 16;
    for (int g = 0; g < 8; ++g) {
      const float dl = d * static_cast<float>(sc[g]), ml = dmin * static_cast<float>(m[g]);
      const uint8_t* q = qs + 32 * (g / 2);
      const int shift = 4 * (g % 2);
      for (int l = 0; l < 32; ++l) y[32 * g + l] = dl * static_cast<float>((q[l] >> shift) & 0x0f) - ml;
    }
  }
}

// block_q5_K {d; dmin; scales[12]; qh[32]; qs[128]}: Q4_K's nibbles plus bit g of qh[l] as the fifth bit.
void dequantize_q5_k(const uint8_t* x, float* y, int64_t nb) {
  for (int64_t b = 0; b < nb; ++b, x += 176, y += kQK_K) {
    const float d = half_at(x), dmin = half_at(x + 2);
    uint8_t sc[8], m[8];
    scale_min_k4(x + 4, sc, m);
    const uint8_t* qh = x + 16;
    const uint8_t* qs = x + 48;
    for (int g = 0; g < 8; ++g) {
      const float dl = d * static_cast<float>(sc[g]), ml = dmin * static_cast<float>(m[g]);
      const uint8_t* q = qs + 32 * (g / 2);
      const int shift = 4 * (g % 2);
      for (int l = 0; l < 32; ++l) {
        const int v = ((q[l] >> shift) & 0x0f) | (((qh[l] >> g) & 1) << 4);
        y[32 * g + l] = dl * static_cast<float>(v) - ml;
      }
    }
  }
}

// block_q6_K {ql[128]; qh[64]; int8 scales[16]; d}: 16 groups of 16. Element 128 n + 32 s + l: low
// nibble (s < 2) or high nibble (s >= 2) of ql[64 n + 32 (s & 1) + l], high 2 bits are bits 2s..2s+1
// of qh[32 n + l]; the 6-bit value minus 32. (d * scale) * q.
void dequantize_q6_k(const uint8_t* x, float* y, int64_t nb) {
  for (int64_t b = 0; b < nb; ++b, x += 210, y += kQK_K) {
    const uint8_t* ql = x;
    const uint8_t* qh = x + 128;
    const uint8_t* scales = x + 192;
    const float d = half_at(x + 208);
    float dl[16];
    for (int i = 0; i < 16; ++i) dl[i] = d * static_cast<float>(static_cast<int8_t>(scales[i]));
    for (int n = 0; n < 2; ++n) {
      for (int s = 0; s < 4; ++s) {
        const int e0 = 128 * n + 32 * s;
        const uint8_t* lo = ql + 64 * n + 32 * (s & 1);
        const int shift = 4 * (s >> 1);
        for (int l = 0; l < 32; ++l) {
          const int v = ((lo[l] >> shift) & 0x0f) | (((qh[32 * n + l] >> (2 * s)) & 3) << 4);
          y[e0 + l] = dl[(e0 + l) / 16] * static_cast<float>(v - 32);
        }
      }
    }
  }
}

// The integer forms (quant_form): each block's groups, scale and offset as the dequantizer above
// forms them, the quant as the integer it multiplies.
void decode_q4_0(const uint8_t* x, int64_t nb, int8_t* q, float* s, float*) {
  for (int64_t b = 0; b < nb; ++b, x += 18, q += kQK) {
    s[b] = half_at(x);
    for (int j = 0; j < 16; ++j) {
      q[j] = static_cast<int8_t>((x[2 + j] & 0x0f) - 8);
      q[j + 16] = static_cast<int8_t>((x[2 + j] >> 4) - 8);
    }
  }
}
void decode_q4_1(const uint8_t* x, int64_t nb, int8_t* q, float* s, float* a) {
  for (int64_t b = 0; b < nb; ++b, x += 20, q += kQK) {
    s[b] = half_at(x);
    a[b] = half_at(x + 2);
    for (int j = 0; j < 16; ++j) {
      q[j] = static_cast<int8_t>(x[4 + j] & 0x0f);
      q[j + 16] = static_cast<int8_t>(x[4 + j] >> 4);
    }
  }
}
void decode_q5_0(const uint8_t* x, int64_t nb, int8_t* q, float* s, float*) {
  for (int64_t b = 0; b < nb; ++b, x += 22, q += kQK) {
    s[b] = half_at(x);
    const uint32_t qh = le32(x + 2);
    for (int j = 0; j < 16; ++j) {
      q[j] = static_cast<int8_t>(((x[6 + j] & 0x0f) | static_cast<int>(((qh >> j) & 1u) << 4)) - 16);
      q[j + 16] = static_cast<int8_t>(((x[6 + j] >> 4) | static_cast<int>(((qh >> (j + 16)) & 1u) << 4)) - 16);
    }
  }
}
void decode_q5_1(const uint8_t* x, int64_t nb, int8_t* q, float* s, float* a) {
  for (int64_t b = 0; b < nb; ++b, x += 24, q += kQK) {
    s[b] = half_at(x);
    a[b] = half_at(x + 2);
    const uint32_t qh = le32(x + 4);
    for (int j = 0; j < 16; ++j) {
      q[j] = static_cast<int8_t>((x[8 + j] & 0x0fu) | (((qh >> j) & 1u) << 4));
      q[j + 16] = static_cast<int8_t>((x[8 + j] >> 4) | (((qh >> (j + 16)) & 1u) << 4));
    }
  }
}
void decode_q8_0(const uint8_t* x, int64_t nb, int8_t* q, float* s, float*) {
  for (int64_t b = 0; b < nb; ++b, x += 34, q += kQK) {
    s[b] = half_at(x);
    std::memcpy(q, x + 2, 32);
  }
}
void decode_q2_k(const uint8_t* x, int64_t nb, int8_t* q, float* s, float* a) {
  for (int64_t b = 0; b < nb; ++b, x += 84, q += kQK_K, s += 16, a += 16) {
    const float d = half_at(x + 80), dmin = half_at(x + 82);
    for (int n = 0; n < 2; ++n)
      for (int sh = 0; sh < 4; ++sh)
        for (int sub = 0; sub < 2; ++sub) {
          const int g = 8 * n + 2 * sh + sub;  // = (128 n + 32 sh + 16 sub) / 16
          const uint8_t sc = x[8 * n + 2 * sh + sub];
          s[g] = d * static_cast<float>(sc & 0x0f);
          a[g] = -(dmin * static_cast<float>(sc >> 4));
          for (int l = 0; l < 16; ++l)
            q[16 * g + l] = static_cast<int8_t>((x[16 + 32 * n + 16 * sub + l] >> (2 * sh)) & 3);
        }
  }
}
void decode_q3_k(const uint8_t* x, int64_t nb, int8_t* q, float* s, float*) {
  for (int64_t b = 0; b < nb; ++b, x += 110, q += kQK_K, s += 16) {
    const uint8_t* hmask = x;
    const uint8_t* qs = x + 32;
    const uint8_t* sc = x + 96;
    const float d = half_at(x + 108);
    for (int i = 0; i < 16; ++i) {
      const int lo = i < 8 ? (sc[i] & 0x0f) : (sc[i - 8] >> 4);
      const int hi = (sc[8 + i % 4] >> (2 * (i / 4))) & 3;
      s[i] = d * static_cast<float>((lo | (hi << 4)) - 32);
    }
    for (int n = 0; n < 2; ++n)
      for (int sh = 0; sh < 4; ++sh)
        for (int l = 0; l < 32; ++l) {
          const int ql = (qs[32 * n + l] >> (2 * sh)) & 3;
          const int h = (hmask[l] >> (4 * n + sh)) & 1;
          q[128 * n + 32 * sh + l] = static_cast<int8_t>(ql - ((h ^ 1) << 2));
        }
  }
}
void decode_q4_k(const uint8_t* x, int64_t nb, int8_t* q, float* s, float* a) {
  for (int64_t b = 0; b < nb; ++b, x += 144, q += kQK_K, s += 8, a += 8) {
    const float d = half_at(x), dmin = half_at(x + 2);
    uint8_t sc[8], m[8];
    scale_min_k4(x + 4, sc, m);
    for (int g = 0; g < 8; ++g) {
      s[g] = d * static_cast<float>(sc[g]);
      a[g] = -(dmin * static_cast<float>(m[g]));
      const uint8_t* src = x + 16 + 32 * (g / 2);
      for (int l = 0; l < 32; ++l) q[32 * g + l] = static_cast<int8_t>((src[l] >> (4 * (g % 2))) & 0x0f);
    }
  }
}
void decode_q5_k(const uint8_t* x, int64_t nb, int8_t* q, float* s, float* a) {
  for (int64_t b = 0; b < nb; ++b, x += 176, q += kQK_K, s += 8, a += 8) {
    const float d = half_at(x), dmin = half_at(x + 2);
    uint8_t sc[8], m[8];
    scale_min_k4(x + 4, sc, m);
    const uint8_t* qh = x + 16;
    for (int g = 0; g < 8; ++g) {
      s[g] = d * static_cast<float>(sc[g]);
      a[g] = -(dmin * static_cast<float>(m[g]));
      const uint8_t* src = x + 48 + 32 * (g / 2);
      for (int l = 0; l < 32; ++l)
        q[32 * g + l] = static_cast<int8_t>(((src[l] >> (4 * (g % 2))) & 0x0f) | (((qh[l] >> g) & 1) << 4));
    }
  }
}
void decode_q6_k(const uint8_t* x, int64_t nb, int8_t* q, float* s, float*) {
  for (int64_t b = 0; b < nb; ++b, x += 210, q += kQK_K, s += 16) {
    const uint8_t* ql = x;
    const uint8_t* qh = x + 128;
    const float d = half_at(x + 208);
    for (int i = 0; i < 16; ++i) s[i] = d * static_cast<float>(static_cast<int8_t>(x[192 + i]));
    for (int n = 0; n < 2; ++n)
      for (int sh = 0; sh < 4; ++sh) {
        const uint8_t* lo = ql + 64 * n + 32 * (sh & 1);
        for (int l = 0; l < 32; ++l) {
          const int v = ((lo[l] >> (4 * (sh >> 1))) & 0x0f) | (((qh[32 * n + l] >> (2 * sh)) & 3) << 4);
          q[128 * n + 32 * sh + l] = static_cast<int8_t>(v - 32);
        }
      }
  }
}

struct FormEntry {
  GgmlType type;
  QuantForm form;
  void (*decode)(const uint8_t*, int64_t, int8_t*, float*, float*);
  int64_t block;
};
constexpr FormEntry kForms[] = {
    {GgmlType::kQ4_0, {32, false, false}, decode_q4_0, kQK}, {GgmlType::kQ4_1, {32, true, true}, decode_q4_1, kQK},
    {GgmlType::kQ5_0, {32, false, false}, decode_q5_0, kQK}, {GgmlType::kQ5_1, {32, true, false}, decode_q5_1, kQK},
    {GgmlType::kQ8_0, {32, false, false}, decode_q8_0, kQK}, {GgmlType::kQ2_K, {16, true, false}, decode_q2_k, kQK_K},
    {GgmlType::kQ3_K, {16, false, false}, decode_q3_k, kQK_K}, {GgmlType::kQ4_K, {32, true, true}, decode_q4_k, kQK_K},
    {GgmlType::kQ5_K, {32, true, false}, decode_q5_k, kQK_K}, {GgmlType::kQ6_K, {16, false, false}, decode_q6_k, kQK_K},
};

const FormEntry* form_entry(GgmlType type) {
  for (const auto& f : kForms)
    if (f.type == type) return &f;
  return nullptr;
}

}  // namespace

bool quant_form(GgmlType type, QuantForm* form) {
  const FormEntry* f = form_entry(type);
  if (f && form) *form = f->form;
  return f != nullptr;
}

void decode_quant_row(GgmlType type, const uint8_t* src, int64_t n, int8_t* q, float* scale, float* offset) {
  const FormEntry* f = form_entry(type);
  if (!f) throw Error(std::string("ggml type ") + ggml_type_name(type) + " has no integer form", kExitInput);
  if (n % f->block != 0)
    throw Error(std::string("a row of ") + std::to_string(n) + " elements is not whole " + ggml_type_name(type) +
                    " blocks",
                kExitInput);
  f->decode(src, n / f->block, q, scale, offset);
}

const GgmlTypeInfo* ggml_type_info(uint32_t id) {
  for (const auto& t : kTypes)
    if (static_cast<uint32_t>(t.type) == id) return &t;
  return nullptr;
}

const GgmlTypeInfo& ggml_type_info(GgmlType type) {
  const GgmlTypeInfo* t = ggml_type_info(static_cast<uint32_t>(type));
  if (!t) throw Error("ggml type number " + std::to_string(static_cast<uint32_t>(type)) + " is not a ggml type");
  return *t;
}

const char* ggml_type_name(GgmlType type) {
  const GgmlTypeInfo* t = ggml_type_info(static_cast<uint32_t>(type));
  return t ? t->name : "?";
}

const char* ggml_removed_type_name(uint32_t id) {
  for (const auto& r : kRemoved)
    if (r.id == id) return r.name;
  return nullptr;
}

std::string ggml_dequantizable_types() {
  // The order a reader thinks in: floats, then the legacy blocks, then the K-quants.
  static const GgmlType kOrder[] = {GgmlType::kF32,  GgmlType::kF16,  GgmlType::kBF16, GgmlType::kQ4_0, GgmlType::kQ4_1,
                                    GgmlType::kQ5_0, GgmlType::kQ5_1, GgmlType::kQ8_0, GgmlType::kQ2_K, GgmlType::kQ3_K,
                                    GgmlType::kQ4_K, GgmlType::kQ5_K, GgmlType::kQ6_K};
  std::string s;
  for (GgmlType t : kOrder) {
    if (!s.empty()) s += ", ";
    s += ggml_type_name(t);
  }
  return s;
}

float ggml_f16_to_f32(uint16_t h) {
  // Shift exponent and mantissa into place and rebias; infinities/NaNs get the all-ones exponent, and
  // zeros/subnormals are renormalised by one exact float subtraction (F. Giesen's half_to_float).
  constexpr uint32_t kShiftedExp = 0x7c00u << 13;
  uint32_t o = (static_cast<uint32_t>(h) & 0x7fffu) << 13;
  const uint32_t exp = o & kShiftedExp;
  o += (127u - 15u) << 23;
  if (exp == kShiftedExp) {
    o += (128u - 16u) << 23;
  } else if (exp == 0) {
    o += 1u << 23;
    float f, magic;
    const uint32_t magic_bits = 113u << 23;  // 2^-14
    std::memcpy(&f, &o, 4);
    std::memcpy(&magic, &magic_bits, 4);
    f -= magic;
    std::memcpy(&o, &f, 4);
  }
  o |= (static_cast<uint32_t>(h) & 0x8000u) << 16;
  float out;
  std::memcpy(&out, &o, 4);
  return out;
}

void dequantize_row(GgmlType type, const uint8_t* src, float* dst, int64_t n) {
  const GgmlTypeInfo* info = ggml_type_info(static_cast<uint32_t>(type));
  if (!info || !info->dequantizable)
    throw Error(std::string("ggml type ") + (info ? info->name : std::to_string(static_cast<uint32_t>(type)).c_str()) +
                    " is not one attnlab reads; supported: " + ggml_dequantizable_types(),
                kExitInput);
  if (n < 0 || n % info->block_size != 0)
    throw Error("dequantize_row: " + std::to_string(n) + " elements of " + info->name + ", expected a multiple of " +
                    std::to_string(info->block_size),
                kExitInput);
  if (n == 0) return;  // src / dst may be null for an empty row
  const int64_t nb = n / info->block_size;
  switch (type) {
    case GgmlType::kF32:
      return dequantize_f32(src, dst, n);
    case GgmlType::kF16:
      return dequantize_f16(src, dst, n);
    case GgmlType::kBF16:
      return dequantize_bf16(src, dst, n);
    case GgmlType::kQ4_0:
      return dequantize_q4_0(src, dst, nb);
    case GgmlType::kQ4_1:
      return dequantize_q4_1(src, dst, nb);
    case GgmlType::kQ5_0:
      return dequantize_q5_0(src, dst, nb);
    case GgmlType::kQ5_1:
      return dequantize_q5_1(src, dst, nb);
    case GgmlType::kQ8_0:
      return dequantize_q8_0(src, dst, nb);
    case GgmlType::kQ2_K:
      return dequantize_q2_k(src, dst, nb);
    case GgmlType::kQ3_K:
      return dequantize_q3_k(src, dst, nb);
    case GgmlType::kQ4_K:
      return dequantize_q4_k(src, dst, nb);
    case GgmlType::kQ5_K:
      return dequantize_q5_k(src, dst, nb);
    case GgmlType::kQ6_K:
      return dequantize_q6_k(src, dst, nb);
    default:
      break;  // not dequantizable: refused above
  }
}

}  // namespace attnlab
