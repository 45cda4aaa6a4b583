// Toy-layer checks (see toy_checks.h).
#include "attnlab/toy_checks.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "attnlab/json_writer.h"

namespace attnlab {

std::vector<double> row_sums(const Matrix& m) {
  std::vector<double> sums(m.rows, 0.0);
  for (int r = 0; r < m.rows; ++r)
    for (int c = 0; c < m.cols; ++c) sums[r] += m.at(r, c);
  return sums;
}

static void compare_rows(const Matrix& before, const Matrix& after, std::vector<float>& max_change,
                         std::vector<bool>& identical) {
  for (int r = 0; r < before.rows; ++r) {
    float mc = 0.0f;
    for (int c = 0; c < before.cols; ++c) mc = std::max(mc, std::abs(after.at(r, c) - before.at(r, c)));
    max_change.push_back(mc);
    identical.push_back(std::memcmp(before.row(r), after.row(r), sizeof(float) * before.cols) == 0);
  }
}

ContextTest run_context_test(const ToyParameters& params, const Matrix& x, int token, float delta) {
  ContextTest t;
  t.changed_token = token;
  t.changed_input = x;
  for (int c = 0; c < x.cols; ++c) t.changed_input.at(token, c) += delta;
  const Matrix na_before = non_attention_forward(params.non_attention, x);
  const Matrix na_after = non_attention_forward(params.non_attention, t.changed_input);
  const ToyAttention at_before = simple_attention_forward(params, x);
  const ToyAttention at_after = simple_attention_forward(params, t.changed_input);
  compare_rows(na_before, na_after, t.non_attention_max_change, t.non_attention_identical);
  compare_rows(at_before.output, at_after.output, t.attention_max_change, t.attention_identical);
  return t;
}

static void write_linear(JsonWriter& w, const char* name, const Linear& l) {
  w.key(name).begin_object();
  w.key("weight").floats(l.weight.data, l.weight.rows, l.weight.cols);
  w.key("bias").floats(l.bias);
  w.end_object();
}

static void write_matrix(JsonWriter& w, const char* name, const Matrix& m) {
  w.key(name).floats(m.data, m.rows, m.cols);
}

std::string toy_json(const toy::Run& r, const ContextTest& ct, std::string_view seed_text, float delta) {
  const ToyAttention& at = r.attention;
  JsonWriter w;
  w.begin_object();
  w.key("seed");
  w.raw_number(std::string(seed_text));
  write_matrix(w, "input", r.input);
  write_matrix(w, "non_attention_output", r.non_attention);
  write_matrix(w, "attention_weights", at.weights);
  write_matrix(w, "attention_output", at.output);
  write_matrix(w, "queries", at.queries);
  write_matrix(w, "keys", at.keys);
  write_matrix(w, "values", at.values);
  write_matrix(w, "scores", at.scores);
  w.key("parameters").begin_object();
  write_linear(w, "non_attention.linear", r.parameters.non_attention);
  write_linear(w, "query", r.parameters.query);
  write_linear(w, "key", r.parameters.key);
  write_linear(w, "value", r.parameters.value);
  w.end_object();
  w.key("attention_row_sums").begin_array();
  for (double s : row_sums(at.weights)) w.value(static_cast<float>(s));
  w.end_array();
  w.key("context_test").begin_object();
  w.key("changed_token").value(ct.changed_token + 1);
  w.key("delta").value(delta);
  w.key("non_attention_max_change").floats(ct.non_attention_max_change);
  w.key("attention_max_change").floats(ct.attention_max_change);
  w.end_object();
  w.end_object();
  return w.str() + "\n";
}

}  // namespace attnlab
