// The packed-weight linear layer's kernels (see ops/packed_linear.h), built once per instruction
// set (ops/isa/kernels.h): a 6x16 register-blocked AVX2 kernel, or plain loops in the same order.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/thread_pool.h"
#include "ops/isa/kernels.h"
#include "ops/isa/transpose.h"
#include "ops/packed_linear.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define ATTNLAB_HAVE_AVX2 1
#endif

namespace attnlab::ATTNLAB_ISA_NS {
namespace {

constexpr int kP = PackedWeight::kPanel;

// Weights to pull into cache while a kernel runs: bytes next + k * step (and, for a kernel over two
// panels, next + second + k * step) at k step k (step 0: none). The loops hand each pass over a
// k-block a slice of the next k-block, so DRAM keeps streaming while the rows after the first pass
// re-read the current one from cache.
struct Prefetch {
  const char* next = nullptr;
  int step = 0;
  size_t second = 0;  // bytes from one panel to the next; 0: one panel
};

#ifdef ATTNLAB_HAVE_AVX2
// Unused in the AVX-512 build, whose float32 kernel is kernel512.
[[maybe_unused]] inline void load16(const float* p, __m256& w0, __m256& w1) {
  w0 = _mm256_load_ps(p);
  w1 = _mm256_load_ps(p + 8);
  // Pin both in registers: folded into each FMA as a memory operand, they would cost 13 loads per
  // k step instead of 8 and the load ports, not the FMA units, would set the pace.
  __asm__("" : "+x"(w0), "+x"(w1));
}
// bfloat16 panels store column j of each k row at slot PackedWeight::bf16_slot(j): columns 0-7 in the low and
// 8-15 in the high halves of eight 32-bit lanes, so widening is one shift and one mask, with no
// lane-crossing shuffles competing with the FMAs for vector ports.
inline void load16(const uint16_t* p, __m256& w0, __m256& w1) {
  const __m256i raw = _mm256_load_si256(reinterpret_cast<const __m256i*>(p));
  w0 = _mm256_castsi256_ps(_mm256_slli_epi32(raw, 16));
  w1 = _mm256_castsi256_ps(_mm256_and_si256(raw, _mm256_set1_epi32(static_cast<int>(0xffff0000u))));
  __asm__("" : "+x"(w0), "+x"(w1));
}

// Twelve named accumulators rather than an array: GCC keeps a __m256 array in memory, storing it
// every k step, and the loads and stores then set the pace, not the FMAs.
template <int R, bool kPacked, typename W>
inline void kernel(const float* __restrict x, int ldx, int kc, const W* __restrict panel, const float* init, int ldi,
                   float* out, int ldo, Prefetch pf) {
  static_assert(R >= 1 && R <= 6);
  __m256 c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
#define ATTNLAB_ROWS(M) M(0) M(1) M(2) M(3) M(4) M(5)
#define ATTNLAB_INIT(r)                                                \
  if constexpr (R > r) {                                               \
    c##r##0 = _mm256_loadu_ps(init + static_cast<size_t>(r) * ldi);    \
    c##r##1 = _mm256_loadu_ps(init + static_cast<size_t>(r) * ldi + 8); \
  }
#define ATTNLAB_FMA(r)                                                                                        \
  if constexpr (R > r) {                                                                                      \
    const __m256 xb = _mm256_broadcast_ss(kPacked ? x + static_cast<size_t>(k) * R + r                          \
                                                  : x + static_cast<size_t>(r) * ldx + k);                    \
    c##r##0 = _mm256_fmadd_ps(xb, w0, c##r##0);                                                               \
    c##r##1 = _mm256_fmadd_ps(xb, w1, c##r##1);                                                               \
  }
#define ATTNLAB_STORE(r)                                               \
  if constexpr (R > r) {                                               \
    _mm256_storeu_ps(out + static_cast<size_t>(r) * ldo, c##r##0);     \
    _mm256_storeu_ps(out + static_cast<size_t>(r) * ldo + 8, c##r##1); \
  }
  ATTNLAB_ROWS(ATTNLAB_INIT)
#pragma GCC unroll 4  // fewer loop-control uops between the FMAs
  for (int k = 0; k < kc; ++k) {
    __m256 w0, w1;
    if (pf.step) _mm_prefetch(pf.next + static_cast<size_t>(k) * pf.step, _MM_HINT_T0);
    load16(panel + static_cast<size_t>(k) * kP, w0, w1);
    ATTNLAB_ROWS(ATTNLAB_FMA)
  }
  ATTNLAB_ROWS(ATTNLAB_STORE)
#undef ATTNLAB_STORE
#undef ATTNLAB_FMA
#undef ATTNLAB_INIT
#undef ATTNLAB_ROWS
}

#if defined(__AVX512F__)
#define ATTNLAB_HAVE_AVX512 1
// The AVX-512 build's float32 kernel: R rows x NP panels (one 16-wide vector each), up to 12 x 2 =
// 24 accumulators. Each output sums its k products in the same order, fused, as the 256-bit and
// scalar kernels, so every build gives the same bits. Panel j + 1 starts `pstride` floats after j.
template <int R, int NP, bool kPacked>
inline void kernel512(const float* __restrict x, int ldx, int kc, const float* __restrict panel, size_t pstride,
                      const float* init, int ldi, float* out, int ldo, Prefetch pf) {
  static_assert(R >= 1 && R <= 12 && NP >= 1 && NP <= 2);
  __m512 c0_0, c0_1, c1_0, c1_1, c2_0, c2_1, c3_0, c3_1, c4_0, c4_1, c5_0, c5_1, c6_0, c6_1, c7_0, c7_1, c8_0, c8_1,
      c9_0, c9_1, c10_0, c10_1, c11_0, c11_1;
#define ATTNLAB_ROWS(M) M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7) M(8) M(9) M(10) M(11)
#define ATTNLAB_INIT(r)                                                                        \
  if constexpr (R > r) {                                                                       \
    c##r##_0 = _mm512_loadu_ps(init + static_cast<size_t>(r) * ldi);                           \
    if constexpr (NP > 1) c##r##_1 = _mm512_loadu_ps(init + static_cast<size_t>(r) * ldi + kP); \
  }
#define ATTNLAB_FMA(r)                                                                                            \
  if constexpr (R > r) {                                                                                          \
    const __m512 xb = _mm512_set1_ps(kPacked ? x[static_cast<size_t>(k) * R + r] : x[static_cast<size_t>(r) * ldx + k]); \
    c##r##_0 = _mm512_fmadd_ps(xb, w0, c##r##_0);                                                                 \
    if constexpr (NP > 1) c##r##_1 = _mm512_fmadd_ps(xb, w1, c##r##_1);                                           \
  }
#define ATTNLAB_STORE(r)                                                                       \
  if constexpr (R > r) {                                                                       \
    _mm512_storeu_ps(out + static_cast<size_t>(r) * ldo, c##r##_0);                            \
    if constexpr (NP > 1) _mm512_storeu_ps(out + static_cast<size_t>(r) * ldo + kP, c##r##_1); \
  }
  ATTNLAB_ROWS(ATTNLAB_INIT)
#pragma GCC unroll 2
  for (int k = 0; k < kc; ++k) {
    if (pf.step) {
      _mm_prefetch(pf.next + static_cast<size_t>(k) * pf.step, _MM_HINT_T0);
      if (pf.second) _mm_prefetch(pf.next + pf.second + static_cast<size_t>(k) * pf.step, _MM_HINT_T0);
    }
    __m512 w0 = _mm512_load_ps(panel + static_cast<size_t>(k) * kP), w1 = w0;
    if constexpr (NP > 1) w1 = _mm512_load_ps(panel + pstride + static_cast<size_t>(k) * kP);
    __asm__("" : "+v"(w0), "+v"(w1));  // in registers, not folded into each FMA (see load16)
    ATTNLAB_ROWS(ATTNLAB_FMA)
  }
  ATTNLAB_ROWS(ATTNLAB_STORE)
#undef ATTNLAB_STORE
#undef ATTNLAB_FMA
#undef ATTNLAB_INIT
#undef ATTNLAB_ROWS
}
#endif
#else
// Without AVX2: the same sums, fused in the same order (std::fma), so every build gives the same
// bits.
inline float widen(float w) { return w; }
inline float widen(uint16_t w) { return from_bf16(w); }

template <int R, bool kPacked, typename W>
inline void kernel(const float* x, int ldx, int kc, const W* panel, const float* init, int ldi, float* out, int ldo,
                   Prefetch) {
  for (int r = 0; r < R; ++r)
    for (int j = 0; j < kP; ++j) {
      float acc = init[static_cast<size_t>(r) * ldi + j];
      for (int k = 0; k < kc; ++k) {
        const float xv = kPacked ? x[static_cast<size_t>(k) * R + r] : x[static_cast<size_t>(r) * ldx + k];
        acc = std::fma(xv, widen(panel[static_cast<size_t>(k) * kP + (sizeof(W) == 2 ? PackedWeight::bf16_slot(j) : j)]), acc);
      }
      out[static_cast<size_t>(r) * ldo + j] = acc;
    }
}
#endif

// How a build tiles the product: rows per group (a kernel's rows) and panels per kernel call. The
// AVX-512 build's float32 kernel takes 12 rows x 2 panels; every other kernel 6 rows x 1 panel
// (6 x 16 outputs = 12 accumulators: the FMA units stay busy).
template <typename W>
struct Tiling {
#ifdef ATTNLAB_HAVE_AVX512
  static constexpr bool kWide = sizeof(W) == 4;
#else
  static constexpr bool kWide = false;
#endif
  static constexpr int kRows = kWide ? 12 : 6;
  static constexpr int kPanels = kWide ? 2 : 1;
};

// One kernel call: rows [0, R) x panels [0, NP) of one k-block, starting from init (stride ldi).
template <int R, int NP, bool kPacked, typename W>
inline void run_kernel(const float* x, int ldx, int kc, const W* panel, size_t pstride, const float* init, int ldi,
                       float* out, int ldo, Prefetch pf) {
#ifdef ATTNLAB_HAVE_AVX512
  if constexpr (Tiling<W>::kWide) {
    kernel512<R, NP, kPacked>(x, ldx, kc, panel, pstride, init, ldi, out, ldo, pf);
  } else
#endif
  {
    static_assert(NP == 1 && R <= 6);
    (void)pstride;
    kernel<R, kPacked, W>(x, ldx, kc, panel, init, ldi, out, ldo, pf);
  }
}

// Rows [0, R) of one k-block of NP panels. Full panels accumulate in y itself; the last, partial
// panel (cols < 16, always alone) goes through a 16-wide scratch tile. bias: the starting values
// of the first k-block (stride 0); later k-blocks start from y's partial sums.
template <int R, int NP, bool kPacked, typename W>
void tile(const float* x, int ldx, int kc, const W* panel, size_t pstride, const float* bias, bool first, float* y,
          int ldy, int cols, Prefetch pf) {
  if (cols == NP * kP) {
    if (first) run_kernel<R, NP, kPacked, W>(x, ldx, kc, panel, pstride, bias, 0, y, ldy, pf);
    else run_kernel<R, NP, kPacked, W>(x, ldx, kc, panel, pstride, y, ldy, y, ldy, pf);
    return;
  }
  if constexpr (NP == 1) {
    alignas(64) float scratch[R][kP] = {};
    if (!first)
      for (int r = 0; r < R; ++r) std::memcpy(scratch[r], y + static_cast<size_t>(r) * ldy, sizeof(float) * cols);
    if (first) run_kernel<R, 1, kPacked, W>(x, ldx, kc, panel, pstride, bias, 0, &scratch[0][0], kP, pf);
    else run_kernel<R, 1, kPacked, W>(x, ldx, kc, panel, pstride, &scratch[0][0], kP, &scratch[0][0], kP, pf);
    for (int r = 0; r < R; ++r) std::memcpy(y + static_cast<size_t>(r) * ldy, scratch[r], sizeof(float) * cols);
  }
}

// tile<n, NP, ...> for a run-time row count n in [1, Tiling<W>::kRows].
template <int NP, bool kPacked, typename W, int R = Tiling<W>::kRows>
void tile_n(int n, const float* x, int ldx, int kc, const W* panel, size_t pstride, const float* bias, bool first,
            float* y, int ldy, int cols, Prefetch pf) {
  if (n == R) tile<R, NP, kPacked, W>(x, ldx, kc, panel, pstride, bias, first, y, ldy, cols, pf);
  else if constexpr (R > 1) tile_n<NP, kPacked, W, R - 1>(n, x, ldx, kc, panel, pstride, bias, first, y, ldy, cols, pf);
}

// Rows split into ceil(rows / group) near-equal groups (by 6: 128 = 18 x 6 + 4 x 5, 9 = 5 + 4): no
// pass runs with the one or two rows an even split leaves, which have too few accumulators to hide
// the FMA latency.
struct RowGroups {
  int count, base, extra;
  RowGroups(int rows, int group) : count((rows + group - 1) / group), base(rows / count), extra(rows % count) {}
  int start(int g) const { return g * base + std::min(g, extra); }
  int size(int g) const { return base + (g < extra ? 1 : 0); }
};

// x packed by row group: group g (n rows from row r0 = start(g)) starts at r0 * in and holds
// x[r0 + r, k] at k * n + r.
void pack_rows(const float* x, const RowGroups& rg, int in, float* dst, int g0, int g1) {
  for (int g = g0; g < g1; ++g) {
    const int r0 = rg.start(g), n = rg.size(g);
    transpose(x + static_cast<size_t>(r0) * in, in, n, in, dst + static_cast<size_t>(r0) * in, n);
  }
}

// k-block of a long input: 768 x 16 weights per panel (48 kB, streamed from L2 by each row group).
// Smaller blocks that stay in L1 (256) were slower: the partial sums' extra reloads cost more than
// the L1 hits save.
constexpr int kKc = 768;
constexpr int kMc = 192;        // row block: at most 192 rows of packed x per pass over the panels
constexpr int kRowSplitFrom = 8;  // row blocks from which tasks split the rows rather than the panels
constexpr int kKcStream = 128;  // k-block of a short input: 8 kB of weights per panel, the next prefetched
constexpr size_t kStreamBytes = 256 * 1024;  // an x up to this size is read in place, panel by panel

// Panels [p0, p1) for every row, blocked as in BLIS: every row group of a row block passes over
// one k-block of a tile (Tiling<W>::kPanels panels; a lone last panel alone) before the next, and
// the row block's slice of x stays in cache while the panels pass. A short input (one row block)
// walks tile by tile so the weights stream from DRAM in address order; x is packed (xp) for
// longer inputs, read in place for short ones. `act` goes over each row group's tile as its last
// k-block is stored, while the tile is in L1.
template <typename W>
void panels_range(const float* x, const float* xp, int rows, const W* data, int in, int out, const float* b, float* y,
                  int ldy, int p0, int p1, int ga, int gb, Activation act) {
  constexpr int kWidth = Tiling<W>::kPanels;
  const RowGroups rg(rows, Tiling<W>::kRows);
  const size_t pstride = static_cast<size_t>(in) * kP;
  // Panels in the tile at panel p: kWidth when that many full panels remain, else 1.
  auto width = [&](int p) { return p + kWidth <= p1 && (p + kWidth) * kP <= out ? kWidth : 1; };
  // One k-block of the tile at panel p (np panels) for row groups [g0, g1); `next`: the k-block
  // the loop visits after it.
  auto block = [&](int g0, int g1, int p, int np, int k0, int kcb, const W* next) {
    const int o0 = p * kP, cols = std::min(np * kP, out - o0), kc = std::min(kcb, in - k0);
    alignas(64) float bias[kWidth * kP] = {};
    if (b) std::memcpy(bias, b + o0, sizeof(float) * cols);
    const W* panel = data + static_cast<size_t>(p) * pstride + static_cast<size_t>(k0) * kP;
    const int slice = kc * kP * static_cast<int>(sizeof(W)) / (g1 - g0);  // bytes of `next` per pass and panel
    for (int g = g0; g < g1; ++g) {
      const int r = rg.start(g), n = rg.size(g);
      float* yr = y + static_cast<size_t>(r) * ldy + o0;
      Prefetch pf;
      if (next)
        pf = {reinterpret_cast<const char*>(next) + static_cast<size_t>(g - g0) * slice, std::max(1, slice / kc),
              np > 1 ? pstride * sizeof(W) : 0};
      const float* xr = xp ? xp + static_cast<size_t>(r) * in + static_cast<size_t>(k0) * n
                           : x + static_cast<size_t>(r) * in + k0;
      const int ldx = xp ? 0 : in;
      if (np > 1) {
        if (xp) tile_n<kWidth, true, W>(n, xr, ldx, kc, panel, pstride, bias, k0 == 0, yr, ldy, cols, pf);
        else tile_n<kWidth, false, W>(n, xr, ldx, kc, panel, pstride, bias, k0 == 0, yr, ldy, cols, pf);
      } else {
        if (xp) tile_n<1, true, W>(n, xr, ldx, kc, panel, pstride, bias, k0 == 0, yr, ldy, cols, pf);
        else tile_n<1, false, W>(n, xr, ldx, kc, panel, pstride, bias, k0 == 0, yr, ldy, cols, pf);
      }
      if (act == Activation::kGelu && k0 + kc == in)
        for (int i = 0; i < n; ++i) gelu_erf_fast(yr + static_cast<size_t>(i) * ldy, cols);
    }
  };
  const W* end = data + static_cast<size_t>(p1) * pstride;
  // An x that fits in L2 whole: walk tile by tile, so the weights stream from DRAM in address order.
  if (static_cast<size_t>(rows) * in * sizeof(float) <= kStreamBytes) {
    for (int p = p0; p < p1;) {
      const int np = width(p);
      for (int k0 = 0; k0 < in; k0 += kKcStream) {
        // The next k-block of this tile, else the first of the next tile.
        const W* next = k0 + kKcStream < in
                            ? data + static_cast<size_t>(p) * pstride + static_cast<size_t>(k0 + kKcStream) * kP
                            : data + static_cast<size_t>(p + np) * pstride;
        block(0, rg.count, p, np, k0, kKcStream, next < end ? next : nullptr);
      }
      p += np;
    }
    return;
  }
  // Equal row blocks of whole groups, each at most kMc rows.
  const int blocks = (rows + kMc - 1) / kMc;
  const int per_block = (rg.count + blocks - 1) / blocks;
  for (int g0 = ga; g0 < gb; g0 += per_block)
    for (int k0 = 0; k0 < in; k0 += kKc)
      for (int p = p0; p < p1;) {
        const int np = width(p);
        const W* next = data + static_cast<size_t>(p + np) * pstride + static_cast<size_t>(k0) * kP;
        block(g0, std::min(gb, g0 + per_block), p, np, k0, kKc, next < end ? next : nullptr);
        p += np;
      }
}

// y [rows, ldy]: columns [0, out) = act(x W^T + b) for the float32 or bfloat16 panels at data
// (in x out, ceil(out / 16) panels).
template <typename W>
void linear_packed_as(const float* x, int rows, int in, int out, const W* data, const float* b, float* y, int ldy,
                      Activation act) {
  const int panels = (out + kP - 1) / kP;
  // Past a few row groups, x is packed first (in parallel, row groups split over the pool): the
  // copy is O(rows x in) against the product's O(rows x in x out).
  constexpr int kPackFrom = 4 * Tiling<W>::kRows;
  const float* xp = nullptr;
  // Kept per thread between calls, unless a call grew it past kKeepScratchBytes (as
  // release_if_large); a Scratch (kernels.h), so growing it (every other call, as layers alternate
  // between 768 and 3072 inputs) does not zero what pack_rows overwrites.
  thread_local Scratch packed;
  struct Release {
    ~Release() {
      if (packed.capacity() * sizeof(float) > kKeepScratchBytes) Scratch().swap(packed);
    }
  } release;
  const RowGroups rg(rows, Tiling<W>::kRows);
  const int row_blocks = (rows + kMc - 1) / kMc;
  // A tall x: tasks of whole row blocks, each packing its block and passing it over every panel,
  // so x goes from packing to product in L2 and only the weights are read again by each task.
  if (row_blocks >= kRowSplitFrom) {
    packed.resize(static_cast<size_t>(rows) * in);
    float* dst = packed.data();  // the caller's buffer: workers see their own thread_local
    const int tasks = (row_blocks + num_threads() - 1) / num_threads() * num_threads();
    parallel_for(tasks, [&](int t) {
      const int ga = rg.count * t / tasks, gb = rg.count * (t + 1) / tasks;
      if (ga == gb) return;
      pack_rows(x, rg, in, dst, ga, gb);
      panels_range(x, dst, rows, data, in, out, b, y, ldy, 0, panels, ga, gb, act);
    });
    return;
  }
  if (rows >= kPackFrom) {
    packed.resize(static_cast<size_t>(rows) * in);
    float* dst = packed.data();
    const int tasks = std::min(rg.count, num_threads());
    parallel_for(tasks, [&](int t) { pack_rows(x, rg, in, dst, rg.count * t / tasks, rg.count * (t + 1) / tasks); });
    xp = dst;
  }
  // Otherwise tasks of a few tiles each: enough to balance the cores, few enough to amortise the
  // synchronisation.
  constexpr int kWidth = Tiling<W>::kPanels;
  const int tiles = (panels + kWidth - 1) / kWidth;
  const int tasks = std::min(tiles, num_threads() * 4);
  const int per = (tiles + tasks - 1) / tasks * kWidth;
  parallel_for(tasks, [&](int t) {
    const int p0 = t * per, p1 = std::min(panels, p0 + per);
    if (p0 < p1) panels_range(x, xp, rows, data, in, out, b, y, ldy, p0, p1, 0, rg.count, act);
  });
}

// Quantized panels (QuantLayout): a k-block of one panel is expanded into float32 panel rows
// (scale * q + offset: the product exact, one rounding, fused or not, so exactly dequantize_row's
// values), which the float32 kernels then multiply: every output sums the same products in the
// same order as on the dequantized weight, so the bits are the float32 path's.
void expand_block(const uint8_t* group0, const QuantLayout& L, int kc, float* __restrict dst) {
  const size_t gbytes = L.group_bytes();
  for (int g = 0; g < kc / L.group; ++g) {
    const uint8_t* head = group0 + static_cast<size_t>(g) * gbytes;
    const float* scale = reinterpret_cast<const float*>(head);
    const float* offset = reinterpret_cast<const float*>(head + 64);
    const uint8_t* qs = head + L.head_bytes();
    float* out = dst + static_cast<size_t>(g) * L.group * kP;
#ifdef ATTNLAB_HAVE_AVX2
    const __m256 s0 = _mm256_loadu_ps(scale), s1 = _mm256_loadu_ps(scale + 8);
    const __m256 a0 = L.offsets ? _mm256_loadu_ps(offset) : _mm256_setzero_ps();
    const __m256 a1 = L.offsets ? _mm256_loadu_ps(offset + 8) : _mm256_setzero_ps();
    for (int k = 0; k < L.group; ++k) {
      __m256i lo, hi;
      if (L.nibbles) {
        const __m256i b = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(qs + 8 * k)));
        lo = _mm256_and_si256(b, _mm256_set1_epi32(0x0f));
        hi = _mm256_srli_epi32(b, 4);
      } else {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs + 16 * k));
        lo = _mm256_cvtepi8_epi32(v);
        hi = _mm256_cvtepi8_epi32(_mm_srli_si128(v, 8));
      }
      const __m256 q0 = _mm256_cvtepi32_ps(lo), q1 = _mm256_cvtepi32_ps(hi);
      __m256 w0, w1;
      if (L.offsets) {
        w0 = _mm256_fmadd_ps(s0, q0, a0);
        w1 = _mm256_fmadd_ps(s1, q1, a1);
      } else {
        w0 = _mm256_mul_ps(s0, q0);
        w1 = _mm256_mul_ps(s1, q1);
      }
      _mm256_storeu_ps(out + static_cast<size_t>(k) * kP, w0);
      _mm256_storeu_ps(out + static_cast<size_t>(k) * kP + 8, w1);
    }
#else
    for (int k = 0; k < L.group; ++k)
      for (int j = 0; j < kP; ++j) {
        const int q = L.nibbles ? (qs[8 * k + j % 8] >> (j < 8 ? 0 : 4)) & 0x0f
                                : static_cast<int8_t>(qs[16 * k + j]);
        const float v = scale[j] * static_cast<float>(q);
        out[static_cast<size_t>(k) * kP + j] = L.offsets ? v + offset[j] : v;
      }
#endif
  }
}

#ifdef ATTNLAB_HAVE_AVX2
// The fused form of expand_block + kernel for inputs of one row group: each k step's 16 weights of a
// panel are decoded into registers (the same scale * q (+ offset) operations as expand_block, so
// the same values) and multiplied at once, every output summing its products over the whole of `in`
// in order from init: the bits of the float32 kernels on the expanded panels, without the round trip
// through L1. R rows x NP panels (panel j + 1 starts pbytes after j); out/init: [R][NP x 16].
#ifdef ATTNLAB_HAVE_AVX512
using Vec = __m512;  // one panel row: 16 columns
constexpr int kLanes = 1;
#else
using Vec = __m256;  // one panel row: two halves of 8 columns
constexpr int kLanes = 2;
#endif

// Column quants of k step k of a group's quants qs, as float32: half h of kLanes (8 columns each
// under AVX2, all 16 under AVX-512).
template <bool kNib>
inline Vec quants(const uint8_t* qs, int k, int h) {
#ifdef ATTNLAB_HAVE_AVX512
  (void)h;
  if constexpr (kNib) {
    const __m128i b = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(qs + 8 * k));
    const __m128i m = _mm_set1_epi8(0x0f);
    const __m128i both = _mm_unpacklo_epi64(_mm_and_si128(b, m), _mm_and_si128(_mm_srli_epi16(b, 4), m));
    return _mm512_maskz_cvtepi32_ps(0xffff, _mm512_maskz_cvtepu8_epi32(0xffff, both));
  } else {
    // The zero-masking forms (all lanes kept) are the same instructions; the plain ones start from
    // _mm512_undefined_*, which GCC 12 reports as maybe uninitialized.
    return _mm512_maskz_cvtepi32_ps(
        0xffff, _mm512_maskz_cvtepi8_epi32(0xffff, _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs + 16 * k))));
  }
