// Text as Python and PyTorch print it, so attnlab's notebook-style output can be diffed against a
// notebook's: repr() of a str and of a list of str ("['[CLS]', 'the', ...]"), f"{x:.4f}" of a
// float32, and print(tensor) of a 2-D tensor.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "attnlab/matrix.h"

namespace attnlab {

std::string python_repr(std::string_view s);  // 'it' / "it's" / '\n' escapes, as repr(str)
std::string python_list_repr(const std::vector<std::string>& items);
std::string python_fixed(float v, int decimals);  // f"{v:.{decimals}f}" of a float32 value

// print(tensor) with default print options (torch/_tensor_str.py: precision 4, linewidth 80):
// "tensor([[a, b],\n        [c, d]])", or with grad_fn: "tensor([[...]], grad_fn=<AddmmBackward0>)".
std::string torch_tensor_text(const Matrix& m, std::string_view grad_fn = {});

}  // namespace attnlab
