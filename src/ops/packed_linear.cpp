// Packed-weight linear layer (see packed_linear.h).
#include "ops/packed_linear.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include <sys/mman.h>

#include "ops/thread_pool.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define ATTNLAB_HAVE_AVX2 1
#endif

namespace attnlab {
namespace {

constexpr int kP = PackedWeight::kPanel;
constexpr int kRows = 6;  // 6 rows x 16 outputs = 12 accumulators: the FMA units stay busy

#ifdef ATTNLAB_HAVE_AVX2
inline void load16(const float* p, __m256& w0, __m256& w1) {
  w0 = _mm256_load_ps(p);
  w1 = _mm256_load_ps(p + 8);
}
inline void load16(const uint16_t* p, __m256& w0, __m256& w1) {  // bfloat16 -> float: shift into the high half
  const __m256i raw = _mm256_load_si256(reinterpret_cast<const __m256i*>(p));
  w0 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm256_castsi256_si128(raw)), 16));
  w1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm256_extracti128_si256(raw, 1)), 16));
}

// y[r, 0:16] (r < R) = bias[0:16] + sum_k x[r, k] * panel[k, 0:16]; `cols` valid outputs.
template <int R, typename W>
inline void kernel(const float* x, int in, const W* panel, const float* bias, float* y, int ldy, int cols) {
  __m256 acc[R][2];
  const __m256 b0 = _mm256_loadu_ps(bias), b1 = _mm256_loadu_ps(bias + 8);
  for (int r = 0; r < R; ++r) {
    acc[r][0] = b0;
    acc[r][1] = b1;
  }
  for (int k = 0; k < in; ++k) {
    __m256 w0, w1;
    load16(panel + static_cast<size_t>(k) * kP, w0, w1);
    for (int r = 0; r < R; ++r) {
      const __m256 xb = _mm256_broadcast_ss(x + static_cast<size_t>(r) * in + k);
      acc[r][0] = _mm256_fmadd_ps(xb, w0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(xb, w1, acc[r][1]);
    }
  }
  for (int r = 0; r < R; ++r) {
    float* yr = y + static_cast<size_t>(r) * ldy;
    if (cols == kP) {
      _mm256_storeu_ps(yr, acc[r][0]);
      _mm256_storeu_ps(yr + 8, acc[r][1]);
    } else {
      alignas(32) float tmp[kP];
      _mm256_store_ps(tmp, acc[r][0]);
      _mm256_store_ps(tmp + 8, acc[r][1]);
      std::memcpy(yr, tmp, sizeof(float) * cols);
    }
  }
}
#else
inline float widen(float w) { return w; }
inline float widen(uint16_t w) {
  const uint32_t bits = static_cast<uint32_t>(w) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

template <int R, typename W>
inline void kernel(const float* x, int in, const W* panel, const float* bias, float* y, int ldy, int cols) {
  for (int r = 0; r < R; ++r)
    for (int j = 0; j < cols; ++j) {
      float acc = bias[j];
      for (int k = 0; k < in; ++k) acc += x[static_cast<size_t>(r) * in + k] * widen(panel[static_cast<size_t>(k) * kP + j]);
      y[static_cast<size_t>(r) * ldy + j] = acc;
    }
}
#endif

template <typename W>
void panel_rows(const float* x, int rows, int in, const W* panel, const float* bias, float* y, int ldy, int cols) {
  int r = 0;
  for (; r + kRows <= rows; r += kRows)
    kernel<kRows, W>(x + static_cast<size_t>(r) * in, in, panel, bias, y + static_cast<size_t>(r) * ldy, ldy, cols);
  const float* xr = x + static_cast<size_t>(r) * in;
  float* yr = y + static_cast<size_t>(r) * ldy;
  switch (rows - r) {
    case 5: kernel<5, W>(xr, in, panel, bias, yr, ldy, cols); break;
    case 4: kernel<4, W>(xr, in, panel, bias, yr, ldy, cols); break;
    case 3: kernel<3, W>(xr, in, panel, bias, yr, ldy, cols); break;
    case 2: kernel<2, W>(xr, in, panel, bias, yr, ldy, cols); break;
    case 1: kernel<1, W>(xr, in, panel, bias, yr, ldy, cols); break;
    default: break;
  }
}

}  // namespace

uint16_t to_bf16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40);  // quiet NaN
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

PackedWeight pack_weight(const float* w, int out, int in, bool bf16) { return pack_weights({{w, out}}, in, bf16); }

