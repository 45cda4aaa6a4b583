// Per-head attention statistics (see attnlab/head_stats.h).
#include "attnlab/head_stats.h"

#include <cmath>
#include <string>

#include "attnlab/error.h"

namespace attnlab {

HeadStatNames head_stat_names(bool causal) { return causal ? kDecoderHeadStatNames : kHeadStatNames; }

double head_stat(const HeadStats& s, int k) {
  switch (k) {
    case 0: return s.cls;
    case 1: return s.sep;
    case 2: return s.punct;
    case 3: return s.self;
    case 4: return s.prev;
    case 5: return s.next;
    case 6: return s.entropy;
    default: throw Error("head_stat: statistic " + std::to_string(k) + " out of range [0, 7)");
  }
}

namespace {

// a: one head's [n, n] probabilities; key_role[j]: 1 [CLS], 2 [SEP], 3 "." or ",", 0 otherwise.
HeadStats one_head(const float* a, int n, const std::vector<int>& key_role) {
  HeadStats s;
  for (int i = 0; i < n; ++i) {
    const float* row = a + static_cast<size_t>(i) * n;
    double to_cls = 0, to_sep = 0, to_punct = 0, entropy = 0;
    for (int j = 0; j < n; ++j) {
      const double p = row[j];
      if (key_role[j] == 1) to_cls += p;
      if (key_role[j] == 2) to_sep += p;
      if (key_role[j] == 3) to_punct += p;
      if (p > 0) entropy -= p * std::log(p);
    }
    s.cls += to_cls;
    s.sep += to_sep;
    s.punct += to_punct;
    s.entropy += entropy;
    s.self += row[i];
    if (i >= 1) s.prev += row[i - 1];
    if (i + 1 < n) s.next += row[i + 1];
  }
  if (n > 0) {
    s.cls /= n;
    s.sep /= n;
    s.punct /= n;
    s.entropy /= n;
    s.self /= n;
  }
  if (n > 1) {
    s.prev /= n - 1;
    s.next /= n - 1;
  }
  return s;
}

}  // namespace

std::vector<HeadStats> layer_head_stats(const ArrayView<3>& attention, const Encoding& encoding) {
  const size_t heads = attention.shape[0], n = attention.shape[1];
  const std::vector<std::string>& tokens = encoding.tokens;
  if (attention.shape[2] != n || tokens.size() != n)
    throw Error("layer_head_stats: attention is [" + std::to_string(heads) + ", " + std::to_string(n) + ", " +
                std::to_string(attention.shape[2]) + "] for " + std::to_string(tokens.size()) +
                " tokens; expected [heads, tokens, tokens]");
  // By role, not spelling: [CLS] or bos counts as HeadStats::cls ("cls", a decoder's "bos"), [SEP] or
  // eos as HeadStats::sep ("sep", "eos"). An encoding that starts with neither (a decoder whose
  // tokenizer adds no bos) counts its first token there: that is where causal attention sinks.
  // Without roles (hand-made encodings), the BERT spellings.
  std::vector<int> key_role(n, 0);
  bool has_start = false;
  for (size_t j = 0; j < n; ++j) {
    const std::string& t = tokens[j];
    const TokenRole r = encoding.role(j);
    const bool start = encoding.roles.empty() ? t == "[CLS]" : r == TokenRole::kCls || r == TokenRole::kBos;
    const bool end = encoding.roles.empty() ? t == "[SEP]" : r == TokenRole::kSep || r == TokenRole::kEos;
    key_role[j] = start ? 1 : end ? 2 : (t == "." || t == ",") ? 3 : 0;
    has_start = has_start || start;
  }
  if (!has_start && !encoding.roles.empty() && n > 0 && key_role[0] == 0) key_role[0] = 1;
  std::vector<HeadStats> out;
  out.reserve(heads);
  for (size_t h = 0; h < heads; ++h)
    out.push_back(one_head(attention.data + h * n * n, static_cast<int>(n), key_role));
  return out;
}

std::vector<HeadStats> head_stats(const Result& result) {
  const AttentionTensor& att = result.attentions;
  if (att.empty())
    throw Error("head_stats: the run kept no attentions (RunOptions::attentions was false)");
  const size_t heads = static_cast<size_t>(att.heads()), n = static_cast<size_t>(att.seq_len());
  std::vector<HeadStats> out;
  out.reserve(static_cast<size_t>(att.layers()) * heads);
  for (int layer = 0; layer < att.layers(); ++layer) {
    const ArrayView<3> view{att.head(layer, 0).data(), {heads, n, n}};
    for (const HeadStats& s : layer_head_stats(view, result.encoding)) out.push_back(s);
  }
  return out;
}

std::vector<std::string_view> head_labels(const HeadStats& s, HeadStatNames names) {
  std::vector<std::string_view> labels;
  if (s.entropy > kBroadEntropy) labels.push_back("broad");
  if (s.prev > kPositionalShare) labels.push_back("prev");
  if (s.next > kPositionalShare) labels.push_back("next");
  if (s.cls > kSpecialShare) labels.push_back(names[0]);
  if (s.sep > kSpecialShare) labels.push_back(names[1]);
  if (s.punct > kSpecialShare) labels.push_back(names[2]);
  return labels;
}

}  // namespace attnlab
