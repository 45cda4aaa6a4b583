// Allocation for FloatBuffer (see float_buffer.h).
#include "core/float_buffer.h"

#include <cstdlib>
#include <mutex>

#include <sys/mman.h>

namespace attnlab {

namespace {

size_t round_up(size_t bytes) { return (bytes + kHugePage - 1) / kHugePage * kHugePage; }

// A few freed large blocks, kept for the next allocation of the same size. A caller looping over
// forward passes frees one pass's attention buffer and allocates the next one's: reusing the block
// skips the page faults and the kernel's page clearing, which cost time even on huge pages.
// glibc does the same below its mmap threshold (at most 32 MB); this extends it to larger blocks.
// What stays cached is bounded: memory the process held a moment ago, never more than kCacheBytes.
class BlockCache {
 public:
  static constexpr size_t kCacheBytes = size_t{256} << 20;
  static constexpr int kSlots = 4;

  void* take(size_t size) {
    std::lock_guard<std::mutex> lock(mu_);
    for (int i = 0; i < count_; ++i)
      if (slots_[i].size == size) {
        void* p = slots_[i].p;
        bytes_ -= size;
        slots_[i] = slots_[--count_];
        return p;
      }
    return nullptr;
  }

  // Keeps p (the newest block), evicting the oldest ones to stay within the bounds; returns false
  // (the caller frees p) if p alone is over them.
  bool keep(void* p, size_t size) {
    if (size > kCacheBytes) return false;
    void* evicted[kSlots];
    int n_evicted = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      while (count_ > 0 && (count_ == kSlots || bytes_ + size > kCacheBytes)) {
        evicted[n_evicted++] = slots_[0].p;
        bytes_ -= slots_[0].size;
        for (int i = 1; i < count_; ++i) slots_[i - 1] = slots_[i];
        --count_;
      }
      slots_[count_++] = {p, size};
      bytes_ += size;
    }
    for (int i = 0; i < n_evicted; ++i) std::free(evicted[i]);
    return true;
  }

 private:
  struct Slot {
    void* p;
    size_t size;
  };
  std::mutex mu_;
  Slot slots_[kSlots] = {};
  int count_ = 0;
  size_t bytes_ = 0;
};

BlockCache& cache() {
  static BlockCache* c = new BlockCache;  // never destroyed: buffers may be freed during static destruction
  return *c;
}

}  // namespace

void* allocate_huge_pages(size_t bytes) {
  if (bytes > std::numeric_limits<size_t>::max() - kHugePage) throw std::bad_alloc();
  const size_t size = round_up(bytes);
  void* p = std::aligned_alloc(kHugePage, size);
  if (!p) throw std::bad_alloc();
  ::madvise(p, size, MADV_HUGEPAGE);  // advice only: without THP, plain pages
  return p;
}

void* allocate_buffer(size_t bytes) {
  if (bytes < kHugePage) return ::operator new(bytes, std::align_val_t{kBufferAlignment});
  if (bytes <= std::numeric_limits<size_t>::max() - kHugePage)
    if (void* p = cache().take(round_up(bytes))) return p;
  return allocate_huge_pages(bytes);
}

void free_buffer(void* p, size_t bytes) noexcept {
  if (!p) return;
  if (bytes < kHugePage) ::operator delete(p, std::align_val_t{kBufferAlignment});
  else if (!cache().keep(p, round_up(bytes))) std::free(p);
}

}  // namespace attnlab
