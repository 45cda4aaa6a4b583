// The notebook's toy layers (see toy.h).
#include "attnlab/toy.h"

#include <cmath>

#include "attnlab/error.h"
#include "ops/linear.h"
#include "ops/softmax.h"
#include "ops/torch_rng.h"

namespace attnlab {
namespace {

// nn.Linear's default initialisation, drawing weight first, then bias:
// weight ~ kaiming_uniform_(a=sqrt(5)), bias ~ U(-1/sqrt(in), 1/sqrt(in)).
Linear make_linear(TorchGenerator& gen, int in_features, int out_features) {
  Linear l{Matrix(out_features, in_features), std::vector<float>(out_features)};
  // torch.nn.init.kaiming_uniform_(w, a=math.sqrt(5)), evaluated in double exactly as Python does.
  const double a = std::sqrt(5.0);
  const double gain = std::sqrt(2.0 / (1.0 + std::pow(a, 2.0)));
  const double std_dev = gain / std::sqrt(static_cast<double>(in_features));
  const double w_bound = std::sqrt(3.0) * std_dev;
  uniform_(gen, l.weight.data, -w_bound, w_bound);
  const double b_bound = in_features > 0 ? 1.0 / std::sqrt(static_cast<double>(in_features)) : 0.0;
  uniform_(gen, l.bias, -b_bound, b_bound);
  return l;
}

}  // namespace

ToyParameters make_toy_parameters(uint64_t seed, int dim) {
  TorchGenerator gen(seed);
  ToyParameters p;
  p.non_attention = make_linear(gen, dim, dim);
  p.query = make_linear(gen, dim, dim);
  p.key = make_linear(gen, dim, dim);
  p.value = make_linear(gen, dim, dim);
  return p;
}

Matrix notebook_toy_input() {
  Matrix x(4, 4);
  x.data = {1.0f, 0.5f, 0.8f, 0.3f,  //
            0.2f, 0.9f, 0.4f, 0.7f,  //
            0.6f, 0.3f, 0.2f, 0.8f,  //
            0.1f, 0.5f, 0.9f, 0.4f};
  return x;
}

static Matrix apply(const Linear& l, const Matrix& x) {
  Matrix y(x.rows, l.weight.rows);
  linear(x.data.data(), x.rows, x.cols, l.weight.data.data(), l.bias.data(), l.weight.rows,
         y.data.data());
  return y;
}

Matrix non_attention_forward(const Linear& linear, const Matrix& x) { return apply(linear, x); }

ToyAttention simple_attention_forward(const ToyParameters& p, const Matrix& x) {
  ToyAttention out;
  out.queries = apply(p.query, x);
  out.keys = apply(p.key, x);
  out.values = apply(p.value, x);
  const Matrix &q = out.queries, &k = out.keys, &v = out.values;
  const int n = x.rows, d = k.cols;
  out.weights = Matrix(n, n);
  out.output = Matrix(n, v.cols);
  // scores = Q K^T, then divided by K.size(-1) ** 0.5 (a Python float), as the notebook writes it.
  Matrix kt(d, n);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < d; ++j) kt.at(j, i) = k.at(i, j);
  matmul(q.data.data(), kt.data.data(), n, d, n, out.weights.data.data());
  const float scale = static_cast<float>(std::pow(static_cast<double>(d), 0.5));
  for (float& s : out.weights.data) s /= scale;
  out.scores = out.weights;
  softmax_rows(out.weights.data.data(), n, n);
  matmul(out.weights.data.data(), v.data.data(), n, n, v.cols, out.output.data.data());
  return out;
}

toy::Run toy::run(uint64_t seed) {
  Run r;
  r.parameters = make_toy_parameters(seed);
  r.input = notebook_toy_input();
  r.non_attention = non_attention_forward(r.parameters.non_attention, r.input);
  r.attention = simple_attention_forward(r.parameters, r.input);
  return r;
}

uint64_t toy::parse_seed(std::string_view text, std::string* canonical) {
  const bool negative = !text.empty() && text.front() == '-';
  const std::string_view digits = negative ? text.substr(1) : text;
  bool ok = !digits.empty() && digits.size() <= 20;
  for (char c : digits) ok = ok && c >= '0' && c <= '9';
  uint64_t value = 0;
  if (ok) {
    // Exact decimal parse with overflow detection; the bound is 2^64 - 1, or 2^63 for a negative seed.
    const uint64_t limit = negative ? (uint64_t{1} << 63) : ~uint64_t{0};
    for (char c : digits) {
      const uint64_t d = static_cast<uint64_t>(c - '0');
      if (value > (limit - d) / 10) { ok = false; break; }
      value = value * 10 + d;
    }
  }
  if (!ok)
    throw Error("--seed: expected an integer in [-9223372036854775808, 18446744073709551615] (as "
                "torch.manual_seed accepts), got '" + std::string(text) + "'", kExitUsage);
  if (canonical) {
    *canonical = std::to_string(value);
    if (negative && value != 0) canonical->insert(canonical->begin(), '-');
  }
  return negative ? ~value + 1 : value;
}

}  // namespace attnlab
