// A float vector whose resize() leaves new elements unset: for buffers a kernel fills completely,
// where std::vector's zero fill would be a second pass over memory (151 MB of attention
// probabilities for 512 tokens on bert-base).
#pragma once

#include <initializer_list>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

namespace attnlab {

template <class T>
struct DefaultInitAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = DefaultInitAllocator<U>;
  };
  using std::allocator<T>::allocator;
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