PackedWeight pack_weights(const std::vector<WeightBlock>& blocks, int in, bool bf16) {
  int out = 0;
  for (const auto& b : blocks) out += b.rows;
  PackedWeight p;
  p.in = in;
  p.out = out;
  p.bf16 = bf16;
  // Large buffers sit on 2 MB boundaries and ask for transparent huge pages: a bert-base model's
  // 340 MB then costs ~170 page faults instead of ~85,000 at load.
  constexpr size_t kHuge = size_t{2} << 20;
  const size_t align = p.bytes() >= kHuge ? kHuge : 64;
  const size_t size = (p.bytes() + align - 1) / align * align;
  void* data = std::aligned_alloc(align, size);
  if (!data) throw std::bad_alloc();
  if (align == kHuge) ::madvise(data, size, MADV_HUGEPAGE);
  p.storage = std::unique_ptr<void, void (*)(void*)>(data, [](void* v) { std::free(v); });
  // Row pointers of the stacked blocks, then panel by panel: 16 sequential row streams in,
  // one sequential stream out; panels are independent, so they spread over the pool.
  std::vector<const float*> rows_of;
  rows_of.reserve(static_cast<size_t>(out));
  for (const auto& b : blocks)
    for (int r = 0; r < b.rows; ++r) rows_of.push_back(b.w + static_cast<size_t>(r) * in);
  const int panels = p.panels();
  parallel_for(std::min(panels, num_threads() * 4), [&](int t) {
    const int tasks = std::min(panels, num_threads() * 4), per = (panels + tasks - 1) / tasks;
    for (int pi = t * per; pi < std::min(panels, (t + 1) * per); ++pi) {
      const size_t panel_offset = static_cast<size_t>(pi) * in * kP;
      const int valid = std::min(kP, out - pi * kP);
      if (valid < kP) std::memset(static_cast<char*>(data) + panel_offset * p.element_size(), 0, p.element_size() * in * kP);
      for (int j = 0; j < valid; ++j) {
        const float* row = rows_of[static_cast<size_t>(pi) * kP + j];
        if (bf16) {
          uint16_t* panel = static_cast<uint16_t*>(data) + panel_offset;
          for (int k = 0; k < in; ++k) panel[static_cast<size_t>(k) * kP + j] = to_bf16(row[k]);
        } else {
          float* panel = static_cast<float*>(data) + panel_offset;
          for (int k = 0; k < in; ++k) panel[static_cast<size_t>(k) * kP + j] = row[k];
        }
      }
    }
  });
  return p;
}

void linear_packed(const float* x, int rows, const PackedWeight& w, const float* b, float* y) {
  const int panels = w.panels();
  // Rows go in blocks whose slice of x stays in L2 (256 kB) while every panel streams past it;
  // a short input is a single block, so each weight is read exactly once.
  constexpr size_t kL2Budget = 256 * 1024;
  const int fit = static_cast<int>(kL2Budget / (sizeof(float) * static_cast<size_t>(w.in)));
  const int block = std::max(kRows, fit / kRows * kRows);
  const int row_blocks = (rows + block - 1) / block;
  // Within a block, tasks of a few panels each: enough to balance the cores, few enough to
  // amortise the synchronisation.
  const int groups = std::min(panels, std::max(1, num_threads() * 4 / row_blocks));
  const int per = (panels + groups - 1) / groups;
  parallel_for(row_blocks * groups, [&](int t) {
    const int rb = t / groups, g = t % groups;
    const int r0 = rb * block, nr = std::min(block, rows - r0);
    const float* xb = x + static_cast<size_t>(r0) * w.in;
    float* yb = y + static_cast<size_t>(r0) * w.out;
    alignas(32) float zeros[kP] = {};
    for (int p = g * per; p < std::min(panels, (g + 1) * per); ++p) {
      const int o0 = p * kP, cols = std::min(kP, w.out - o0);
      alignas(32) float bias[kP] = {};
      if (b) std::memcpy(bias, b + o0, sizeof(float) * cols);
      const size_t offset = static_cast<size_t>(p) * w.in * kP;
      if (w.bf16) panel_rows(xb, nr, w.in, w.b16() + offset, b ? bias : zeros, yb + o0, w.out, cols);
      else panel_rows(xb, nr, w.in, w.f32() + offset, b ? bias : zeros, yb + o0, w.out, cols);
    }
  });
}

}  // namespace attnlab
