// Corpus runs (`attnlab corpus`): many texts through one engine, each reduced layer by layer as the
// engine produces it, into one JSON line per text and exact corpus totals that merge across shards.
//
// Thread safety: a CorpusReader, CorpusRunner or CorpusTotals is used by one thread at a time; any
// number of runners may share one Engine.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "attnlab/analysis.h"
#include "attnlab/batching.h"
#include "attnlab/engine.h"
#include "attnlab/head_scores.h"
#include "attnlab/head_stats.h"

namespace attnlab {

// ---- Input: one text per line, or JSON lines {"id", "text", "pair"?}.

enum class CorpusFormat { kAuto, kText, kJsonl };
// "auto" | "text" | "jsonl"; Error(kExitUsage) otherwise.
CorpusFormat corpus_format_from_name(std::string_view name);

// Longer input lines become error records, read past without being kept (a text may have 16 MiB, and
// JSON escapes can make it several times longer on the line).
inline constexpr size_t kMaxCorpusLineBytes = 4 * kMaxTextBytes;

struct CorpusRecord {
  long long index = 0;  // 0-based among the input's non-blank lines: decides the shard
  long long line = 0;   // 0-based line number in the input
  std::string id;       // the id as JSON text: the record's "id" (string or number), else `line`
  std::string text;
  std::optional<std::string> pair;
  std::string error;  // non-empty: the line cannot be used ("line 7: ..."); the run reports it and goes on
};

// Reads `in` (not owned) line by line, skipping blank lines (empty or only whitespace). With kAuto the
// input is JSONL when its first non-blank line starts with '{' (after any UTF-8 byte order mark).
// Text lines lose a trailing '\r'. JSONL fields other than id, text and pair are ignored.
class CorpusReader {
 public:
  CorpusReader(std::FILE* in, std::string name, CorpusFormat format = CorpusFormat::kAuto);
  // The next record, or false at the end of the input. Error(kExitIo) naming the input when reading fails.
  bool next(CorpusRecord& record);
  CorpusFormat format() const { return format_; }  // kAuto until the first non-blank line is read

 private:
  bool read_line(std::string& line, bool& too_long);
  std::FILE* in_;
  std::string name_;
  CorpusFormat format_;
  long long line_ = 0, index_ = 0;
};

// Non-blank lines of a regular file (for progress totals); -1 when `path` is not a regular file.
long long count_corpus_records(const std::string& path);

// ---- Reductions: what each line carries.

enum CorpusReduction : unsigned {
  kReduceHeadStats = 1,  // "head-stats": [layers][heads]{cls, sep, punct, self, prev, next, entropy}
                         // (a decoder's: bos, eos, punct, ...; CorpusTotals::stat_names)
  kReduceClsRow = 2,     // "cls-row": [layers][heads][n], the [CLS] query row of every head
  kReduceRolloutCls = 4, // "rollout-cls": [n], the [CLS] row of attention rollout (analysis.h)
  kReduceHeads = 8,      // "heads": {score: [layers][heads]}, the head phenomena scores (head_scores.h)
};
// "head-stats,cls-row" -> a set of CorpusReduction bits; Error(kExitUsage) naming the unknown ones.
unsigned parse_corpus_reductions(std::string_view list);
std::string corpus_reduction_list(unsigned reductions);  // the bits back as "head-stats,cls-row"

// ---- Exact sums: corpus means that do not depend on the order of texts, shards or merges.

// A sum of doubles, each rounded once to a multiple of 2^-64 (half to even) and added as a 128-bit
// integer: exact and associative, so any split into shards and any merge order gives the same bits.
// Addends must be below 2^62 in magnitude (Error otherwise); the total is exact up to 2^63.
class ExactSum {
 public:
  void add(double v);
  void add(const ExactSum& other);
  double value() const;           // the total rounded to the nearest double (half to even)
  std::string to_string() const;  // the total as a decimal count of 2^-64 units
  // Error(kExitInput) naming `what` when text is not such a count.
  static ExactSum from_string(std::string_view text, const std::string& what);
  bool operator==(const ExactSum&) const = default;

 private:
  std::uint64_t lo_ = 0, hi_ = 0;  // two's complement 128-bit count of 2^-64 units
};

// ---- Totals over a corpus (or one shard of it).

// What a run was asked to do: a finished shard is skipped on rerun only when these are equal.
struct CorpusSettings {
  std::string model;                // ModelInfo::name
  std::string input;                // absolute path, or "-" for standard input
  long long input_bytes = -1;       // size and modification time (ns) of a regular file, else -1
  long long input_mtime_ns = -1;
  std::string input_format;         // "text" | "jsonl" | "auto"
  unsigned reductions = kReduceHeadStats;
  bool truncate = true;
  int shard = 0, shards = 1;
  bool operator==(const CorpusSettings&) const = default;
};

class CorpusTotals {
 public:
  CorpusTotals() = default;
  // causal: the model is a decoder, whose statistics are named kDecoderHeadStatNames (head_stat_names).
  CorpusTotals(int layers, int heads, bool causal = false);

  // One text that ran: its head statistics [layers * heads] and the attention each token receives
  // [layers * n] (attention_received per layer). Weighted by its n tokens.
  void add_text(const Encoding& input, std::span<const HeadStats> heads, std::span<const double> received);
  // The same text's head scores (kReduceHeads), weighted by its n tokens; a score that is undefined for
  // it (NaN: an _excl score with nothing left) leaves that head's sum and weight as they are.
  void add_head_scores(const HeadScores& scores);
  // Token-weighted means of every head score but induction_stripe (HeadScores::scores[k], k <
  // kNumHeadScores - 1), or empty scores when no text added any.
  HeadScores head_score_means() const;
  void add_failure() { ++failed_; }
  // Error(kExitInput) when the shapes or the statistics' names differ.
  void merge(const CorpusTotals& other);

