// `attnlab attention`: the notebook's real-BERT cell (step 3) for any model attnlab reads (BERT
// encoders, Llama-architecture decoders), printed like the notebook or as JSON with every layer and head.
#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <exception>
#include <mutex>
#include <string>
#include <thread>

#include "cli/attention_stream.h"
#include "cli/commands.h"
#include "cli/notebook_text.h"
#include "cli/session.h"
#include "attnlab/analysis.h"
#include "attnlab/error.h"
#include "attnlab/array_file.h"
#include "attnlab/json_writer.h"
#include "attnlab/result_json.h"
#include "attnlab/figure.h"
#include "attnlab/head_stats.h"
#include "attnlab/text_format.h"

namespace attnlab::cli {
namespace {

struct TextOptions {
  std::string model;
  std::string text;
  std::optional<std::string> pair;
  bool json = false;
  bool no_truncate = false;
  const CLI::Option* text_option = nullptr;  // TEXT was given (it may be "")
  bool has_text() const { return text_option && text_option->count() > 0; }
};

void add_text_options(CLI::App* cmd, TextOptions& o) {
  cmd->add_option("--model,-m", o.model,
                  "Model directory (Hugging Face layout) or Hub id such as bert-base-uncased. Default: "
                  "bert-base-uncased from the Hugging Face cache, else the offline all-MiniLM-L6-v2");
  o.text_option = cmd->add_option("TEXT", o.text, "Text to analyse; '-' reads it from standard input (or --ids)");
  cmd->add_option("--pair", o.pair, "Second segment of a sentence pair ([CLS] A [SEP] B [SEP]); '-' reads stdin");
  cmd->add_flag("--no-truncate", o.no_truncate,
                "Refuse inputs longer than max_position_embeddings instead of truncating them");
}

std::optional<std::string> read_pair(const TextOptions& o) {
  if (!o.pair) return std::nullopt;
  if (*o.pair == "-" && o.text == "-") throw Error("TEXT and --pair cannot both read standard input", kExitUsage);
  return read_text_argument(*o.pair);
}

struct AttentionOptions : TextOptions {
  int layer = 0, head = 0;
  std::optional<int> query;   // unset: the model's default (0 = [CLS] for encoders, the last token for decoders)
  std::string ids;            // --ids 1,2,3: exactly these token ids, no tokenizer
  int top_k = 10;             // next tokens shown / written (models with a language-model head)
  bool all_logits = false;    // --output: logits of every position
  bool all = false;
  std::string plot, heatmap;  // figure paths; format from the extension
  std::string output;         // every array to .npz / .safetensors; format from the extension
  int digits = 9;             // JSON floats: significant digits, 0 = shortest round trip
  bool bf16 = false;
  bool dequantize = false;
  std::string method;         // an attribution method (attnlab/analysis.h) instead of raw attention
  bool force = false;         // --method flow beyond kMaxFlowTokens
  // What --output and --json --all hold (attention_stream.h): selections (empty: all), float16, top keys.
  std::string layers, heads, queries;
  std::string precision = "f32";
  int top_keys = 0;
};

void check_range(const char* flag, int value, int count, const char* what) {
  if (value < 0 || value >= count)
    throw Error(std::string(flag) + " " + std::to_string(value) + " is out of range: the model has " +
                    std::to_string(count) + " " + what + " (0-" + std::to_string(count - 1) + ")",
                kExitUsage);
}

// What every form of `attention` starts with: the engine, the text (and pair) read and encoded, and
// --layer / --head / --query checked against the model and the input.
struct AttentionInput {
  Engine engine;
  std::string text;
  std::optional<std::string> pair;
  Encoding enc;
  int query = 0;  // --query, or the model's default
};

// "1,2,3" (spaces allowed) -> ids; a clear usage error naming the bad entry.
std::vector<int> parse_ids(const std::string& list) {
  std::vector<int> ids;
  for (const std::string& item : comma_items(list)) {
    size_t used = 0;
    long long v = -1;
    try {
      v = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (item.empty() || used != item.size() || v < 0 || v > 0x7fffffff)
      throw Error("--ids: '" + item + "' is not a token id (expected comma-separated non-negative integers, e.g. 1,2,3)",
                  kExitUsage);
    ids.push_back(static_cast<int>(v));
  }
  return ids;
}

AttentionInput open_and_encode(const AttentionOptions& o) {
  if (o.has_text() == !o.ids.empty())
    throw Error(o.ids.empty() ? "give the TEXT to analyse (or --ids)" : "give either TEXT or --ids, not both",
                kExitUsage);
  if (!o.ids.empty() && o.pair) throw Error("--pair cannot be combined with --ids", kExitUsage);
  EngineOptions options;
  options.precision = o.bf16 ? Precision::kBFloat16 : Precision::kFloat32;
  options.dequantize = o.dequantize;
  Engine engine = open_engine(o.model, options);
  check_range("--layer", o.layer, engine.info().num_layers, "layers");
  check_range("--head", o.head, engine.info().num_heads, "heads");
  std::string text;
  std::optional<std::string> pair;
  Encoding enc;
  if (!o.ids.empty()) {
    const std::vector<int> ids = parse_ids(o.ids);
    enc = engine.encode_ids(ids);
    text = engine.decode(ids);
  } else {
    text = read_text_argument(o.text);
    pair = read_pair(o);
    enc = encode_text(engine, text, pair, truncate_unless(o.no_truncate));
  }
  // A decoder's next-token prediction reads the last position: that row is what it looked at.
  const int query = o.query ? *o.query : engine.info().causal ? static_cast<int>(enc.size()) - 1 : 0;
  check_range("--query", query, static_cast<int>(enc.size()), "tokens in this input");
  return {std::move(engine), std::move(text), std::move(pair), std::move(enc), query};
}

// The plain printout's last lines for a model with a language-model head: its top next tokens.
std::string next_tokens_text(const Engine& engine, const Result& out, int k) {
  const std::vector<Engine::NextToken> top = engine.top_next_tokens(out, k);
  if (top.empty()) return "";
  std::string s = "\nTop " + std::to_string(top.size()) + " next tokens:\n";
  for (const Engine::NextToken& t : top)
    s += python_repr(engine.decode(std::vector<int>{t.id})) + " (id " + std::to_string(t.id) + "): " +
         python_fixed(t.prob, 4) + "\n";
  return s;
}

// --method values: the attribution methods of attnlab/analysis.h, then head-stats (attnlab/head_stats.h).
const std::vector<std::string>& cli_methods() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v = method_names();
    v.emplace_back("head-stats");
    return v;
  }();
  return names;
}

// `attention --method head-stats`: Clark et al.'s statistics of every head, a table with the paper's
// labels, or JSON {"model", "tokens", "heads": [layers][heads]{"cls", ..., "entropy"}} (a decoder's
// columns "bos", "eos", ...: head_stat_names).
void print_head_stats(const AttentionOptions& o, const Engine& engine, const std::string& text,
                      const std::optional<std::string>& pair, const Encoding& enc) {
  const Result run = engine.run(enc);
  const std::vector<HeadStats> stats = head_stats(run);
  const HeadStatNames names = head_stat_names(engine.info().causal);
  const int layers = run.num_layers, heads = run.num_heads;
  if (o.json) {
    JsonWriter w(stdout, "standard output", JsonOptions{o.digits});
    w.begin_object().key("model").value(engine.info().name).key("tokens").strings(enc.tokens);
    w.key("heads").begin_array();
    for (int l = 0; l < layers; ++l) {
      w.begin_array();
      for (int h = 0; h < heads; ++h) {
        w.begin_object();
        const HeadStats& st = stats[static_cast<size_t>(l * heads + h)];
        for (int k = 0; k < kNumHeadStats; ++k) w.key(names[k]).value(static_cast<float>(head_stat(st, k)));
        w.end_object();
      }
      w.end_array();
    }
    w.end_array().end_object().raw("\n").flush();
    return;
  }
  std::string s = "\n=== Head statistics (Clark et al. 2019) ===\nSentence: " + text + "\n";
  if (pair) s += "Pair: " + *pair + "\n";
  // Right-aligned in columns of 8 (the names are at most 7 characters, the values 4 decimals).
  const auto cell = [](std::string_view value) {
    return std::string(8 - std::min<size_t>(8, value.size()), ' ') + std::string(value);
  };
  s += "Tokens: " + python_list_repr(enc.tokens) + "\n\nlayer head";
  for (std::string_view name : names) s += cell(name);
  s += "  labels\n";
  for (int l = 0; l < layers; ++l)
    for (int h = 0; h < heads; ++h) {
      const HeadStats& st = stats[static_cast<size_t>(l * heads + h)];
      s += std::string(5 - std::min<size_t>(5, std::to_string(l).size()), ' ') + std::to_string(l) +
           std::string(5 - std::min<size_t>(5, std::to_string(h).size()), ' ') + std::to_string(h);
      for (int k = 0; k < kNumHeadStats; ++k) s += cell(python_fixed(head_stat(st, k), 4));
      std::string labels;
      for (std::string_view label : head_labels(st, names)) labels += (labels.empty() ? "" : ", ") + std::string(label);
      s += (labels.empty() ? "" : "  " + labels) + "\n";
    }
  s.append("\nLabels (Clark et al.): broad = entropy > 3.8 nats; prev / next > 0.5; ")
      .append(names[0]).append(" / ").append(names[1]).append(" / ").append(names[2]).append(" > 0.6\n");
  if (engine.info().causal)
    s += "bos: attention to the bos token, or to the first token when the tokenizer adds no bos; eos: to eos tokens\n";
  write_stdout(s);
}

// `attention --method M`: one attribution method's scores, the [CLS] (--query) row printed as the
// notebook prints attention, or every score as JSON ({"model", "tokens", "input_ids", "method", "scores"}).
void run_attention_method(const AttentionOptions& o) {
  const std::vector<std::string>& valid = cli_methods();
  if (std::find(valid.begin(), valid.end(), o.method) == valid.end()) {
    std::string list;
    for (const std::string& m : valid) list += (list.empty() ? "" : ", ") + m;
    throw Error("--method: unknown method '" + o.method + "'; valid methods: " + list, kExitUsage);
  }
  if (o.all || !o.output.empty() || !o.plot.empty() || !o.heatmap.empty())
    throw Error("--method cannot be combined with --all, --output, --plot or --heatmap", kExitUsage);
  const auto [engine, text, pair, enc, query] = open_and_encode(o);
  const ModelInfo& info = engine.info();
  if (o.method == "head-stats") return print_head_stats(o, engine, text, pair, enc);
  const Method method = parse_method(o.method);
  AnalysisOptions analysis;
  analysis.force = o.force;
  const Attribution a = analyze(engine, enc, method, analysis);
  if (o.json) {
    JsonWriter w(stdout, "standard output", JsonOptions{o.digits});
    w.begin_object().key("model").value(info.name);
    w.key("tokens").strings(enc.tokens).key("input_ids").ints(enc.input_ids).key("method").value(o.method);
    w.key("scores").floats(a.scores, a.shape);
    w.end_object().raw("\n").flush();
    return;
  }
  std::string where = " (all " + std::to_string(info.num_layers) + " layers): ";
  if (a.shape.size() >= 3) where = ", layer " + std::to_string(o.layer) + ": ";
  if (a.shape.size() == 4) where = ", layer " + std::to_string(o.layer) + ", head " + std::to_string(o.head) + ": ";
  write_stdout(bert_example_text(text, pair, enc.tokens, query, a.row(query, o.layer, o.head), o.method + where,
                                 example_title(info)));
}

// --layers / --heads / --queries / --precision / --top-keys: what --output and --json --all hold.
AttentionSelection selection_of(const AttentionOptions& o, const ModelInfo& info, int seq) {
  const bool streams = !o.output.empty() || (o.json && o.all);
  const bool selects = !o.layers.empty() || !o.heads.empty() || !o.queries.empty() || o.top_keys > 0;
  if (selects && !streams)
    throw Error("--layers, --heads, --queries and --top-keys select what --output and --json --all hold; give one of those",
                kExitUsage);
  if (o.precision != "f32" && o.output.empty())
    throw Error("--precision applies to the --output file; give --output", kExitUsage);
  AttentionSelection sel;
  sel.layers = parse_selection("--layers", o.layers.empty() ? "all" : o.layers, info.num_layers);
  sel.heads = parse_selection("--heads", o.heads.empty() ? "all" : o.heads, info.num_heads);
  sel.queries = parse_selection("--queries", o.queries.empty() ? "all" : o.queries, seq);
  return sel;
}

void run_attention(const AttentionOptions& o) {
  if (!o.method.empty()) return run_attention_method(o);
  // Figure paths are checked before any work is done.
  for (const std::string* path : {&o.plot, &o.heatmap}) {
    if (path->empty()) continue;
    (void)image_format_from_path(*path);
    check_output_writable(*path);
  }
  std::optional<ArrayFileWriter> arrays;  // opened now: a bad path fails before any work; renamed into place at the end
  if (!o.output.empty()) arrays.emplace(o.output);
  const auto [engine, text, pair, enc, query] = open_and_encode(o);
  const ModelInfo& info = engine.info();
  const int seq = static_cast<int>(enc.size());
  if (o.all_logits && !info.has_lm_head)
    throw Error("--all-logits: " + info.name + " has no language-model head (a " + info.model_type + " encoder)",
                kExitUsage);
  const AttentionSelection sel = selection_of(o, info, seq);
  // JSON goes out as the pass runs: the input first, then (--all) each layer's attention as it is done.
  std::optional<JsonWriter> json;
  if (o.json) {
    json.emplace(stdout, "standard output", JsonOptions{o.digits});
    json->begin_object().key("model").value(info.name).key("sentence").value(text);
    if (pair) json->key("pair").value(*pair);
    write_encoding_json(*json, enc);
  }
  AttentionSinks sinks;
  sinks.file = arrays ? &*arrays : nullptr;
  sinks.f16 = o.precision == "f16";
  sinks.top_keys = o.top_keys;
  sinks.json = json && o.all ? &*json : nullptr;
  AttentionCollector keep(info, seq, sel, sinks, o.layer, o.head, query, !o.heatmap.empty(), !o.json && o.all);
  RunOptions run;
  run.attentions = false;  // each block of rows goes where it is wanted, then its buffer is reused
  run.all_logits = o.all_logits && arrays.has_value();
  run.on_attention_rows = [&keep](const AttentionRows& rows) { keep.on_rows(rows); };
  if (arrays) {
    std::vector<ArraySpec> specs = keep.file_arrays();
    specs.push_back({"input_ids", ArrayDType::kI64, {seq}});
    specs.push_back({"token_type_ids", ArrayDType::kI64, {seq}});
    specs.push_back({"last_hidden_state", ArrayDType::kF32, {seq, info.hidden}});
    if (info.has_pooler) specs.push_back({"pooler_output", ArrayDType::kF32, {info.hidden}});
    if (info.has_lm_head)
      specs.push_back({"logits", ArrayDType::kF32,
                       run.all_logits ? std::vector<std::int64_t>{seq, info.vocab_size}
                                      : std::vector<std::int64_t>{info.vocab_size}});
    arrays->declare(specs);
  }
  const Result out = engine.run(enc, run);
  keep.finish();

  const std::string where = "Layer " + std::to_string(o.layer) + ", head " + std::to_string(o.head);
  if (!o.plot.empty()) {
    BarPanel bar;
    bar.labels = enc.tokens;
    bar.values.assign(keep.shown_row().begin(), keep.shown_row().end());
    bar.title = enc.tokens[query] + " attention (" + where + ")\n" + info.name;
    bar.y_label = "Attention Score";
    save_figure(bar_chart_figure(bar), o.plot, image_format_from_path(o.plot));
    std::fprintf(stderr, "attnlab: saved %s\n", printable_line(o.plot).c_str());
  }
  if (!o.heatmap.empty()) {
    HeatmapPanel map;
    map.values = Matrix(seq, seq);
    std::copy(keep.shown_matrix().begin(), keep.shown_matrix().end(), map.values.data.begin());
    map.x_labels = enc.tokens;
    map.y_labels = enc.tokens;
    map.title = "Attention weights (" + where + ")\n" + info.name;
    save_figure(heatmap_figure(map), o.heatmap, image_format_from_path(o.heatmap));
    std::fprintf(stderr, "attnlab: saved %s\n", printable_line(o.heatmap).c_str());
  }

  if (arrays) {
    const std::vector<std::int64_t> ids(enc.input_ids.begin(), enc.input_ids.end());
    std::vector<std::int64_t> types(enc.size());
    for (size_t i = 0; i < enc.size(); ++i) types[i] = enc.type_id(i);
    arrays->add("input_ids", ids, {seq});
    arrays->add("token_type_ids", types, {seq});
    arrays->add("last_hidden_state", out.last_hidden_state, {seq, out.hidden});
    if (info.has_pooler) arrays->add("pooler_output", out.pooler_output, {out.hidden});
    if (info.has_lm_head) {
      if (run.all_logits) arrays->add("logits", out.logits, {seq, out.vocab_size});
      else arrays->add("logits", out.logits, {out.vocab_size});
    }
    arrays->commit();
    std::fprintf(stderr, "attnlab: saved %s\n", printable_line(o.output).c_str());
  }

  if (json) {
    JsonWriter& w = *json;
    if (o.all) {
      w.key("layers").ints(sel.layers).key("heads").ints(sel.heads).key("queries").ints(sel.queries);
      w.key("last_hidden_state").floats(out.last_hidden_state, seq, out.hidden);
      if (out.pooler_output.empty()) w.key("pooler_output").null();
      else w.key("pooler_output").floats(out.pooler_output);
    } else {
      w.key("layer").value(o.layer).key("head").value(o.head).key("query").value(query);
      w.key("attention").floats(keep.shown_row());
    }
    if (info.has_lm_head) write_top_k_json(w, engine.top_next_tokens(out, o.top_k));
    w.end_object().raw("\n").flush();
    return;
  }

  // The notebook's get_bert_cls_attention() prints, in its words.
  const auto label = [](int l, int h) { return "Layer " + std::to_string(l) + ", head " + std::to_string(h) + ": "; };
  const auto row = [&](int l, int h) { return keep.query_row(l, h); };
  const std::string title = example_title(info);
  std::string s_out;
  if (!o.all) {
    const bool notebook_row = o.layer == 0 && o.head == 0;
    s_out = bert_example_text(text, pair, enc.tokens, query, keep.shown_row(),
                              notebook_row ? "" : label(o.layer, o.head), title);
  } else {
    s_out = bert_example_text(text, pair, enc.tokens, query, row(0, 0), label(0, 0), title);
    for (int l = 0; l < info.num_layers; ++l)
      for (int h = (l == 0 ? 1 : 0); h < info.num_heads; ++h) {
        s_out += "\n" + label(l, h) + enc.tokens[query] + " attention to each token:\n";
        for (int k = 0; k < seq; ++k) s_out += enc.tokens[k] + ": " + python_fixed(row(l, h)[k], 4) + "\n";
      }
  }
  write_stdout(s_out + next_tokens_text(engine, out, o.top_k));
}

}  // namespace

