// Allocation for FloatBuffer (see float_buffer.h).
#include "core/float_buffer.h"

#include <cstdlib>

#include <sys/mman.h>

namespace attnlab {

namespace {
size_t round_up(size_t bytes) { return (bytes + kHugePage - 1) / kHugePage * kHugePage; }
}  // namespace

void* allocate_buffer(size_t bytes) {
  if (bytes < kHugePage) return ::operator new(bytes);
  if (bytes > std::numeric_limits<size_t>::max() - kHugePage) throw std::bad_alloc();
  void* p = std::aligned_alloc(kHugePage, round_up(bytes));
  if (!p) throw std::bad_alloc();
  ::madvise(p, round_up(bytes), MADV_HUGEPAGE);  // advice only: without THP, plain pages
  return p;
}

void free_buffer(void* p, size_t bytes) noexcept {
  if (!p) return;
  if (bytes < kHugePage) ::operator delete(p);
  else std::free(p);
}

}  // namespace attnlab
