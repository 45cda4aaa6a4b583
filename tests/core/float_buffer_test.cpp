#include "core/float_buffer.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace attnlab {
namespace {

TEST(FloatBuffer, LargeBuffersStartOnHugePageBoundaries) {
  FloatBuffer big(kHugePage / sizeof(float) + 3);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(big.data()) % kHugePage, 0u);
  // The whole block is usable, first to last element, and moves as any vector's would.
  big.front() = 1.0f;
  big.back() = 2.0f;
  FloatBuffer moved = std::move(big);
  EXPECT_EQ(moved.front(), 1.0f);
  EXPECT_EQ(moved.back(), 2.0f);
}

TEST(FloatBuffer, GrowingAcrossTheHugePageThresholdKeepsTheContents) {
  FloatBuffer b;
  for (int i = 0; i < 1000; ++i) b.push_back(static_cast<float>(i));
  b.resize(kHugePage / sizeof(float) * 2);  // small block -> large block
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(b[static_cast<size_t>(i)], static_cast<float>(i));
  b.resize(10);
  b.shrink_to_fit();  // large block -> small block
  EXPECT_EQ(b[9], 9.0f);
}

TEST(FloatBuffer, AFreedLargeBlockServesTheNextBufferOfItsSize) {
  const size_t n = 3 * kHugePage / sizeof(float) + 5;  // an odd size: blocks are reused by rounded size
  {
    FloatBuffer a(n);
    a[n / 2] = 42.0f;
  }
  // The same pages, not fresh ones to fault in and clear (a fresh block would read 0: the address
  // alone cannot tell, as mmap often hands back the range munmap just released).
  FloatBuffer b(n);
  EXPECT_EQ(b[n / 2], 42.0f);
  FloatBuffer c(n);  // b holds the cached block: c gets a new one
  EXPECT_NE(c.data(), b.data());
}

TEST(FloatBuffer, ImpossibleSizesThrowBadAlloc) {
  DefaultInitAllocator<float> a;
  EXPECT_THROW((void)a.allocate(std::numeric_limits<size_t>::max() / 2), std::bad_alloc);
}

}  // namespace
}  // namespace attnlab
