// This build's table of entry points (see kernels.h).
#include "ops/isa/kernels.h"

namespace attnlab::ATTNLAB_ISA_NS {

const KernelTable kKernels = {&linear_packed, &multi_head_attention, &add_layer_norm_rows, &softmax_rows,
                              &exp_inplace,   &gelu_erf_fast,        &gelu_tanh_mul};

}  // namespace attnlab::ATTNLAB_ISA_NS