  int layers() const { return layers_; }
  int heads() const { return heads_; }
  bool causal() const { return causal_; }
  HeadStatNames stat_names() const { return head_stat_names(causal_); }  // the columns' names
  long long texts() const { return texts_; }    // texts that ran
  long long failed() const { return failed_; }  // error records
  long long tokens() const { return tokens_; }  // sum of their token counts
  long long truncated() const { return truncated_; }

  // Token-weighted means over the texts: sum_t n_t stat_t / sum_t n_t, [layers * heads].
  std::vector<HeadStats> head_means() const;

  // Attention a token receives: per layer, its mean over occurrences of attention_received.
  struct TokenMean {
    int layer = 0;
    int id = 0;
    std::string token;
    long long count = 0;  // occurrences
    double mean = 0;
  };
  // Per layer (ascending), most-attended first (ties by id).
  std::vector<TokenMean> token_means() const;

  // The state file of a finished run (aggregate.json): settings, counts, the statistics' names
  // ("head_stat_names", the order of head_sums) and every exact sum.
  std::string to_json(const CorpusSettings& settings) const;
  // Error(kExitInput) naming `name` for anything malformed.
  static CorpusTotals from_json(std::string_view text, const std::string& name, CorpusSettings& settings);

  bool operator==(const CorpusTotals&) const = default;

 private:
  struct TokenTotals {
    std::string token;
    long long count = 0;
    std::vector<ExactSum> received;  // [layers]
    bool operator==(const TokenTotals&) const = default;
  };
  int layers_ = 0, heads_ = 0;
  bool causal_ = false;
  long long texts_ = 0, failed_ = 0, tokens_ = 0, truncated_ = 0;
  std::vector<ExactSum> head_sums_;      // [layers * heads * kNumHeadStats]: sum_t n_t stat_t
  // kReduceHeads: [(kNumHeadScores - 1) * layers * heads] sum_t n_t score_t and sum_t n_t over the texts
  // where the score is defined; empty until a text adds them.
  std::vector<ExactSum> score_sums_;
  std::vector<long long> score_tokens_;
  std::map<int, TokenTotals> by_token_;  // input id -> totals: at most the vocabulary
};

// Attention each key token receives in one layer: [n], the mean over heads and query rows of a_ij.
std::vector<double> attention_received(const ArrayView<3>& attention);

// head_stats.csv: layer,head,cls,sep,punct,self,prev,next,entropy,tokens (a decoder's: bos,eos instead of
// cls,sep; CorpusTotals::stat_names), shortest round-trip numbers.
std::string head_stats_csv(const CorpusTotals& totals);
// head_scores.csv (kReduceHeads): layer,head, then every head score but induction_stripe (kHeadScoreNames
// order; empty where no text defines it), tokens; "" when no text added scores.
std::string head_scores_csv(const CorpusTotals& totals);
// token_attention.csv: layer,rank,token,id,count,mean_received.
std::string token_attention_csv(const CorpusTotals& totals);
// The layer x head heatmaps of these means are drawn by head_stats_figure (attnlab/figure.h).

// ---- Running.

struct CorpusOptions {
  unsigned reductions = kReduceHeadStats;
  // Texts go through the engine in batches of at most this many texts and tokens (a longer text runs
  // alone; batching.h). A batch that fails is rerun text by text: only the texts at fault become errors.
  // By default only the token budget bounds a batch: short texts fill it (hundreds of sentences), as
  // corpus runs always have, so its measured throughput holds.
  BatchLimits batch{0, kDefaultBatchTokens};
  TruncationOptions truncation;
};

// Feeds records through the engine in batches, reduces each layer as it is produced (the engine keeps
// no [layers, heads, n, n]), and hands out one JSON line per record, in input order:
//   {"id": ..., "tokens": [...], "truncated": true (only when cut), "head-stats": ..., "cls-row": ...}
//   {"id": ..., "error": "..."}
// Numbers: statistics as the shortest text that reads back to the same double, rows as float32 (%.9g).
class CorpusRunner {
 public:
  using LineSink = std::function<void(std::string_view line, bool ok)>;  // line without '\n'
  CorpusRunner(const Engine& engine, CorpusOptions options, LineSink sink);
  void add(CorpusRecord record);  // may run a batch, calling the sink
  void finish();                  // runs what is left
  const CorpusTotals& totals() const { return totals_; }

 private:
  struct Pending {
    CorpusRecord record;
    Encoding encoding;
    std::string error;               // non-empty: an error record
    std::vector<HeadStats> heads;    // [layers * heads], filled layer by layer
    std::vector<double> received;    // [layers * n]
    std::vector<float> cls_row;      // [layers * heads * n] when asked for
    std::vector<float> rollout_cls;  // [n] when asked for
    std::unique_ptr<HeadScoreAccumulator> scoring;  // kReduceHeads, while the pass runs
    HeadScores scores;                              // its result
  };
  void run_batch();
  void run_inputs(std::span<Pending* const> inputs);
  const Engine& engine_;
  CorpusOptions options_;
  LineSink sink_;
  CorpusTotals totals_;
  std::vector<Pending> batch_;  // the texts of the next forward pass, and error records among them
  size_t batch_tokens_ = 0;
};

}  // namespace attnlab