#else
  if constexpr (kNib) {
    const __m256i b = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(qs + 8 * k)));
    return _mm256_cvtepi32_ps(h == 0 ? _mm256_and_si256(b, _mm256_set1_epi32(0x0f)) : _mm256_srli_epi32(b, 4));
  } else {
    return _mm256_cvtepi32_ps(
        _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(qs + 16 * k + 8 * h))));
  }
#endif
}

inline Vec vload(const float* p) {
#ifdef ATTNLAB_HAVE_AVX512
  return _mm512_loadu_ps(p);
#else
  return _mm256_loadu_ps(p);
#endif
}
inline void vstore(float* p, Vec v) {
#ifdef ATTNLAB_HAVE_AVX512
  _mm512_storeu_ps(p, v);
#else
  _mm256_storeu_ps(p, v);
#endif
}
inline Vec vfma(Vec a, Vec b, Vec c) {
#ifdef ATTNLAB_HAVE_AVX512
  return _mm512_fmadd_ps(a, b, c);
#else
  return _mm256_fmadd_ps(a, b, c);
#endif
}
inline Vec vmul(Vec a, Vec b) {
#ifdef ATTNLAB_HAVE_AVX512
  return _mm512_mul_ps(a, b);
#else
  return _mm256_mul_ps(a, b);
#endif
}
inline Vec vbroadcast(const float* p) {
#ifdef ATTNLAB_HAVE_AVX512
  return _mm512_set1_ps(*p);
#else
  return _mm256_broadcast_ss(p);
#endif
}

