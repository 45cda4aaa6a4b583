// The one place that knows the CPU: which instruction sets it has and which kernel build
// (ops/isa/, compiled once per instruction set) runs.
#pragma once

#include <string_view>

namespace attnlab {

// Kernel builds, in increasing order of what they need:
//   kScalar  baseline x86-64 (SSE2), runs anywhere
//   kAvx2    AVX2 + FMA + F16C (Haswell, Zen and later)
//   kAvx512  AVX-512 F/BW/DQ/VL on top of AVX2 (Skylake-X, Ice Lake, Zen 4); the AVX2 kernels'
//            source compiled with AVX-512 enabled, same numbers
enum class Isa { kScalar, kAvx2, kAvx512 };

// "scalar", "avx2", "avx512": the names $ATTNLAB_ISA accepts.
const char* isa_name(Isa isa);

// True when this CPU (and OS) can run the build and this binary contains it (an avx512 build needs
// a compiler that accepts the AVX-512 flags).
bool isa_supported(Isa isa);

// Carry-less multiplication (PCLMULQDQ) and SSE4.1: the CRC-32 folding of io/crc32.cpp.
bool cpu_has_clmul();

// The build kernels use: the best supported one, unless $ATTNLAB_ISA names another or set_isa()
// chose one. Decided on the first call; an unknown $ATTNLAB_ISA, or one this CPU lacks, is an
// attnlab::Error with exit code kExitUsage ("ATTNLAB_ISA=avx512: this CPU does not support
// AVX-512 (supported: scalar, avx2)").
Isa active_isa();

// The build a value of $ATTNLAB_ISA selects: its name, or the best supported one for "" (unset).
// Error(kExitUsage) as above for an unknown name or an unsupported build.
Isa isa_from_setting(std::string_view value);

// Forces a build (tests run each kernel under every supported ISA); Error(kExitUsage) when
// unsupported. Not meant to race with running kernels: call it before forward passes, not during
// one (a pass then mixes builds; each is correct, but the numbers of one pass may then differ from
// a pass under a single build in the last bits).
void set_isa(Isa isa);

}  // namespace attnlab
