// A float vector whose resize() leaves new elements unset: for buffers a kernel fills completely,
// where std::vector's zero fill would be a second pass over memory (151 MB of attention
// probabilities for 512 tokens on bert-base).
#pragma once

#include <cstddef>
#include <initializer_list>
#include <limits>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

namespace attnlab {

// Buffers of this size and more sit on 2 MB boundaries and ask for transparent huge pages. Every
// forward pass returns fresh attention buffers (151 MB for 512 tokens on bert-base), which the kernel
// faults in and clears page by page: on 2 MB pages that costs a fraction of what it costs on 4 kB
// pages (README.md, "Speed").
inline constexpr size_t kHugePage = size_t{2} << 20;

// A block of at least `bytes` on 2 MB boundaries (size rounded up to whole 2 MB pages) with
// transparent huge pages asked for; release with std::free. Throws std::bad_alloc.
void* allocate_huge_pages(size_t bytes);

// Small blocks sit on 64-byte boundaries: kernels load whole vectors from them with aligned loads
// (an AVX2 load from operator new's 16-byte boundary faults).
inline constexpr size_t kBufferAlignment = 64;

// Large blocks as above (a few freed ones are kept for reuse, at most 256 MB: see
// float_buffer.cpp); small ones from operator new. The size decides both ways.
void* allocate_buffer(size_t bytes);
void free_buffer(void* p, size_t bytes) noexcept;

template <class T>
struct DefaultInitAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = DefaultInitAllocator<U>;
  };
  using std::allocator<T>::allocator;
  T* allocate(size_t n) {
    if (n > std::numeric_limits<size_t>::max() / sizeof(T)) throw std::bad_array_new_length();
    return static_cast<T*>(allocate_buffer(n * sizeof(T)));
  }
  void deallocate(T* p, size_t n) noexcept { free_buffer(p, n * sizeof(T)); }
  template <class U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(p)) U;  // default-initialisation: no write for float
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

using FloatBuffer = std::vector<float, DefaultInitAllocator<float>>;

// Scratch buffers kept per thread between calls (reuse costs no page faults) are let go once a
// call grew them past this (a batch of many long sequences), instead of staying allocated for the
// rest of the process. A set of buffers is judged by their total.
inline constexpr size_t kKeepScratchBytes = size_t{64} << 20;
inline void release_if_large(std::initializer_list<FloatBuffer*> buffers) {
  size_t bytes = 0;
  for (const FloatBuffer* b : buffers) bytes += b->capacity() * sizeof(float);
  if (bytes > kKeepScratchBytes)
    for (FloatBuffer* b : buffers) FloatBuffer().swap(*b);
}

}  // namespace attnlab