constexpr int kFusedAhead = 8;

template <int R, int NP, bool kNib, bool kOff>
void fused_kernel(const float* __restrict x, int ldx, int in, const uint8_t* __restrict panel, size_t pbytes,
                  const QuantLayout& L, const float* init, float* out) {
  constexpr int kV = NP * kLanes;  // vectors per row
  constexpr int kCols = kP / kLanes;  // columns per vector
  Vec acc[R][kV];
#pragma GCC unroll 12
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int v = 0; v < kV; ++v) acc[r][v] = vload(init + static_cast<size_t>(r) * NP * kP + v * kCols);
  const size_t gbytes = L.group_bytes();
  const int group = L.group;
  for (int g0 = 0; g0 < in; g0 += group) {
    const uint8_t* head = panel + static_cast<size_t>(g0 / group) * gbytes;
    Vec scale[kV], offset[kV];
#pragma GCC unroll 8
    for (int v = 0; v < kV; ++v) {
      const auto* h = reinterpret_cast<const float*>(head + static_cast<size_t>(v / kLanes) * pbytes);
      scale[v] = vload(h + (v % kLanes) * kCols);
      if constexpr (kOff) offset[v] = vload(h + 16 + (v % kLanes) * kCols);
      else offset[v] = scale[v];
    }
    const uint8_t* qs = head + L.head_bytes();
    // Each weight is used by a few rows only: without fetching each panel's stream kFusedAhead
    // groups ahead, DRAM latency (fewer lines in flight than the hardware prefetchers keep) sets
    // the pace, not the FMAs. (Addresses as integers: near the end of the weight they point past
    // it, which a prefetch may do and pointer arithmetic may not.)
    const uintptr_t ahead = reinterpret_cast<uintptr_t>(head) + kFusedAhead * gbytes;
#pragma GCC unroll 4
    for (int p = 0; p < NP; ++p)
      for (size_t b = 0; b < gbytes; b += 64)
        _mm_prefetch(reinterpret_cast<const char*>(ahead + p * pbytes + b), _MM_HINT_T0);
    for (int k = 0; k < group; ++k) {
      Vec w[kV];
#pragma GCC unroll 8
      for (int v = 0; v < kV; ++v) {
        const Vec q = quants<kNib>(qs + static_cast<size_t>(v / kLanes) * pbytes, k, v % kLanes);
        w[v] = kOff ? vfma(scale[v], q, offset[v]) : vmul(scale[v], q);
      }
#pragma GCC unroll 12
      for (int r = 0; r < R; ++r) {
        const Vec xb = vbroadcast(x + static_cast<size_t>(r) * ldx + g0 + k);
#pragma GCC unroll 8
        for (int v = 0; v < kV; ++v) acc[r][v] = vfma(xb, w[v], acc[r][v]);
      }
    }
  }
