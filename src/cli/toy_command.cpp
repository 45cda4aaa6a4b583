// `attnlab toy`: the notebook's toy non-attention and attention layers (cells 1-2), printed as the
// notebook prints them, then the "what to look for" checks made visible.
#include <cstdio>
#include <string>

#include "attnlab/toy_checks.h"
#include "cli/commands.h"
#include "cli/notebook_text.h"
#include "attnlab/error.h"
#include "attnlab/toy.h"

namespace attnlab::cli {
namespace {

struct ToyOptions {
  std::string seed_text = "103";
  uint64_t seed = 103;  // negative seeds are valid in PyTorch too (two's complement)
  bool json = false;
  int change_token = 1;  // 1-based, as the notebook labels tokens
  float delta = 1.0f;
};

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string toy_text(const ToyOptions& o, const Matrix& x, const Matrix& na, const ToyAttention& at,
                     const ContextTest& ct) {
  std::string s = toy_notebook_text(o.seed_text, x, na, at);

  // What the notebook asks students to look for, shown.
  s += "\n=== Check: each attention-weight row sums to 1 ===\n";
  const auto sums = row_sums(at.weights);
  for (size_t r = 0; r < sums.size(); ++r)
    s += "Token " + std::to_string(r + 1) + ": " + fmt("%.7f", sums[r]) + "\n";

  s += "\n=== Check: context (Token " + std::to_string(ct.changed_token + 1) + " changed by " +
       fmt("%+g", o.delta) + " on every feature) ===\n";
  s += "Max change per output row:\n";
  s += "           non-attention           attention\n";
  for (size_t r = 0; r < ct.attention_max_change.size(); ++r) {
    std::string row = "Token " + std::to_string(r + 1) + "    ";
    const bool changed = static_cast<int>(r) == ct.changed_token;
    std::string na_cell = ct.non_attention_identical[r]
                              ? std::string("0 (bit-identical)")
                              : fmt("%.6f", ct.non_attention_max_change[r]);
    std::string at_cell = ct.attention_identical[r] ? std::string("0 (bit-identical)")
                                                    : fmt("%.6f", ct.attention_max_change[r]);
    na_cell.resize(24, ' ');
    s += row + na_cell + at_cell + (changed ? "   <- changed token" : "") + "\n";
  }
  int na_moved = 0, at_moved = 0;
  for (size_t r = 0; r < ct.attention_max_change.size(); ++r) {
    if (static_cast<int>(r) == ct.changed_token) continue;
    na_moved += !ct.non_attention_identical[r];
    at_moved += !ct.attention_identical[r];
  }
  const int others = static_cast<int>(ct.attention_max_change.size()) - 1;
  s += "Non-attention: " + std::to_string(others - na_moved) + " of " + std::to_string(others) +
       " other token rows bit-identical (each token is processed on its own).\n";
  s += "Attention:     " + std::to_string(at_moved) + " of " + std::to_string(others) +
       " other token rows changed (each token blends information from all tokens).\n";
  return s;
}

}  // namespace

void add_toy_command(CLI::App& app) {
  auto opts = std::make_shared<ToyOptions>();
  CLI::App* cmd = app.add_subcommand(
      "toy",
      "The notebook's toy layers (cells 1-2): a non-attention nn.Linear and a single-head attention\n"
      "layer on 4 tokens x 4 features, with PyTorch's exact weights for the seed, printed as the\n"
      "notebook prints them; then the row-sum and context checks.");
  cmd->add_option("--seed", opts->seed_text, "torch.manual_seed value (the notebook uses 103); any 64-bit integer, as in PyTorch")
      ->capture_default_str();
  cmd->add_flag("--json", opts->json,
                "Print one JSON object: input, outputs, attention weights and every parameter "
                "(floats with 9 significant digits)");
  cmd->add_option("--change-token", opts->change_token,
                  "Context check: which token (1-4) to change")
      ->check(CLI::Range(1, 4))
      ->capture_default_str();
  cmd->add_option("--delta", opts->delta, "Context check: amount added to each of its features")
      ->capture_default_str();
  cmd->callback([opts] {
    opts->seed = toy::parse_seed(opts->seed_text, &opts->seed_text);
    const toy::Run r = toy::run(opts->seed);
    const ContextTest ct = run_context_test(r.parameters, r.input, opts->change_token - 1, opts->delta);
    write_stdout(opts->json ? toy_json(r, ct, opts->seed_text, opts->delta)
                            : toy_text(*opts, r.input, r.non_attention, r.attention, ct));
  });
}

}  // namespace attnlab::cli
