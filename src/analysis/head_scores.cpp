// Head phenomena scores (see attnlab/head_scores.h): per query row, the terms of each score's sums.
#include "attnlab/head_scores.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "attnlab/error.h"
#include "core/thread_pool.h"

namespace attnlab {

const std::vector<double>& HeadScores::score(std::string_view name) const {
  for (int k = 0; k < kNumHeadScores; ++k)
    if (kHeadScoreNames[k] == name) return scores[static_cast<size_t>(k)];
  throw Error("no head score named '" + std::string(name) + "'");
}

HeadScoreAccumulator::HeadScoreAccumulator(int layers, int heads, std::span<const int> ids,
                                           const HeadScoreOptions& options)
    : layers_(layers),
      heads_(heads),
      seq_(static_cast<int>(ids.size())),
      opt_(options),
      previous_(ids.size(), -1),
      sums_(static_cast<size_t>(layers) * heads) {
  std::map<int, int> last;  // id -> its latest position so far
  for (int i = 0; i < seq_; ++i) {
    const auto [it, fresh] = last.try_emplace(ids[static_cast<size_t>(i)], i);
    if (!fresh) {
      previous_[static_cast<size_t>(i)] = it->second;
      it->second = i;
    }
  }
  if (opt_.length > 0)
    for (int i = 0; i < seq_; ++i) {
      const int r = i - opt_.prefix;  // row within the repeated tokens' square
      if (r >= opt_.length - 1 && r - opt_.length + 1 >= 0) ++stripe_rows_;
    }
}

void HeadScoreAccumulator::add(const AttentionRows& r) {
  const int n = seq_, rows = r.rows();
  if (static_cast<int>(r.probs.shape[2]) != n || static_cast<int>(r.probs.shape[0]) != heads_)
    throw Error("head scores: a block of " + std::to_string(r.probs.shape[0]) + " heads x " +
                std::to_string(r.probs.shape[2]) + " keys for a model of " + std::to_string(heads_) +
                " heads and an input of " + std::to_string(n) + " tokens");
  const int w = std::max(1, opt_.local_window);
  const int window = opt_.causal && static_cast<size_t>(r.layer) < opt_.windows.size()
                         ? opt_.windows[static_cast<size_t>(r.layer)] : 0;
  // Heads in parallel (the pass waits for this block): each adds into its own sums.
  parallel_for(heads_, [&](int h) {
    Sums& s = sums_[static_cast<size_t>(r.layer) * heads_ + h];
    for (int k = 0; k < rows; ++k) {
      const int i = r.row0 + k;
      const float* a = r.probs.data + (static_cast<size_t>(h) * rows + k) * n;
      double all = 0, entropy = 0, local = 0;
      const int j0 = window > 0 ? std::max(0, i - window + 1) : 0, j1 = opt_.causal ? i + 1 : n;
      for (int j = j0; j < j1; ++j) {
        const double v = a[j];
        all += v;
        if (v > 0) entropy -= v * std::log(v);
        if (j > i - w && j <= i) local += v;
      }
      s.all += all;
      s.excl += all - a[0] - (i != 0 ? a[i] : 0.0);
      s.self += a[i];
      s.local += local;
      s.entropy += entropy;
      if (i >= 1) {
        s.prev += a[i - 1];
        if (i - 1 != 0) s.prev_x += a[i - 1];
      }
      for (int p = previous_[static_cast<size_t>(i)]; p >= 0; p = previous_[static_cast<size_t>(p)]) {  // p < i, ids[p] == ids[i]
        s.dup += a[p];
        if (p != 0) s.dup_x += a[p];
        s.ind += a[p + 1];  // p + 1 <= i
        if (p + 1 != i) s.ind_x += a[p + 1];
      }
      for (int key = 0; key < kSinkKeys && key < n; ++key) s.key[key] += a[key];
      if (opt_.length > 0) {
        const int rr = i - opt_.prefix, col = rr - opt_.length + 1;
        if (rr >= opt_.length - 1 && col >= 0) s.stripe += a[opt_.prefix + col];
      }
    }
  });
}

HeadScores HeadScoreAccumulator::result() const {
  HeadScores out;
  out.layers = layers_;
  out.heads = heads_;
  out.tokens = seq_;
  out.has_stripe = opt_.length > 0;
  const size_t count = sums_.size();
  out.scores.assign(kNumHeadScores, std::vector<double>(count));
  out.sink_by_key.assign(kSinkKeys, std::vector<double>(count));
  const int keys = std::min(kSinkKeys, seq_);
  out.sink_rate_percent.assign(static_cast<size_t>(keys), 0.0);
  const double n = seq_;
  for (size_t q = 0; q < count; ++q) {
    const Sums& s = sums_[q];
    auto& v = out.scores;
    for (int k = 0; k < keys; ++k) out.sink_by_key[static_cast<size_t>(k)][q] = s.key[k] / (n - k);
    v[0][q] = out.sink_by_key[0][q];
    v[1][q] = s.prev / s.all;
    v[2][q] = s.dup / s.all;
    v[3][q] = s.ind / s.all;
    v[4][q] = s.prev_x / s.excl;
    v[5][q] = s.dup_x / s.excl;
    v[6][q] = s.ind_x / s.excl;
    v[7][q] = s.self / n;
    v[8][q] = s.local / n;
    v[9][q] = s.entropy / n;
    if (out.has_stripe) v[10][q] = stripe_rows_ > 0 ? s.stripe / stripe_rows_ : 0.0;
    for (int k = 0; k < keys; ++k)
      if (out.sink_by_key[static_cast<size_t>(k)][q] > kSinkEpsilon) out.sink_rate_percent[static_cast<size_t>(k)] += 1;
  }
  // Attention-Sink's metric1 * 100: the mean over layers and heads, then the percentage.
  for (double& r : out.sink_rate_percent) r = r / static_cast<double>(count) * 100.0;
  if (!out.has_stripe) out.scores[10].clear();
  return out;
}

HeadScores head_scores(const Engine& engine, const Encoding& input, const HeadScoreOptions& options) {
  const ModelInfo& info = engine.info();
  HeadScoreOptions o = options;
  o.causal = info.causal;
  o.windows = info.windows;
  HeadScoreAccumulator acc(info.num_layers, info.num_heads, input.input_ids, o);
  RunOptions run;
  run.attentions = false;
  run.last_hidden = false;
  run.logits = false;
  run.on_attention_rows = [&acc](const AttentionRows& r) { acc.add(r); };
  (void)engine.run(input, run);
  return acc.result();
}

void HeadScoreTotals::add(const HeadScores& s) {
  if (weighted.empty()) {
    layers = s.layers;
    heads = s.heads;
    weighted.assign(kNumHeadScores - 1, std::vector<double>(static_cast<size_t>(layers) * heads, 0.0));
    weights.assign(kNumHeadScores - 1, std::vector<long long>(static_cast<size_t>(layers) * heads, 0));
  }
  if (s.layers != layers || s.heads != heads) throw Error("head scores of different models cannot be added");
  for (size_t k = 0; k + 1 < static_cast<size_t>(kNumHeadScores); ++k)
    for (size_t q = 0; q < weighted[k].size(); ++q) {
      const double v = s.scores[k][q];
      if (!std::isfinite(v)) continue;
      weighted[k][q] += s.tokens * v;
      weights[k][q] += s.tokens;
    }
  tokens += s.tokens;
  inputs += 1;
}

void HeadScoreTotals::merge(const HeadScoreTotals& o) {
  if (o.weighted.empty()) return;
  if (weighted.empty()) {
    *this = o;
    return;
  }
  if (o.layers != layers || o.heads != heads) throw Error("head score totals of different models cannot be merged");
  for (size_t k = 0; k < weighted.size(); ++k)
    for (size_t q = 0; q < weighted[k].size(); ++q) {
      weighted[k][q] += o.weighted[k][q];
      weights[k][q] += o.weights[k][q];
    }
  tokens += o.tokens;
  inputs += o.inputs;
}

HeadScores HeadScoreTotals::means() const {
  HeadScores out;
  out.layers = layers;
  out.heads = heads;
  out.tokens = static_cast<int>(std::min<long long>(tokens, 0x7fffffff));
  out.scores.assign(kNumHeadScores, {});
  for (size_t k = 0; k < weighted.size(); ++k) {
    out.scores[k] = weighted[k];
    for (size_t q = 0; q < out.scores[k].size(); ++q)
      out.scores[k][q] = weights[k][q] > 0 ? weighted[k][q] / static_cast<double>(weights[k][q]) : std::nan("");
  }
  return out;
}

std::vector<int> induction_tokens(int length, int vocab, const std::function<bool(int)>& special,
                                  unsigned long long seed) {
  const long long lo = vocab > 10000 ? 1000 : 0, hi = vocab > 10000 ? 10000 : vocab;
  unsigned long long state = seed;
  auto next = [&state] {  // SplitMix64 (Steele, Lea, Flood 2014)
    unsigned long long z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  const unsigned long long range = static_cast<unsigned long long>(hi - lo);
  if (range == 0) throw Error("induction tokens: the vocabulary is empty");
  const unsigned long long limit = ~0ULL - (~0ULL % range);  // rejection: every id equally likely
  std::vector<int> ids;
  int tries = 0;
  while (static_cast<int>(ids.size()) < length) {
    unsigned long long x = next();
    if (x >= limit) continue;
    const int id = static_cast<int>(lo + static_cast<long long>(x % range));
    if (special && special(id)) {
      if (++tries > 1000000) throw Error("induction tokens: every id drawn is a special token");
      continue;
    }
    ids.push_back(id);
  }
  return ids;
}

}  // namespace attnlab