#pragma GCC unroll 12
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int v = 0; v < kV; ++v) vstore(out + static_cast<size_t>(r) * NP * kP + v * kCols, acc[r][v]);
}

// Panels per fused call for R rows: enough independent sums to hide the FMA latency, few enough
// to stay in registers.
template <int R>
constexpr int fused_panels() {
#ifdef ATTNLAB_HAVE_AVX512
  return R <= 2 ? 4 : R <= 4 ? 2 : 1;
#else
  return R <= 2 ? 2 : 1;
#endif
}

// Panels [p0, p1) of a quantized weight for R rows, fused: NP panels at a time into a tile, then
// bias-initialised sums, activation and the columns that exist stored into y.
template <int R, bool kNib, bool kOff>
void fused_range(const float* x, const PackedWeight& w, const float* b, float* y, int p0, int p1, Activation act) {
  constexpr int NP = fused_panels<R>();
  const auto* data = static_cast<const uint8_t*>(w.storage.get());
  const size_t pbytes = w.panel_bytes();
  const int in = w.in, out = w.out;
  alignas(64) float init[R][NP * kP], tile[R][NP * kP];
  for (int p = p0; p < p1;) {
    const int np = p + NP <= p1 ? NP : 1;
    const int o0 = p * kP, cols = std::min(np * kP, out - o0);
    for (int r = 0; r < R; ++r) {
      std::fill(init[r], init[r] + NP * kP, 0.0f);
      if (b) std::memcpy(init[r], b + o0, sizeof(float) * cols);
    }
    const uint8_t* panel = data + static_cast<size_t>(p) * pbytes;
    if (np == NP) fused_kernel<R, NP, kNib, kOff>(x, in, in, panel, pbytes, w.quant, &init[0][0], &tile[0][0]);
    else {
      // One panel alone: its own rows of init and tile at stride kP.
      alignas(64) float init1[R][kP], tile1[R][kP];
      for (int r = 0; r < R; ++r) std::memcpy(init1[r], init[r], sizeof init1[r]);
      fused_kernel<R, 1, kNib, kOff>(x, in, in, panel, pbytes, w.quant, &init1[0][0], &tile1[0][0]);
      for (int r = 0; r < R; ++r) std::memcpy(tile[r], tile1[r], sizeof tile1[r]);
    }
    for (int r = 0; r < R; ++r) {
      float* yr = y + static_cast<size_t>(r) * out + o0;
      std::memcpy(yr, tile[r], sizeof(float) * cols);
      if (act == Activation::kGelu) gelu_erf_fast(yr, cols);
    }
    p += np;
  }
}

