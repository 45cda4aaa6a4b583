// Text of a 2-D float tensor exactly as PyTorch's print(tensor) shows it (torch/_tensor_str.py with
// default print options: precision 4, linewidth 80), so attnlab's output can be diffed against a notebook.
#pragma once

#include <string>
#include <string_view>

#include "ops/matrix.h"

namespace attnlab {

// "tensor([[a, b],\n        [c, d]])", or with grad_fn: "tensor([[...]], grad_fn=<AddmmBackward0>)".
std::string torch_tensor_text(const Matrix& m, std::string_view grad_fn = {});

}  // namespace attnlab
