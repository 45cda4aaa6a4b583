// `attention`'s outputs at any length, in bounded memory: the selections (--layers, --heads,
// --queries), and what takes each block of query rows as the forward pass makes it
// (RunOptions::on_attention_rows): the array file (written in place, float32 or float16, or each
// row's top keys), the JSON (a layer at a time), the rows and the matrix the printout and figures show.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attnlab/array_file.h"
#include "attnlab/engine.h"
#include "attnlab/json_writer.h"

namespace attnlab::cli {

// "a, b ,c" -> {"a", "b", "c"}: split at commas, blanks and tabs trimmed (empty items kept).
std::vector<std::string> comma_items(std::string_view list);

// A selection of indices in [0, count): comma-separated items "N", "A-B" (inclusive), "last",
// "every:K" (0, K, 2K, ...) or "all"; sorted, each once. Usage error (kExitUsage) naming `flag` and the
// item for anything else or out of range.
std::vector<int> parse_selection(std::string_view flag, std::string_view spec, int count);

struct AttentionSelection {
  std::vector<int> layers, heads, queries;  // ascending
};

// What the selected attention goes to, besides the always-kept pieces below.
struct AttentionSinks {
  ArrayFileWriter* file = nullptr;  // declared by AttentionCollector::declare
  bool f16 = false;                 // file: float16 probabilities
  int top_keys = 0;                 // > 0: file and JSON hold each row's top keys, not the dense row
  JsonWriter* json = nullptr;       // "attentions": the selection, [layer][head][query][key], a layer at a time
};

class AttentionCollector {
 public:
  // seq: the input's tokens; shown_layer/head/query: the row (and matrix) the printout and figures show;
  // keep_matrix: keep that head's [seq, seq] (a heatmap); keep_query_rows: keep the query's row in every
  // layer and head (the printout of --all).
  AttentionCollector(const ModelInfo& info, int seq, AttentionSelection selection, AttentionSinks sinks,
                     int shown_layer, int shown_head, int shown_query, bool keep_matrix, bool keep_query_rows);

  // The file's attention arrays (their names, dtypes and shapes) and the selection's index arrays.
  std::vector<ArraySpec> file_arrays() const;
  // Takes one block (the engine's callback).
  void on_rows(const AttentionRows& rows);
  // After the pass: the index arrays into the file, the JSON's outer array closed.
  void finish();

  std::span<const float> shown_row() const { return shown_row_; }
  std::span<const float> shown_matrix() const { return matrix_; }
  // The query's row in layer l, head h (keep_query_rows).
  std::span<const float> query_row(int l, int h) const {
    return {query_rows_.data() + (static_cast<size_t>(l) * heads_ + h) * seq_, static_cast<size_t>(seq_)};
  }

 private:
  void write_file_rows(int li, int hi, int qi, int count, const float* rows);
  void flush_json_layer();
  int top_k() const { return std::min(sinks_.top_keys, seq_); }

  int layers_, heads_, seq_;
  AttentionSelection sel_;
  AttentionSinks sinks_;
  std::vector<int> layer_slot_, query_slot_;  // model index -> position in the selection, or -1
  int shown_layer_, shown_head_, shown_query_;
  bool keep_matrix_, keep_query_rows_;
  std::vector<float> shown_row_, matrix_, query_rows_;
  std::vector<float> json_layer_;  // the selection's rows of the layer in progress [heads][queries][seq]
  std::vector<float> gathered_;    // a head's selected rows of a block, when they are not adjacent
  int json_layer_at_ = -1;         // its position in sel_.layers
  bool json_open_ = false;
};

}  // namespace attnlab::cli
