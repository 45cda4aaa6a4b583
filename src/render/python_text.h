// Text as Python prints it, so attnlab's notebook-style output matches the notebook's: repr() of
// a str and of a list of str ("['[CLS]', 'the', ...]"), and f"{x:.4f}" of a float32.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace attnlab {

std::string python_repr(std::string_view s);  // 'it' / "it's" / '\n' escapes, as repr(str)
std::string python_list_repr(const std::vector<std::string>& items);
std::string python_fixed(float v, int decimals);  // f"{v:.{decimals}f}" of a float32 value

}  // namespace attnlab