void add_model_commands(CLI::App& app) {
  auto att = std::make_shared<AttentionOptions>();
  CLI::App* a = app.add_subcommand(
      "attention",
      "A model's real attention (the notebook's step 3, for BERT encoders and Llama/Mistral/Qwen decoders):\n"
      "one row of one layer/head, printed like the notebook, or every layer and head as JSON. Decoders\n"
      "also print their top next tokens");
  add_text_options(a, *att);
  a->add_option("--layer", att->layer, "Layer to show (0-based)")->capture_default_str();
  a->add_option("--head", att->head, "Head to show (0-based)")->capture_default_str();
  a->add_option("--query", att->query,
                "Query token whose attention row is shown. Default: 0 ([CLS]) for encoders, the last token for "
                "decoders (what the next-token prediction looked at)");
  a->add_option("--ids", att->ids,
                "Run exactly these token ids (comma-separated, as transformers' input_ids) instead of TEXT, "
                "without the tokenizer");
  a->add_option("--top-k", att->top_k, "Decoders: how many next tokens to print (and in JSON \"top_k\")")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  a->add_flag("--all-logits", att->all_logits,
              "Decoders, with --output: logits of every position [n, vocab] instead of the last one's [vocab]");
  a->add_flag("--json", att->json,
              "Print JSON: the selected row, or with --all every attention matrix [layer][head][query][key], "
              "last_hidden_state [token][dim] and pooler_output (floats with 9 significant digits; see --digits), "
              "streamed as it is written");
  a->add_flag("--all", att->all, "Every layer and head, not just --layer/--head");
  a->add_option("--digits", att->digits,
                "JSON floats: significant digits, 1-9 (9 reads back to the same float32), or 0 for the "
                "shortest text that does")
      ->check(CLI::Range(0, 9))
      ->capture_default_str();
  a->add_option("--output", att->output,
                "Also write every layer and head to FILE, .npz (numpy.load) or .safetensors by extension: "
                "attentions [layer, head, query, key] (see --layers, --heads, --queries, --precision, --top-keys) "
                "and last_hidden_state float32, input_ids and token_type_ids int64, pooler_output when the model "
                "has one, logits [vocab] of the last position for decoders (--all-logits: [n, vocab]). Written "
                "as the pass runs, a block of query rows at a time: memory stays at the weights plus one block "
                "whatever the length; the file appears complete or not at all");
  a->add_option("--layers", att->layers,
                "With --output or --json --all: only these layers, e.g. 0,3,10-12, last, every:4 (default all); "
                "files then hold int64 'layers', 'heads', 'queries' naming the rows of 'attentions'");
  a->add_option("--heads", att->heads, "With --output or --json --all: only these heads (as --layers; default all)");
  a->add_option("--queries", att->queries,
                "With --output or --json --all: only these query rows (as --layers, e.g. last or every:64; "
                "default all)");
  a->add_option("--precision", att->precision,
                "--output's probabilities as f32 or f16 (float16: half the bytes, about 3 significant digits)")
      ->check(CLI::IsMember({"f32", "f16"}))
      ->capture_default_str();
  a->add_option("--top-keys", att->top_keys,
                "With --output or --json --all: each query row's K most attended keys instead of the whole row: "
                "attention_top_indices [layer, head, query, K] int64, attention_top_values (descending, the "
                "lower key first among equals) and attention_remainder (the rest's sum) [layer, head, query]; "
                "JSON \"attention_top\": [layer][head][query]{keys, values, remainder}")
      ->check(CLI::Range(1, 1 << 30));
  a->add_option("--plot", att->plot,
                 "Also draw the selected row as a bar chart to FILE (.png, .svg or .pdf, by extension)");
  a->add_option("--heatmap", att->heatmap,
                 "Also draw the selected layer/head's full matrix to FILE (.png, .svg or .pdf; cells annotated "
                 "while the matrix is small enough to read)");
  a->add_flag("--bf16", att->bf16,
              "Reduced precision: round the linear weights to bfloat16 (faster on short inputs; attention "
              "then differs from the fp32 reference by about 1e-3)");
  a->add_flag("--dequantize", att->dequantize,
              "GGUF models: dequantize every weight to float32 at load rather than keeping the linear layers "
              "quantized (the same numbers, bit for bit, for 4-8x the memory; for checking)");
  std::string methods;
  for (const std::string& m : cli_methods()) methods += (methods.empty() ? "" : ", ") + m;
  a->add_option("--method", att->method,
                "Instead of raw attention, an attribution method: " + methods +
                    ". Prints the --query row (of --layer, --head where the method has them); with --json "
                    "every score: [n][n] (rollout, rollout-noresidual, flow, alti-rollout), [layers][n][n] (norm, "
                    "alti, value-zeroing), [layers][heads][n][n] (norm-heads); head-stats: Clark et al.'s per-head "
                    "statistics with their labels, JSON {\"heads\": [layers][heads]{cls, sep, punct, self, prev, next, "
                    "entropy}}; a causal decoder's first two are bos (attention to the bos token, or to the first "
                    "token when the tokenizer adds no bos) and eos");
  a->add_flag("--force", att->force,
              "--method flow on inputs longer than " + std::to_string(kMaxFlowTokens) +
                  " tokens (n^2 max-flow problems: slow)");
  a->callback([att] { run_attention(*att); });
}

}  // namespace attnlab::cli
