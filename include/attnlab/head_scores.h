// The head phenomena of LLMs, scored the way the field scores them, per layer and head:
//  - previous-token, duplicate-token and induction heads: TransformerLens' head_detector.detect_head
//    (transformer_lens/head_detector.py, commit 4cd36aae): detection pattern P (previous token: (i, i-1);
//    duplicate token: earlier positions j < i holding the same id; induction: those shifted one column,
//    j = p + 1 for each earlier occurrence p of token i, which reaches the diagonal when token i - 1 is
//    token i), score "mul" = sum(A . P) / sum(A) over the head's whole matrix A, and the same with
//    exclude_bos and exclude_current_token (column 0 and the diagonal of A zeroed, denominator included);
//  - the induction stripe of TransformerLens' Main_Demo: on a random sequence of L tokens repeated, the
//    mean of A's diagonal at offset 1 - L, over the repeated tokens' square (after any prefix such as BOS);
//  - attention sinks: sail-sg/Attention-Sink's eval_sink_open_source.py (commit af497272): alpha_k =
//    sum over query rows q of a_qk / (T - k) for the first keys k, and the share of heads (percent) with
//    alpha_k > epsilon = 0.3;
//  - self (mean_i a_ii), local_window (mean_i of the mass on the last w keys, i - w < j <= i) and entropy
//    (mean_i of -sum_j a_ij ln a_ij, natural log, 0 ln 0 = 0), as head-stats means them.
// Every score is a sum over query rows, so it is taken from blocks of rows as the pass makes them
// (RunOptions::on_attention_rows): any length in bounded memory. Computed in double from the float32
// probabilities.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "attnlab/engine.h"

namespace attnlab {

inline constexpr int kSinkKeys = 4;           // alpha_0 .. alpha_3 (StreamingLLM keeps 4 sink tokens)
inline constexpr double kSinkEpsilon = 0.3;   // Attention-Sink's threshold

// The scores' names as JSON keys, in this order; each is [layers][heads].
inline constexpr std::string_view kHeadScoreNames[] = {
    "sink",         "previous_token",      "duplicate_token",      "induction",
    "previous_token_excl", "duplicate_token_excl", "induction_excl", "self",
    "local_window", "entropy",             "induction_stripe"};
inline constexpr int kNumHeadScores = 11;

struct HeadScoreOptions {
  int local_window = 16;  // w of local_window
  // The induction stripe's layout: ids = `prefix` tokens, then L random tokens repeated (length 0: none).
  int prefix = 0;
  int length = 0;
  // What the model masks (ModelInfo::causal, windows): each row is read over the keys it sees only,
  // [i - window + 1, i] or [0, i]; the rest are exact zeros, so the sums are the same. Empty: every key.
  bool causal = false;
  std::vector<int> windows;  // per layer, 0 = none
};

struct HeadScores {
  int layers = 0, heads = 0, tokens = 0;
  bool has_stripe = false;  // an induction layout was given
  // scores[k][layer * heads + head] for k in kHeadScoreNames order (induction_stripe empty without
  // a layout).
  std::vector<std::vector<double>> scores;
  // alpha_k [kSinkKeys][layer * heads + head] (keys past the input: 0), and the percentage of heads
  // with alpha_k > kSinkEpsilon ([min(kSinkKeys, tokens)]).
  std::vector<std::vector<double>> sink_by_key;
  std::vector<double> sink_rate_percent;
  const std::vector<double>& score(std::string_view name) const;
};

// Sums the scores' terms over blocks of query rows of one input (ids: its tokens; every row of every
// layer must come once). Not thread-safe; one per input.
class HeadScoreAccumulator {
 public:
  HeadScoreAccumulator(int layers, int heads, std::span<const int> ids, const HeadScoreOptions& options = {});
  void add(const AttentionRows& rows);
  HeadScores result() const;

 private:
  int layers_, heads_, seq_;
  HeadScoreOptions opt_;
  std::vector<int> previous_;  // per position i: the last p < i holding ids[i], or -1 (a chain per id)
  // Per head (layer * heads + head): the sums the scores are ratios of.
  struct Sums {
    double all = 0, excl = 0;                 // sum(A), sum(A) without column 0 and the diagonal
    double prev = 0, dup = 0, ind = 0;        // sum(A . P)
    double prev_x = 0, dup_x = 0, ind_x = 0;  // with both exclusions
    double self = 0, local = 0, entropy = 0;
    double stripe = 0;
    double key[kSinkKeys] = {};
  };
  std::vector<Sums> sums_;
  int stripe_rows_ = 0;  // rows that contribute to the stripe
};

// One input through the engine, blocks of rows at a time (bounded memory).
HeadScores head_scores(const Engine& engine, const Encoding& input, const HeadScoreOptions& options = {});

// Token-weighted means over a corpus (sum_i n_i s_i / sum_i n_i), mergeable across shards: add each
// input's scores, merge totals, then means().
struct HeadScoreTotals {
  int layers = 0, heads = 0;
  long long tokens = 0, inputs = 0;
  std::vector<std::vector<double>> weighted;  // [score][layer * heads + head]: sum_i n_i s_i
  // sum_i n_i over the inputs where that score is defined (an _excl score with nothing left is NaN)
  std::vector<std::vector<long long>> weights;
  void add(const HeadScores& s);
  void merge(const HeadScoreTotals& other);
  HeadScores means() const;  // induction_stripe empty; sink_by_key / sink_rate_percent empty
};

// Random token ids for the induction test: `length` ids drawn from [1000, 10000) when the vocabulary
// has more than 10000 ids (TransformerLens' Main_Demo range), else from [0, vocab), never one of
// one for which `special` says true; from SplitMix64 seeded with `seed` (attnlab's own generator: the
// same ids on every machine, not PyTorch's).
std::vector<int> induction_tokens(int length, int vocab, const std::function<bool(int)>& special,
                                  unsigned long long seed);

}  // namespace attnlab
