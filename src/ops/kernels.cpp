// Picks the kernel build of the active instruction set (see ops/isa/kernels.h, core/cpu.h).
#include "core/cpu.h"
#include "ops/isa/kernels.h"

namespace attnlab {

const KernelTable& kernels() {
  switch (active_isa()) {
#ifdef ATTNLAB_ISA_AVX512
    case Isa::kAvx512: return avx512::kKernels;
#endif
#ifdef ATTNLAB_ISA_AVX2
    case Isa::kAvx2: return avx2::kKernels;
#endif
    default: return scalar::kKernels;
  }
}

}  // namespace attnlab
