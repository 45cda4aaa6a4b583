// `attention`'s bounded-memory outputs (see attention_stream.h).
#include "cli/attention_stream.h"

#include <algorithm>
#include <numeric>

#include "attnlab/error.h"

namespace attnlab::cli {
namespace {

// A non-negative decimal integer, or nullopt.
std::optional<long long> to_index(std::string_view s) {
  if (s.empty() || s.size() > 12 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  return std::stoll(std::string(s));
}

}  // namespace

std::vector<std::string> comma_items(std::string_view list) {
  std::vector<std::string> items;
  for (size_t i = 0; i <= list.size();) {
    size_t j = list.find(',', i);
    if (j == std::string_view::npos) j = list.size();
    const std::string_view item = list.substr(i, j - i);
    const size_t a = item.find_first_not_of(" \t"), b = item.find_last_not_of(" \t");
    items.emplace_back(a == std::string_view::npos ? std::string_view() : item.substr(a, b - a + 1));
    i = j + 1;
  }
  return items;
}

std::vector<int> parse_selection(std::string_view flag, std::string_view spec, int count) {
  const std::string f(flag);
  const std::string grammar = " (expected comma-separated N, A-B, last, every:K or all)";
  std::vector<int> out;
  for (const std::string& item : comma_items(spec)) {
    auto bad = [&](const std::string& why) { return Error(f + ": '" + item + "' " + why, kExitUsage); };
    auto in_range = [&](long long v) {
      if (v >= count)
        throw bad("is out of range: there are " + std::to_string(count) + " (0-" + std::to_string(count - 1) + ")");
      return static_cast<int>(v);
    };
    if (item == "all") {
      for (int k = 0; k < count; ++k) out.push_back(k);
    } else if (item == "last") {
      out.push_back(count - 1);
    } else if (item.rfind("every:", 0) == 0) {
      const std::optional<long long> step = to_index(std::string_view(item).substr(6));
      if (!step || *step == 0) throw bad("is not every:K with K a positive integer" + grammar);
      for (long long k = 0; k < count; k += *step) out.push_back(static_cast<int>(k));
    } else if (const size_t dash = item.find('-'); dash != std::string::npos) {
      const std::optional<long long> a = to_index(std::string_view(item).substr(0, dash));
      const std::optional<long long> b = to_index(std::string_view(item).substr(dash + 1));
      if (!a || !b) throw bad("is not a range A-B" + grammar);
      if (*a > *b) throw bad("is an empty range (A > B)");
      for (long long k = *a; k <= in_range(*b); ++k) out.push_back(static_cast<int>(k));
    } else if (const std::optional<long long> v = to_index(item)) {
      out.push_back(in_range(*v));
    } else {
      throw bad("is not an index" + grammar);
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

AttentionCollector::AttentionCollector(const ModelInfo& info, int seq, AttentionSelection selection,
                                       AttentionSinks sinks, int shown_layer, int shown_head, int shown_query,
                                       bool keep_matrix, bool keep_query_rows)
    : layers_(info.num_layers),
      heads_(info.num_heads),
      seq_(seq),
      sel_(std::move(selection)),
      sinks_(sinks),
      layer_slot_(static_cast<size_t>(layers_), -1),
      query_slot_(static_cast<size_t>(seq), -1),
      shown_layer_(shown_layer),
      shown_head_(shown_head),
      shown_query_(shown_query),
      keep_matrix_(keep_matrix),
      keep_query_rows_(keep_query_rows),
      shown_row_(static_cast<size_t>(seq)) {
  for (size_t k = 0; k < sel_.layers.size(); ++k) layer_slot_[static_cast<size_t>(sel_.layers[k])] = static_cast<int>(k);
  for (size_t k = 0; k < sel_.queries.size(); ++k) query_slot_[static_cast<size_t>(sel_.queries[k])] = static_cast<int>(k);
  if (keep_matrix_) matrix_.resize(static_cast<size_t>(seq) * seq);
  if (keep_query_rows_) query_rows_.resize(static_cast<size_t>(layers_) * heads_ * seq);
  if (sinks_.json) {
    sinks_.json->key(sinks_.top_keys > 0 ? "attention_top" : "attentions").begin_array();
    json_open_ = true;
  }
}

std::vector<ArraySpec> AttentionCollector::file_arrays() const {
  const auto nl = static_cast<int64_t>(sel_.layers.size()), nh = static_cast<int64_t>(sel_.heads.size()),
             nq = static_cast<int64_t>(sel_.queries.size());
  const ArrayDType probs = sinks_.f16 ? ArrayDType::kF16 : ArrayDType::kF32;
  std::vector<ArraySpec> v;
  if (sinks_.top_keys > 0) {
    v.push_back({"attention_top_indices", ArrayDType::kI64, {nl, nh, nq, top_k()}});
    v.push_back({"attention_top_values", probs, {nl, nh, nq, top_k()}});
    v.push_back({"attention_remainder", ArrayDType::kF32, {nl, nh, nq}});
  } else {
    v.push_back({"attentions", probs, {nl, nh, nq, seq_}});
  }
  v.push_back({"layers", ArrayDType::kI64, {nl}});
  v.push_back({"heads", ArrayDType::kI64, {nh}});
  v.push_back({"queries", ArrayDType::kI64, {nq}});
  return v;
}

void AttentionCollector::on_rows(const AttentionRows& r) {
  const int rows = r.rows(), seq = seq_;
  const auto row_of = [&](int h, int i) { return r.probs.data + (static_cast<size_t>(h) * rows + i) * seq; };
  if (r.layer == shown_layer_) {
    const int i = shown_query_ - r.row0;
    if (i >= 0 && i < rows) std::copy_n(row_of(shown_head_, i), seq, shown_row_.data());
    if (keep_matrix_)
      std::copy_n(row_of(shown_head_, 0), static_cast<size_t>(rows) * seq,
                  matrix_.data() + static_cast<size_t>(r.row0) * seq);
  }
  if (keep_query_rows_) {
    const int i = shown_query_ - r.row0;
    if (i >= 0 && i < rows)
      for (int h = 0; h < heads_; ++h)
        std::copy_n(row_of(h, i), seq, query_rows_.data() + (static_cast<size_t>(r.layer) * heads_ + h) * seq);
  }
  const int li = layer_slot_[static_cast<size_t>(r.layer)];
  if (li < 0 || (!sinks_.file && !sinks_.json)) return;
  // The block's selected queries hold consecutive slots, so each head's go out as one piece: in place
  // when they are consecutive rows too, else gathered first.
  const size_t nq = sel_.queries.size();
  if (sinks_.json && json_layer_at_ != li) {
    flush_json_layer();
    json_layer_at_ = li;
    json_layer_.assign(sel_.heads.size() * nq * static_cast<size_t>(seq), 0.0f);
  }
  std::vector<int> picked;  // rows of the block that are selected, ascending
  for (int i = 0; i < rows; ++i)
    if (query_slot_[static_cast<size_t>(r.row0 + i)] >= 0) picked.push_back(i);
  if (picked.empty()) return;
  const int qi = query_slot_[static_cast<size_t>(r.row0 + picked.front())];
  const int count = static_cast<int>(picked.size());
  const bool contiguous = picked.back() - picked.front() + 1 == count;
  for (size_t hk = 0; hk < sel_.heads.size(); ++hk) {
    const float* src = row_of(sel_.heads[hk], picked.front());
    if (!contiguous) {
      gathered_.resize(static_cast<size_t>(count) * seq);
      for (int k = 0; k < count; ++k)
        std::copy_n(row_of(sel_.heads[hk], picked[static_cast<size_t>(k)]), seq,
                    gathered_.data() + static_cast<size_t>(k) * seq);
      src = gathered_.data();
    }
    if (sinks_.file) write_file_rows(li, static_cast<int>(hk), qi, count, src);
    if (sinks_.json) std::copy_n(src, static_cast<size_t>(count) * seq, json_layer_.data() + (hk * nq + qi) * seq);
  }
}

namespace {
// Row `p`'s top k keys: probabilities descending, the lower key first among equals; the rest's sum.
void top_keys(const float* p, int seq, int k, std::vector<int>& order, int64_t* idx, float* val, float* rest) {
  order.resize(static_cast<size_t>(seq));
  std::iota(order.begin(), order.end(), 0);
  std::partial_sort(order.begin(), order.begin() + k, order.end(),
                    [&](int a, int b) { return p[a] > p[b] || (p[a] == p[b] && a < b); });
  double kept = 0, all = 0;
  for (int j = 0; j < seq; ++j) all += p[j];
  for (int t = 0; t < k; ++t) {
    idx[t] = order[static_cast<size_t>(t)];
    val[t] = p[order[static_cast<size_t>(t)]];
    kept += val[t];
  }
  *rest = static_cast<float>(all - kept);
}
}  // namespace

void AttentionCollector::write_file_rows(int li, int hi, int qi, int count, const float* rows) {
  ArrayFileWriter& f = *sinks_.file;
  const size_t nq = sel_.queries.size(), nh = sel_.heads.size();
  const uint64_t first = (static_cast<uint64_t>(li) * nh + static_cast<uint64_t>(hi)) * nq + static_cast<uint64_t>(qi);
  if (sinks_.top_keys > 0) {
    const int k = top_k();
    std::vector<int64_t> idx(static_cast<size_t>(count) * k);
    std::vector<float> val(idx.size()), rest(static_cast<size_t>(count));
    std::vector<int> order;
    for (int r = 0; r < count; ++r)
      top_keys(rows + static_cast<size_t>(r) * seq_, seq_, k, order, idx.data() + static_cast<size_t>(r) * k,
               val.data() + static_cast<size_t>(r) * k, &rest[static_cast<size_t>(r)]);
    f.write("attention_top_indices", first * k, idx);
    f.write("attention_top_values", first * k, std::span<const float>(val));  // rounded to f16 there if declared so
    f.write("attention_remainder", first, std::span<const float>(rest));
    return;
  }
  f.write("attentions", first * seq_, std::span<const float>(rows, static_cast<size_t>(count) * seq_));
}

void AttentionCollector::flush_json_layer() {
  if (json_layer_at_ < 0) return;
  JsonWriter& w = *sinks_.json;
  const size_t nh = sel_.heads.size(), nq = sel_.queries.size(), seq = static_cast<size_t>(seq_);
  if (sinks_.top_keys == 0) {
    w.floats(json_layer_, {nh, nq, seq});
  } else {
    const int k = top_k();
    std::vector<int64_t> idx(static_cast<size_t>(k));
    std::vector<float> val(static_cast<size_t>(k));
    std::vector<int> order, keys(static_cast<size_t>(k));
    float rest = 0;
    w.begin_array();
    for (size_t h = 0; h < nh; ++h) {
      w.begin_array();
      for (size_t q = 0; q < nq; ++q) {
        top_keys(json_layer_.data() + (h * nq + q) * seq, seq_, k, order, idx.data(), val.data(), &rest);
        for (int t = 0; t < k; ++t) keys[static_cast<size_t>(t)] = static_cast<int>(idx[static_cast<size_t>(t)]);
        w.begin_object().key("keys").ints(keys).key("values").floats(val).key("remainder").value(rest).end_object();
      }
      w.end_array();
    }
    w.end_array();
  }
  w.flush();
  json_layer_at_ = -1;
}

void AttentionCollector::finish() {
  if (sinks_.file) {
    const auto as64 = [](const std::vector<int>& v) { return std::vector<int64_t>(v.begin(), v.end()); };
    sinks_.file->write("layers", 0, std::span<const int64_t>(as64(sel_.layers)));
    sinks_.file->write("heads", 0, std::span<const int64_t>(as64(sel_.heads)));
    sinks_.file->write("queries", 0, std::span<const int64_t>(as64(sel_.queries)));
  }
  if (json_open_) {
    flush_json_layer();
    sinks_.json->end_array();
    json_open_ = false;
  }
}

}  // namespace attnlab::cli
