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

TEST(FloatBuffer, ImpossibleSizesThrowBadAlloc) {
  DefaultInitAllocator<float> a;
  EXPECT_THROW((void)a.allocate(std::numeric_limits<size_t>::max() / 2), std::bad_alloc);
}

}  // namespace
}  // namespace attnlab
