// The notebook's toy layers (see toy.h).
#include "attnlab/toy.h"

#include <cmath>

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
  const Matrix q = apply(p.query, x), k = apply(p.key, x), v = apply(p.value, x);
  const int n = x.rows, d = k.cols;
  ToyAttention out{Matrix(n, n), Matrix(n, v.cols)};
  // scores = Q K^T, then divided by K.size(-1) ** 0.5 (a Python float), as the notebook writes it.
  Matrix kt(d, n);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < d; ++j) kt.at(j, i) = k.at(i, j);
  matmul(q.data.data(), kt.data.data(), n, d, n, out.weights.data.data());
  const float scale = static_cast<float>(std::pow(static_cast<double>(d), 0.5));
  for (float& s : out.weights.data) s /= scale;
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

}  // namespace attnlab
