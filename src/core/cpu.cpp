// CPU feature detection and the choice of kernel build (see cpu.h).
#include "core/cpu.h"

#include <atomic>
#include <cstdlib>
#include <string>
#include <string_view>

#include "attnlab/error.h"

namespace attnlab {

namespace {

constexpr Isa kAll[] = {Isa::kScalar, Isa::kAvx2, Isa::kAvx512};

// What the CPU can run, from CPUID (libgcc's __builtin_cpu_supports also checks that the OS saves
// the AVX and AVX-512 registers: XGETBV).
bool cpu_has(Isa isa) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  // F16C (in the avx2 build's flags) came before AVX2 on every x86 line, and clang's builtin does
  // not know the name: AVX2 + FMA imply it.
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  switch (isa) {
    case Isa::kScalar: return true;
    case Isa::kAvx2: return avx2;
    case Isa::kAvx512:
      return avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
  }
  return false;
#else
  return isa == Isa::kScalar;
#endif
}

// Which builds this binary holds (cmake/isa.cmake defines these on the library).
bool built(Isa isa) {
  switch (isa) {
    case Isa::kScalar: return true;
#ifdef ATTNLAB_ISA_AVX2
    case Isa::kAvx2: return true;
#endif
#ifdef ATTNLAB_ISA_AVX512
    case Isa::kAvx512: return true;
#endif
    default: return false;
  }
}

Isa best_supported() {
  Isa best = Isa::kScalar;
  for (Isa isa : kAll)
    if (isa_supported(isa)) best = isa;
  return best;
}

std::string supported_list() {
  std::string list;
  for (Isa isa : kAll)
    if (isa_supported(isa)) list += std::string(list.empty() ? "" : ", ") + isa_name(isa);
  return list;
}

[[noreturn]] void unsupported(std::string_view what, Isa isa) {
  const std::string_view family = isa == Isa::kAvx512 ? "AVX-512" : "AVX2 + FMA";
  const std::string reason = cpu_has(isa) ? "this build of attnlab has no " + std::string(family) + " kernels"
                                          : "this CPU does not support " + std::string(family);
  throw Error(std::string(what) + ": " + reason + " (supported: " + supported_list() + ")", kExitUsage);
}

constexpr int kUnset = -1;
std::atomic<int> g_forced{kUnset};  // set_isa()'s choice

}  // namespace

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::kScalar: return "scalar";
    case Isa::kAvx2: return "avx2";
    case Isa::kAvx512: return "avx512";
  }
  return "unknown";
}

bool isa_supported(Isa isa) { return built(isa) && cpu_has(isa); }

bool cpu_has_clmul() {
  static const bool yes = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
  return yes;
}

Isa isa_from_setting(std::string_view value) {
  if (value.empty()) return best_supported();
  const std::string what = "ATTNLAB_ISA=" + std::string(value);
  for (Isa isa : kAll)
    if (value == isa_name(isa)) {
      if (!isa_supported(isa)) unsupported(what, isa);
      return isa;
    }
  throw Error(what + ": unknown instruction set; known: scalar, avx2, avx512 (supported here: " + supported_list() +
                  ")",
              kExitUsage);
}

Isa active_isa() {
  const int forced = g_forced.load(std::memory_order_relaxed);
  if (forced != kUnset) return static_cast<Isa>(forced);
  // A throw leaves it unset: the next call reports the bad $ATTNLAB_ISA again.
  static const Isa chosen = isa_from_setting(std::getenv("ATTNLAB_ISA") ? std::getenv("ATTNLAB_ISA") : "");
  return chosen;
}

void set_isa(Isa isa) {
  if (!isa_supported(isa)) unsupported(std::string("set_isa(") + isa_name(isa) + ")", isa);
  g_forced.store(static_cast<int>(isa), std::memory_order_relaxed);
}

}  // namespace attnlab