template <int R, bool kNib, bool kOff>
void fused_linear_r(const float* x, const PackedWeight& w, const float* b, float* y, Activation act) {
  constexpr int NP = fused_panels<R>();
  const int panels = w.panels();
  const int chunks = (panels + NP - 1) / NP;  // tasks split at multiples of NP panels
  const int tasks = std::min(chunks, num_threads() * 4);
  const int per = (chunks + tasks - 1) / tasks * NP;
  parallel_for(tasks, [&](int t) {
    const int p0 = t * per, p1 = std::min(panels, p0 + per);
    if (p0 < p1) fused_range<R, kNib, kOff>(x, w, b, y, p0, p1, act);
  });
}

template <bool kNib, bool kOff, int R = Tiling<float>::kRows>
void fused_linear_n(int rows, const float* x, const PackedWeight& w, const float* b, float* y, Activation act) {
  if (rows == R) fused_linear_r<R, kNib, kOff>(x, w, b, y, act);
  else if constexpr (R > 1) fused_linear_n<kNib, kOff, R - 1>(rows, x, w, b, y, act);
}

// y = act(x W^T + b) for rows in [1, Tiling<float>::kRows], fused.
void fused_linear(const float* x, int rows, const PackedWeight& w, const float* b, float* y, Activation act) {
  const QuantLayout& L = w.quant;
  if (L.nibbles) {
    if (L.offsets) fused_linear_n<true, true>(rows, x, w, b, y, act);
    else fused_linear_n<true, false>(rows, x, w, b, y, act);
  } else {
    if (L.offsets) fused_linear_n<false, true>(rows, x, w, b, y, act);
    else fused_linear_n<false, false>(rows, x, w, b, y, act);
  }
}
#endif

