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

// p.storage for p.bytes(). Large buffers sit on huge pages: a bert-base model's 340 MB then costs
// ~170 page faults instead of ~85,000 at load. Small ones need the kernel's 32-byte alignment
// (operator new's is 16), so they get 64.
void* allocate_panels(PackedWeight& p) {
  const size_t bytes = p.bytes();
  void* data = bytes >= kHugePage ? allocate_huge_pages(bytes) : std::aligned_alloc(64, (bytes + 63) / 64 * 64);
  if (!data) throw std::bad_alloc();
  p.storage = std::unique_ptr<void, void (*)(void*)>(data, [](void* v) { std::free(v); });
  return data;
}
}  // namespace

PackedWeight pack_weight(const float* w, int out, int in, bool bf16) { return pack_weights({{w, out}}, in, bf16); }

PackedWeight pack_weights(const std::vector<WeightBlock>& blocks, int in, bool bf16) {
  int out = 0;
  for (const auto& b : blocks) out += b.rows;
  PackedWeight p;
  p.in = in;
  p.out = out;
  p.bf16 = bf16;
  void* data = allocate_panels(p);
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

PackedWeight pack_quantized(const std::vector<QuantRows>& blocks, int in, const QuantLayout& layout) {
  int out = 0;
  for (const auto& b : blocks) out += b.rows;
  PackedWeight p;
  p.in = in;
  p.out = out;
  p.quant = layout;
  void* data = allocate_panels(p);
  // Which block and row each stacked row comes from.
  std::vector<std::pair<int, int>> rows_of;
  rows_of.reserve(static_cast<size_t>(out));
  for (size_t b = 0; b < blocks.size(); ++b)
    for (int r = 0; r < blocks[b].rows; ++r) rows_of.emplace_back(static_cast<int>(b), r);
  const int panels = p.panels(), groups = in / layout.group;
  const size_t gbytes = layout.group_bytes();
  parallel_for(std::min(panels, num_threads() * 4), [&](int t) {
    const int tasks = std::min(panels, num_threads() * 4), per = (panels + tasks - 1) / tasks;
    std::vector<int8_t> q(static_cast<size_t>(in));
    std::vector<float> scale(static_cast<size_t>(groups)), offset(static_cast<size_t>(groups));
    for (int pi = t * per; pi < std::min(panels, (t + 1) * per); ++pi) {
      uint8_t* panel = static_cast<uint8_t*>(data) + static_cast<size_t>(pi) * p.panel_bytes();
      std::memset(panel, 0, p.panel_bytes());  // rows past `out`: scale 0, quant 0
      const int valid = std::min(kP, out - pi * kP);
      for (int j = 0; j < valid; ++j) {
        const auto [b, r] = rows_of[static_cast<size_t>(pi) * kP + j];
        blocks[static_cast<size_t>(b)].decode(r, q.data(), scale.data(), layout.offsets ? offset.data() : nullptr);
        for (int g = 0; g < groups; ++g) {
          uint8_t* head = panel + static_cast<size_t>(g) * gbytes;
          std::memcpy(head + 4 * j, &scale[static_cast<size_t>(g)], 4);
          if (layout.offsets) std::memcpy(head + 64 + 4 * j, &offset[static_cast<size_t>(g)], 4);
          uint8_t* qs = head + layout.head_bytes();
          for (int kk = 0; kk < layout.group; ++kk) {
            const int8_t v = q[static_cast<size_t>(g) * layout.group + kk];
            if (layout.nibbles) {
              uint8_t& byte = qs[static_cast<size_t>(kk) * 8 + (j % 8)];
              byte = static_cast<uint8_t>(byte | ((static_cast<uint8_t>(v) & 0x0f) << (j < 8 ? 0 : 4)));
            } else {
              qs[static_cast<size_t>(kk) * 16 + j] = static_cast<uint8_t>(v);
            }
          }
        }
      }
    }
  });
  return p;
}

std::vector<float> unpack_weight(const PackedWeight& w) {
  std::vector<float> out(static_cast<size_t>(w.out) * w.in);
  const auto* data = static_cast<const uint8_t*>(w.storage.get());
  const QuantLayout& L = w.quant;
  for (int o = 0; o < w.out; ++o) {
    const int p = o / kP, j = o % kP;
    for (int k = 0; k < w.in; ++k) {
      float v;
      if (w.quantized()) {
        const uint8_t* head = data + static_cast<size_t>(p) * w.panel_bytes() + static_cast<size_t>(k / L.group) * L.group_bytes();
        const int kk = k % L.group;
        const uint8_t* qs = head + L.head_bytes();
        const int q = L.nibbles ? (qs[8 * kk + j % 8] >> (j < 8 ? 0 : 4)) & 0x0f : static_cast<int8_t>(qs[16 * kk + j]);
        float scale, offset = 0;
        std::memcpy(&scale, head + 4 * j, 4);
        if (L.offsets) std::memcpy(&offset, head + 64 + 4 * j, 4);
        v = scale * static_cast<float>(q);
        if (L.offsets) v = v + offset;
      } else {
        const size_t at = (static_cast<size_t>(p) * w.in + k) * kP;
        v = w.bf16 ? from_bf16(w.b16()[at + PackedWeight::bf16_slot(j)]) : w.f32()[at + j];
      }
      out[static_cast<size_t>(o) * w.in + k] = v;
    }
  }
  return out;
}

void linear_packed(const float* x, int rows, const PackedWeight& w, const float* b, float* y, Activation act) {
  kernels().linear_packed(x, rows, w, b, y, act);
}

}  // namespace attnlab
