// Packed-weight linear layer (see packed_linear.h): packing at load time here, the kernels in
// ops/isa/packed_linear.cpp.
#include "ops/packed_linear.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include "core/float_buffer.h"
#include "core/thread_pool.h"
#include "ops/isa/kernels.h"

namespace attnlab {

namespace {
constexpr int kP = PackedWeight::kPanel;
}  // namespace

PackedWeight pack_weight(const float* w, int out, int in, bool bf16) { return pack_weights({{w, out}}, in, bf16); }

PackedWeight pack_weights(const std::vector<WeightBlock>& blocks, int in, bool bf16) {
  int out = 0;
  for (const auto& b : blocks) out += b.rows;
  PackedWeight p;
  p.in = in;
  p.out = out;
  p.bf16 = bf16;
  // Large buffers sit on huge pages: a bert-base model's 340 MB then costs ~170 page faults
  // instead of ~85,000 at load. Small ones need the kernel's 32-byte alignment (operator new's
  // is 16), so they get 64.
  void* data = p.bytes() >= kHugePage ? allocate_huge_pages(p.bytes())
                                       : std::aligned_alloc(64, (p.bytes() + 63) / 64 * 64);
  if (!data) throw std::bad_alloc();
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
          for (int k = 0; k < in; ++k) panel[static_cast<size_t>(k) * kP + PackedWeight::bf16_slot(j)] = to_bf16(row[k]);
        } else {
          float* panel = static_cast<float*>(data) + panel_offset;
          for (int k = 0; k < in; ++k) panel[static_cast<size_t>(k) * kP + j] = row[k];
        }
      }
    }
  });
  return p;
}

void linear_packed(const float* x, int rows, const PackedWeight& w, const float* b, float* y, Activation act) {
  kernels().linear_packed(x, rows, w, b, y, act);
}

}  // namespace attnlab
