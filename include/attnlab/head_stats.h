// Per-head attention statistics after Clark et al. 2019 ("What does BERT look at?"): how much each
// head attends to [CLS] (a decoder's bos or first token), [SEP] (eos), punctuation, the token itself,
// its neighbours, and how broadly.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "attnlab/engine.h"

namespace attnlab {

// One head on one input of n tokens with weights a_ij (query row i, key column j). All are means
// over query rows, computed in double from the float32 probabilities.
struct HeadStats {
  double cls = 0;      // mean_i sum of a_ij over the key positions j holding [CLS] (decoders: "bos")
  double sep = 0;      // ... holding [SEP] (decoders: "eos")
  double punct = 0;    // ... holding a "." or "," token
  double self = 0;     // mean_i a_ii
  double prev = 0;     // mean over i >= 1 of a_i,i-1 (0 when n < 2)
  double next = 0;     // mean over i <= n-2 of a_i,i+1 (0 when n < 2)
  double entropy = 0;  // mean_i of -sum_j a_ij ln a_ij (natural log, 0 ln 0 = 0)
};

// The statistics' names in HeadStats order, as JSON keys, CSV columns, figures and labels use them. An
// encoder's first two columns are [CLS] and [SEP]; a causal decoder has neither, so its columns say what
// they count: "bos" (the bos token, or the first token when the tokenizer adds no bos) and "eos".
inline constexpr int kNumHeadStats = 7;
using HeadStatNames = std::span<const std::string_view, kNumHeadStats>;
inline constexpr std::string_view kHeadStatNames[kNumHeadStats] = {"cls",  "sep",  "punct",  "self",
                                                                   "prev", "next", "entropy"};
inline constexpr std::string_view kDecoderHeadStatNames[kNumHeadStats] = {"bos",  "eos",  "punct",  "self",
                                                                          "prev", "next", "entropy"};
// The names for a model: kDecoderHeadStatNames when it is causal (ModelInfo::causal), else
// kHeadStatNames. Every output (CLI, corpus files, figures, Python) names the columns through this.
HeadStatNames head_stat_names(bool causal);
// s's value of statistic k (0-based, kHeadStatNames order).
double head_stat(const HeadStats& s, int k);

// One layer as it is produced: attention [heads, seq, seq] (LayerView::attention) and the input's
// encoding (seq tokens) -> [heads]. Columns by role: HeadStats::cls ("cls", a decoder's "bos") is
// [CLS] or bos (or, with neither, the first token: a decoder's attention sink), HeadStats::sep ("sep",
// "eos") is [SEP] or eos. Error when the sizes disagree.
// Thread-safe.
std::vector<HeadStats> layer_head_stats(const ArrayView<3>& attention, const Encoding& encoding);

// Every head of a run: [layers * heads], layer-major (index layer * heads + head). The run must keep
// its attentions (RunOptions::attentions); Error otherwise.
std::vector<HeadStats> head_stats(const Result& result);

// Clark et al.'s thresholds for naming what a head does.
inline constexpr double kBroadEntropy = 3.8;     // "broad": entropy > 3.8 nats
inline constexpr double kPositionalShare = 0.5;  // "prev" / "next": > 0.5
inline constexpr double kSpecialShare = 0.6;     // "cls" / "sep" / "punct": > 0.6

// The labels a head earns, in the order broad, prev, next, cls, sep, punct (named as `names` names
// those columns: bos, eos for a decoder); empty when none.
std::vector<std::string_view> head_labels(const HeadStats& s, HeadStatNames names = kHeadStatNames);

}  // namespace attnlab
