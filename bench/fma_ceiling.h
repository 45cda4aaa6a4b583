// The FMA units' ceiling for the benchmark drivers: 12 independent chains of fused multiply-adds
// per thread, no memory, on the pool's threads. Every loop over the chains fully unrolled: otherwise
// GCC keeps the array in memory, and a load, FMA and store per step (store-forwarding latency, not
// the FMA units) sets the pace, about 0.6x of the real ceiling on a Zen 5.
#pragma once

#include <immintrin.h>

#include <chrono>
#include <cstdio>
#include <vector>

#include "core/cpu.h"
#include "core/thread_pool.h"

namespace attnlab::bench {

__attribute__((target("avx2,fma"))) inline float fma_chains_256(long iters) {
  __m256 acc[12];
#pragma GCC unroll 12
  for (int j = 0; j < 12; ++j) acc[j] = _mm256_set1_ps(0.001f * j);
  const __m256 a = _mm256_set1_ps(0.999f), b = _mm256_set1_ps(1e-4f);
  for (long i = 0; i < iters; ++i)
#pragma GCC unroll 12
    for (int j = 0; j < 12; ++j) acc[j] = _mm256_fmadd_ps(acc[j], a, b);
  __m256 s = acc[0];
#pragma GCC unroll 12
  for (int j = 1; j < 12; ++j) s = _mm256_add_ps(s, acc[j]);
  return _mm256_cvtss_f32(s);
}

__attribute__((target("avx512f"))) inline float fma_chains_512(long iters) {
  __m512 acc[12];
#pragma GCC unroll 12
  for (int j = 0; j < 12; ++j) acc[j] = _mm512_set1_ps(0.001f * j);
  const __m512 a = _mm512_set1_ps(0.999f), b = _mm512_set1_ps(1e-4f);
  for (long i = 0; i < iters; ++i)
#pragma GCC unroll 12
    for (int j = 0; j < 12; ++j) acc[j] = _mm512_fmadd_ps(acc[j], a, b);
  __m512 s = acc[0];
#pragma GCC unroll 12
  for (int j = 1; j < 12; ++j) s = _mm512_add_ps(s, acc[j]);
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, s);
  float sum = 0.0f;
  for (float v : lanes) sum += v;
  return sum;
}

// GFLOP/s at the vector width `bits` (256 or 512); 0 when the CPU lacks it.
inline double fma_ceiling_gflops(int bits) {
  if (!isa_supported(bits == 512 ? Isa::kAvx512 : Isa::kAvx2)) return 0.0;
  const int threads = num_threads();
  constexpr long kIters = 20'000'000;
  std::vector<float> sink(static_cast<size_t>(threads));
  const auto t0 = std::chrono::steady_clock::now();
  parallel_for(threads, [&](int t) {
    sink[static_cast<size_t>(t)] = bits == 512 ? fma_chains_512(kIters) : fma_chains_256(kIters);
  });
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (sink[0] == 12345.0f) std::printf(" ");  // keeps the chains from being optimised away
  return static_cast<double>(kIters) * 12 * (bits / 32) * 2 * threads / seconds / 1e9;
}

}  // namespace attnlab::bench
