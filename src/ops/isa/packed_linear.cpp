// The packed-weight linear layer's kernels (see ops/packed_linear.h), built once per instruction
// set (ops/isa/kernels.h): a 6x16 register-blocked AVX2 kernel, or plain loops in the same order.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "ops/isa/kernels.h"
#include "ops/packed_linear.h"
#include "ops/thread_pool.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define ATTNLAB_HAVE_AVX2 1
#endif

namespace attnlab::ATTNLAB_ISA_NS {
namespace {

constexpr int kP = PackedWeight::kPanel;
constexpr int kRows = 6;  // 6 rows x 16 outputs = 12 accumulators: the FMA units stay busy

// Weights to pull into cache while a kernel runs: byte next + k * step at k step k (step 0: none).
// The loops hand each pass over a k-block a slice of the next k-block, so DRAM keeps streaming
// while the rows after the first pass re-read the current one from cache.
struct Prefetch {
  const char* next = nullptr;
  int step = 0;
};

#ifdef ATTNLAB_HAVE_AVX2
inline void load16(const float* p, __m256& w0, __m256& w1) {
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

// Rows [0, R) of one k-block of one panel. A full panel accumulates in y itself; the last, partial
// panel (cols < 16) goes through a 16-wide scratch tile.
template <int R, bool kPacked, typename W>
void tile(const float* x, int ldx, int kc, const W* panel, const float* bias, bool first, float* y, int ldy, int cols,
          Prefetch pf) {
  if (cols == kP) {
    if (first) kernel<R, kPacked, W>(x, ldx, kc, panel, bias, 0, y, ldy, pf);
    else kernel<R, kPacked, W>(x, ldx, kc, panel, y, ldy, y, ldy, pf);
    return;
  }
  alignas(32) float scratch[R][kP] = {};
  if (!first)
    for (int r = 0; r < R; ++r) std::memcpy(scratch[r], y + static_cast<size_t>(r) * ldy, sizeof(float) * cols);
  if (first) kernel<R, kPacked, W>(x, ldx, kc, panel, bias, 0, &scratch[0][0], kP, pf);
  else kernel<R, kPacked, W>(x, ldx, kc, panel, &scratch[0][0], kP, &scratch[0][0], kP, pf);
  for (int r = 0; r < R; ++r) std::memcpy(y + static_cast<size_t>(r) * ldy, scratch[r], sizeof(float) * cols);
}

template <bool kPacked, typename W>
void tile_n(int n, const float* x, int ldx, int kc, const W* panel, const float* bias, bool first, float* y, int ldy,
            int cols, Prefetch pf) {
  switch (n) {
    case 6: tile<6, kPacked, W>(x, ldx, kc, panel, bias, first, y, ldy, cols, pf); break;
    case 5: tile<5, kPacked, W>(x, ldx, kc, panel, bias, first, y, ldy, cols, pf); break;
    case 4: tile<4, kPacked, W>(x, ldx, kc, panel, bias, first, y, ldy, cols, pf); break;
    case 3: tile<3, kPacked, W>(x, ldx, kc, panel, bias, first, y, ldy, cols, pf); break;
    case 2: tile<2, kPacked, W>(x, ldx, kc, panel, bias, first, y, ldy, cols, pf); break;
    case 1: tile<1, kPacked, W>(x, ldx, kc, panel, bias, first, y, ldy, cols, pf); break;
    default: break;
  }
}

// Rows split into ceil(rows / 6) near-equal groups (128 = 18 x 6 + 4 x 5, 9 = 5 + 4): no pass
// runs with the one or two rows a 6-row split leaves, which have too few accumulators to hide
// the FMA latency.
struct RowGroups {
  int count, base, extra;
  explicit RowGroups(int rows)
      : count((rows + kRows - 1) / kRows), base(rows / count), extra(rows % count) {}
  int start(int g) const { return g * base + std::min(g, extra); }
  int size(int g) const { return base + (g < extra ? 1 : 0); }
};

// x packed by row group: group g (n rows from row r0 = start(g)) starts at r0 * in and holds
// x[r0 + r, k] at k * n + r.
void pack_rows(const float* x, const RowGroups& rg, int in, float* dst, int g0, int g1) {
  for (int g = g0; g < g1; ++g) {
    const int r0 = rg.start(g), n = rg.size(g);
    float* d = dst + static_cast<size_t>(r0) * in;
    for (int k = 0; k < in; ++k)
      for (int r = 0; r < n; ++r) d[static_cast<size_t>(k) * n + r] = x[static_cast<size_t>(r0 + r) * in + k];
  }
}

// k-block of a long input: 768 x 16 weights (48 kB, streamed from L2 by each row group). Smaller
// blocks that stay in L1 (256) were slower: the partial sums' extra reloads cost more than the L1
// hits save.
constexpr int kKc = 768;
constexpr int kMc = 192;        // row block: at most 192 rows of packed x per pass over the panels
constexpr int kKcStream = 128;  // k-block of a short input: 8 kB of weights, the next 8 kB prefetched
constexpr size_t kStreamBytes = 256 * 1024;  // an x up to this size is read in place, panel by panel

// Panels [p0, p1) for every row, blocked as in BLIS: every row group of a row block passes over
// one k-block of a panel before the next, and the row block's slice of x stays in cache while
// the panels pass. A short input (one row block) walks panel by panel so the weights stream from
// DRAM in address order; x is packed (xp) for longer inputs, read in place for short ones.
template <typename W>
void panels_range(const float* x, const float* xp, int rows, const W* data, int in, int out, const float* b, float* y,
                  int p0, int p1) {
  alignas(32) float zeros[kP] = {};
  const RowGroups rg(rows);
  // One k-block of panel p for row groups [g0, g1); `next`: the k-block the loop visits after it.
  auto block = [&](int g0, int g1, int p, int k0, int kcb, const W* next) {
    const int o0 = p * kP, cols = std::min(kP, out - o0), kc = std::min(kcb, in - k0);
    alignas(32) float bias[kP] = {};
    if (b) std::memcpy(bias, b + o0, sizeof(float) * cols);
    const float* init = b ? bias : zeros;
    const W* panel = data + static_cast<size_t>(p) * in * kP + static_cast<size_t>(k0) * kP;
    const int slice = kc * kP * static_cast<int>(sizeof(W)) / (g1 - g0);  // bytes of `next` per pass
    for (int g = g0; g < g1; ++g) {
      const int r = rg.start(g), n = rg.size(g);
      float* yr = y + static_cast<size_t>(r) * out + o0;
      Prefetch pf;
      if (next)
        pf = {reinterpret_cast<const char*>(next) + static_cast<size_t>(g - g0) * slice, std::max(1, slice / kc)};
      if (xp) tile_n<true, W>(n, xp + static_cast<size_t>(r) * in + static_cast<size_t>(k0) * n, 0, kc, panel, init,
                               k0 == 0, yr, out, cols, pf);
      else tile_n<false, W>(n, x + static_cast<size_t>(r) * in + k0, in, kc, panel, init, k0 == 0, yr, out, cols, pf);
    }
  };
  const W* end = data + static_cast<size_t>(p1) * in * kP;
  // An x that fits in L2 whole: walk panel by panel, so the weights stream from DRAM in address order.
  if (static_cast<size_t>(rows) * in * sizeof(float) <= kStreamBytes) {
    // Panels are contiguous and so are their k-blocks: the next block starts where this one ends.
    for (int p = p0; p < p1; ++p)
      for (int k0 = 0; k0 < in; k0 += kKcStream) {
        const W* next = data + static_cast<size_t>(p) * in * kP + static_cast<size_t>(k0 + kKcStream) * kP;
        block(0, rg.count, p, k0, kKcStream, next < end ? next : nullptr);
      }
    return;
  }
  // Equal row blocks of whole groups, each at most kMc rows.
  const int blocks = (rows + kMc - 1) / kMc;
  const int per_block = (rg.count + blocks - 1) / blocks;
  for (int g0 = 0; g0 < rg.count; g0 += per_block)
    for (int k0 = 0; k0 < in; k0 += kKc)
      for (int p = p0; p < p1; ++p) {
        const W* next = data + static_cast<size_t>(p + 1) * in * kP + static_cast<size_t>(k0) * kP;
        block(g0, std::min(rg.count, g0 + per_block), p, k0, kKc, next < end ? next : nullptr);
      }
}

}  // namespace

void linear_packed(const float* x, int rows, const PackedWeight& w, const float* b, float* y) {
  if (rows <= 0) return;
  const int panels = w.panels();
  // Past a few row groups, x is packed first (in parallel, row groups split over the pool): the
  // copy is O(rows x in) against the product's O(rows x in x out).
  constexpr int kPackFrom = 4 * kRows;
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
  if (rows >= kPackFrom) {
    const RowGroups rg(rows);
    packed.resize(static_cast<size_t>(rows) * w.in);
    float* dst = packed.data();  // the caller's buffer: workers see their own thread_local
    const int tasks = std::min(rg.count, num_threads());
    parallel_for(tasks, [&](int t) { pack_rows(x, rg, w.in, dst, rg.count * t / tasks, rg.count * (t + 1) / tasks); });
    xp = dst;
  }
  // Tasks of a few panels each: enough to balance the cores, few enough to amortise the
  // synchronisation.
  const int tasks = std::min(panels, num_threads() * 4);
  const int per = (panels + tasks - 1) / tasks;
  parallel_for(tasks, [&](int t) {
    const int p0 = t * per, p1 = std::min(panels, p0 + per);
    if (w.bf16) panels_range(x, xp, rows, w.b16(), w.in, w.out, b, y, p0, p1);
    else panels_range(x, xp, rows, w.f32(), w.in, w.out, b, y, p0, p1);
  });
}

}  // namespace attnlab::ATTNLAB_ISA_NS
