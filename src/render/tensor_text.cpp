// PyTorch-identical tensor printing (see tensor_text.h); follows torch._tensor_str._Formatter.
#include "attnlab/text_format.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

namespace attnlab {
namespace {

constexpr int kPrecision = 4;
constexpr int kLinewidth = 80;

std::string printf_double(const char* fmt, int width, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, width, kPrecision, v);
  return buf;
}

// Python's "{:.4f}" / "{:.4e}" / "{:.0f}" of a float32 value (widened to double, as .item() does).
struct Formatter {
  bool int_mode = true;
  bool sci_mode = false;
  int max_width = 1;

  explicit Formatter(const std::vector<float>& values) {
    std::vector<double> nz;  // nonzero finite values
    for (float v : values)
      if (std::isfinite(v) && v != 0.0f) nz.push_back(v);
    if (nz.empty()) return;
    double mn = std::abs(nz[0]), mx = mn;
    for (double v : nz) {
      mn = std::min(mn, std::abs(v));
      mx = std::max(mx, std::abs(v));
    }
    for (double v : nz) {
      if (static_cast<float>(v) != std::ceil(static_cast<float>(v))) {
        int_mode = false;
        break;
      }
    }
    if (int_mode) {
      sci_mode = mx / mn > 1000.0 || mx > 1.0e8;
      for (double v : nz) {
        int len = sci_mode ? static_cast<int>(printf_double("%*.*e", 0, v).size())
                           : static_cast<int>(printf_double("%*.0f", 0, v).size()) + 1;
        max_width = std::max(max_width, len);
      }
    } else {
      sci_mode = mx / mn > 1000.0 || mx > 1.0e8 || mn < 1.0e-4;
      for (double v : nz) {
        int len = static_cast<int>(printf_double(sci_mode ? "%*.*e" : "%*.*f", 0, v).size());
        max_width = std::max(max_width, len);
      }
    }
  }

  std::string format(float f) const {
    const double v = f;
    std::string s;
    if (sci_mode) {
      s = printf_double("%*.*e", max_width, v);
    } else if (int_mode) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.0f", v);
      s = buf;
      if (std::isfinite(v)) s += ".";
    } else {
      s = printf_double("%*.*f", 0, v);
    }
    if (std::isnan(v)) s = "nan";
    else if (std::isinf(v)) s = v > 0 ? "inf" : "-inf";
    if (static_cast<int>(s.size()) < max_width) s.insert(0, max_width - s.size(), ' ');
    return s;
  }
};

}  // namespace

std::string torch_tensor_text(const Matrix& m, std::string_view grad_fn) {
  const Formatter fmt(m.data);
  const int indent = 7;  // len("tensor(")
  // Inside the outer bracket each row is a vector printed at indent + 1.
  const int element_length = fmt.max_width + 2;
  const int per_line = std::max(1, (kLinewidth - (indent + 1)) / element_length);
  std::string out = "tensor([";
  for (int r = 0; r < m.rows; ++r) {
    if (r > 0) out += ",\n" + std::string(indent + 1, ' ');
    out += '[';
    for (int c = 0; c < m.cols; ++c) {
      if (c > 0) out += (c % per_line == 0) ? ",\n" + std::string(indent + 2, ' ') : ", ";
      out += fmt.format(m.at(r, c));
    }
    out += ']';
  }
  out += ']';
  if (!grad_fn.empty()) {
    out += ", grad_fn=<";
    out += grad_fn;
    out += '>';
  }
  out += ')';
  return out;
}

}  // namespace attnlab