// Panels [p0, p1) expanded whole into float32 panels at dst.
void expand_panels(const PackedWeight& w, int p0, int p1, float* dst) {
  const auto* data = static_cast<const uint8_t*>(w.storage.get());
  for (int p = p0; p < p1; ++p)
    expand_block(data + static_cast<size_t>(p) * w.panel_bytes(), w.quant, w.in,
                 dst + static_cast<size_t>(p - p0) * w.in * kP);
}

// A short x (read in place, as the float32 path's short inputs): panel by panel, each k-block of 128
// expanded into an 8 kB float32 block in L1 and passed over by every row group, so the quantized
// bytes stream from DRAM once. A long x: chunks of panels expanded into float32 panels (up to 16 MB),
// each through the float32 path with its blocking.
void linear_quantized(const float* x, int rows, const PackedWeight& w, const float* b, float* y, Activation act) {
  const int in = w.in, out = w.out, panels = w.panels();
  const auto* data = static_cast<const uint8_t*>(w.storage.get());
#ifdef ATTNLAB_HAVE_AVX2
  if (rows <= Tiling<float>::kRows) {
    fused_linear(x, rows, w, b, y, act);
    return;
  }
#endif
  if (static_cast<size_t>(rows) * in * sizeof(float) <= kStreamBytes) {
    const RowGroups rg(rows, Tiling<float>::kRows);
    const int tasks = std::min(panels, num_threads() * 4);
    const int per = (panels + tasks - 1) / tasks;
    const size_t block_bytes = static_cast<size_t>(kKcStream / w.quant.group) * w.quant.group_bytes();
    parallel_for(tasks, [&](int t) {
      alignas(64) float expanded[kKcStream * kP];
      for (int p = t * per; p < std::min(panels, (t + 1) * per); ++p) {
        const int o0 = p * kP, cols = std::min(kP, out - o0);
        alignas(64) float bias[kP] = {};
        if (b) std::memcpy(bias, b + o0, sizeof(float) * cols);
        const uint8_t* panel = data + static_cast<size_t>(p) * w.panel_bytes();
        for (int k0 = 0; k0 < in; k0 += kKcStream) {
          const int kc = std::min(kKcStream, in - k0);
          const uint8_t* block = panel + static_cast<size_t>(k0 / kKcStream) * block_bytes;
#ifdef ATTNLAB_HAVE_AVX2
          // The next block (of this panel, or the next panel's first) into cache while this one is
          // multiplied: the rows pass over each block once, so DRAM latency would otherwise show.
          if (static_cast<size_t>(block - data) + 2 * block_bytes <= w.bytes())
            for (size_t at = 0; at < block_bytes; at += 64)
              _mm_prefetch(reinterpret_cast<const char*>(block + block_bytes + at), _MM_HINT_T0);
#endif
          expand_block(block, w.quant, kc, expanded);
          for (int g = 0; g < rg.count; ++g) {
            const int r = rg.start(g), n = rg.size(g);
            float* yr = y + static_cast<size_t>(r) * out + o0;
            tile_n<1, false, float>(n, x + static_cast<size_t>(r) * in + k0, in, kc, expanded, 0, bias, k0 == 0, yr,
                                    out, cols, Prefetch{});
            if (act == Activation::kGelu && k0 + kc == in)
              for (int i = 0; i < n; ++i) gelu_erf_fast(yr + static_cast<size_t>(i) * out, cols);
          }
        }
      }
    });
    return;
  }
  thread_local Scratch chunk;
  struct Release {
    ~Release() {
      if (chunk.capacity() * sizeof(float) > kKeepScratchBytes) Scratch().swap(chunk);
    }
  } release;
  const size_t panel_floats = static_cast<size_t>(in) * kP;
  const int per_chunk = std::max(1, static_cast<int>((size_t{16} << 20) / (panel_floats * sizeof(float))));
  chunk.resize(static_cast<size_t>(std::min(per_chunk, panels)) * panel_floats);
  float* dst = chunk.data();  // the caller's buffer: workers see their own thread_local
  for (int p0 = 0; p0 < panels; p0 += per_chunk) {
    const int p1 = std::min(panels, p0 + per_chunk), count = p1 - p0;
    const int tasks = std::min(count, num_threads() * 4);
    parallel_for(tasks, [&](int t) {
      expand_panels(w, p0 + count * t / tasks, p0 + count * (t + 1) / tasks,
                    dst + static_cast<size_t>(count * t / tasks) * panel_floats);
    });
    const int o0 = p0 * kP;
    linear_packed_as(x, rows, in, std::min(out, p1 * kP) - o0, static_cast<const float*>(dst), b ? b + o0 : nullptr,
                     y + o0, out, act);
  }
}

}  // namespace

void linear_packed(const float* x, int rows, const PackedWeight& w, const float* b, float* y, Activation act) {
  if (rows <= 0) return;
  if (w.quantized()) linear_quantized(x, rows, w, b, y, act);
  else if (w.bf16) linear_packed_as(x, rows, w.in, w.out, w.b16(), b, y, w.out, act);
  else linear_packed_as(x, rows, w.in, w.out, w.f32(), b, y, w.out, act);
}

}  // namespace attnlab::ATTNLAB_ISA_NS
