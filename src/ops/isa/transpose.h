// A matrix transpose for the kernels' packing steps (ops/isa/kernels.h builds each instruction
// set): 8 x 8 and 4 x 8 blocks in registers on AVX2, the edges element by element.
#pragma once
#include <cstddef>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace attnlab::ATTNLAB_ISA_NS {

// dst[c * ldd + r] = src[r * lds + c] for r < rows, c < cols.
inline void transpose(const float* src, size_t lds, int rows, int cols, float* dst, size_t ldd) {
  int r = 0;
#if defined(__AVX2__)
  for (; r + 8 <= rows; r += 8) {
    const float* s = src + r * lds;
    int c = 0;
    for (; c + 8 <= cols; c += 8) {
      __m256 t[8], u[8];
      for (int i = 0; i < 8; ++i) t[i] = _mm256_loadu_ps(s + i * lds + c);
      for (int i = 0; i < 8; i += 2) {
        u[i] = _mm256_unpacklo_ps(t[i], t[i + 1]);
        u[i + 1] = _mm256_unpackhi_ps(t[i], t[i + 1]);
      }
      for (int i = 0; i < 8; i += 4) {
        t[i] = _mm256_shuffle_ps(u[i], u[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
        t[i + 1] = _mm256_shuffle_ps(u[i], u[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
        t[i + 2] = _mm256_shuffle_ps(u[i + 1], u[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
        t[i + 3] = _mm256_shuffle_ps(u[i + 1], u[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
      }
      // t[j] holds column j (rows 0-3) and column j + 4 (rows 0-3) of the first four rows; t[j + 4]
      // the same of the last four.
      float* d = dst + c * ldd + r;
      for (int j = 0; j < 4; ++j) {
        _mm256_storeu_ps(d + j * ldd, _mm256_permute2f128_ps(t[j], t[j + 4], 0x20));
        _mm256_storeu_ps(d + (j + 4) * ldd, _mm256_permute2f128_ps(t[j], t[j + 4], 0x31));
      }
    }
    for (; c < cols; ++c)
      for (int i = 0; i < 8; ++i) dst[c * ldd + r + i] = s[i * lds + c];
  }
  for (; r + 4 <= rows; r += 4) {
    const float* s = src + r * lds;
    int c = 0;
    for (; c + 8 <= cols; c += 8) {
      __m256 t[4], u[4];
      for (int i = 0; i < 4; ++i) t[i] = _mm256_loadu_ps(s + i * lds + c);
      u[0] = _mm256_unpacklo_ps(t[0], t[1]);
      u[1] = _mm256_unpackhi_ps(t[0], t[1]);
      u[2] = _mm256_unpacklo_ps(t[2], t[3]);
      u[3] = _mm256_unpackhi_ps(t[2], t[3]);
      t[0] = _mm256_shuffle_ps(u[0], u[2], _MM_SHUFFLE(1, 0, 1, 0));
      t[1] = _mm256_shuffle_ps(u[0], u[2], _MM_SHUFFLE(3, 2, 3, 2));
      t[2] = _mm256_shuffle_ps(u[1], u[3], _MM_SHUFFLE(1, 0, 1, 0));
      t[3] = _mm256_shuffle_ps(u[1], u[3], _MM_SHUFFLE(3, 2, 3, 2));
      // t[j]: column j in the low half, column j + 4 in the high half.
      float* d = dst + c * ldd + r;
      for (int j = 0; j < 4; ++j) {
        _mm_storeu_ps(d + j * ldd, _mm256_castps256_ps128(t[j]));
        _mm_storeu_ps(d + (j + 4) * ldd, _mm256_extractf128_ps(t[j], 1));
      }
    }
    for (; c < cols; ++c)
      for (int i = 0; i < 4; ++i) dst[c * ldd + r + i] = s[i * lds + c];
  }
#endif
  for (; r < rows; ++r)
    for (int c = 0; c < cols; ++c) dst[c * ldd + r] = src[r * lds + c];
}

}  // namespace attnlab::ATTNLAB_ISA_NS
