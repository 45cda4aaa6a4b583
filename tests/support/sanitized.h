// Whether this test binary runs under a sanitizer (ASan or TSan): GCC says __SANITIZE_ADDRESS__ /
// __SANITIZE_THREAD__, clang answers __has_feature. Tests that set RLIMIT_AS (the sanitizers reserve
// terabytes of address space) or time things tightly skip or relax under them.
#pragma once

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define ATTNLAB_TEST_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define ATTNLAB_TEST_SANITIZED 1
#endif

namespace attnlab::testing {
#ifdef ATTNLAB_TEST_SANITIZED
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif
}  // namespace attnlab::testing
