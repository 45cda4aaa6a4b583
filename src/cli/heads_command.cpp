// `attnlab heads`: which heads of a model are sinks, previous-token, duplicate-token or induction heads
// (attnlab/head_scores.h), on a text, on a repeated random sequence (--induction) or over a corpus of
// JSON lines: a layer x head table per score and the heads above each score's threshold, or JSON.
// The pass runs a block of query rows at a time: any length in bounded memory.
#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "attnlab/corpus.h"
#include "attnlab/error.h"
#include "attnlab/figure.h"
#include "attnlab/head_scores.h"
#include "attnlab/json_writer.h"
#include "attnlab/text_format.h"
#include "cli/commands.h"
#include "cli/session.h"

namespace attnlab::cli {
namespace {

struct HeadsOptions {
  std::string model, text, corpus, plot, score;
  const CLI::Option* text_option = nullptr;
  bool induction = false, json = false, no_truncate = false;
  int length = 50, repeats = 2, local_window = 16;
  unsigned long long seed = 0;
};

// Naming a head for what it does: the score above this (entropy: broad above it, Clark et al.'s 3.8 nats).
struct Threshold {
  std::string_view score;
  double above;
  const char* meaning;
};
constexpr Threshold kThresholds[] = {
    {"sink", kSinkEpsilon, "attention sink: alpha_0 > 0.3 (Attention-Sink's epsilon)"},
    {"previous_token", 0.5, "previous-token head: over half its attention on (i, i-1)"},
    {"duplicate_token", 0.5, "duplicate-token head: over half on earlier copies of the token"},
    {"induction", 0.5, "induction head: over half on the token after an earlier copy"},
    {"induction_stripe", 0.5, "induction head (Main_Demo stripe): over half on the repeat's next token"},
    {"self", 0.5, "self: over half on itself"},
    {"local_window", 0.9, "local: over 90% within the last w tokens"},
    {"entropy", 3.8, "broad: entropy above 3.8 nats"},
};

const Threshold* threshold_of(std::string_view score) {
  for (const Threshold& t : kThresholds)
    if (t.score == score) return &t;
  return nullptr;
}

std::vector<std::string_view> shown_scores(const HeadsOptions& o, const HeadScores& s) {
  std::vector<std::string_view> v;
  for (std::string_view name : kHeadScoreNames) {
    if (name == "induction_stripe" && !s.has_stripe) continue;
    if (!o.score.empty() && name != o.score) continue;
    v.push_back(name);
  }
  return v;
}

std::string fixed(double v, int decimals) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string table_text(const HeadsOptions& o, const HeadScores& s, const std::string& model) {
  std::string out = "=== Head scores (" + model + ", " + std::to_string(s.tokens) + " tokens) ===\n";
  for (std::string_view name : shown_scores(o, s)) {
    const std::vector<double>& v = s.score(name);
    out += "\n" + std::string(name) + " [layer x head]\n      ";
    for (int h = 0; h < s.heads; ++h) {
      char col[16];
      std::snprintf(col, sizeof col, "%6s", ("h" + std::to_string(h)).c_str());
      out += col;
    }
    out += "\n";
    for (int l = 0; l < s.layers; ++l) {
      char label[16];
      std::snprintf(label, sizeof label, "L%-5d", l);
      std::string row = label;
      for (int h = 0; h < s.heads; ++h) {
        row += ' ';
        row += fixed(v[static_cast<size_t>(l) * s.heads + h], name == "entropy" ? 2 : 3);
      }
      out += row;
      out += '\n';
    }
    if (const Threshold* t = threshold_of(name)) {
      std::string above;
      int count = 0;
      for (int l = 0; l < s.layers; ++l)
        for (int h = 0; h < s.heads; ++h)
          if (v[static_cast<size_t>(l) * s.heads + h] > t->above) {
            above += count++ ? ", L" : "L";
            above += std::to_string(l) + "H" + std::to_string(h);
          }
      out += std::string(t->meaning) + ": " + std::to_string(count) + " of " + std::to_string(s.layers * s.heads) +
             (count ? " (" + above + ")" : "") + "\n";
    }
  }
  if (!s.sink_rate_percent.empty() && (o.score.empty() || o.score == "sink")) {
    out += "\nSink rate (heads with alpha_k > 0.3):";
    for (size_t k = 0; k < s.sink_rate_percent.size(); ++k)
      out += " token " + std::to_string(k) + " " + fixed(s.sink_rate_percent[k], 1) + "%";
    out += "\n";
  }
  return out;
}

// A double as JSON: 17 significant digits (reads back exactly), null when undefined.
void json_double(JsonWriter& w, double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  if (std::isfinite(v)) w.raw_number(buf);
  else w.null();
}

void write_grid(JsonWriter& w, const std::vector<double>& v, int layers, int heads) {
  w.begin_array();
  for (int l = 0; l < layers; ++l) {
    w.begin_array();
    for (int h = 0; h < heads; ++h) json_double(w, v[static_cast<size_t>(l) * heads + h]);
    w.end_array();
  }
  w.end_array();
}

void write_json(const HeadsOptions& o, const HeadScores& s, const std::string& model, const Encoding* enc,
                const std::vector<int>* random) {
  JsonWriter w(stdout, "standard output");
  w.begin_object().key("model").value(model).key("n").value(s.tokens);
  if (enc) {
    w.key("tokens").strings(enc->tokens);
    w.key("input_ids").ints(enc->input_ids);
  }
  if (random) {
    w.key("induction").begin_object().key("length").value(o.length).key("repeats").value(o.repeats);
    w.key("seed").raw_number(std::to_string(o.seed)).key("random_ids").ints(*random).end_object();
  }
  w.key("local_window_w").value(o.local_window);
  w.key("scores").begin_object();
  for (std::string_view name : shown_scores(o, s)) {
    w.key(name);
    write_grid(w, s.score(name), s.layers, s.heads);
  }
  if (!s.sink_by_key.empty() && (o.score.empty() || o.score == "sink")) {
    w.key("sink_by_key").begin_array();
    for (size_t k = 0; k < s.sink_rate_percent.size(); ++k) write_grid(w, s.sink_by_key[k], s.layers, s.heads);
    w.end_array();
    w.key("sink_rate_percent").begin_array();
    for (double r : s.sink_rate_percent) json_double(w, r);
    w.end_array();
  }
  w.end_object();
  w.key("thresholds").begin_object();
  for (const Threshold& t : kThresholds) {
    w.key(t.score);
    json_double(w, t.above);
  }
  w.end_object();
  w.end_object().raw("\n").flush();
}

void plot_scores(const HeadsOptions& o, const HeadScores& s, const std::string& model) {
  const std::string name = !o.score.empty() ? o.score : s.has_stripe ? "induction_stripe" : "sink";
  const std::vector<double>& v = s.score(name);
  HeatmapPanel map;
  map.values = Matrix(s.layers, s.heads);
  for (size_t i = 0; i < v.size(); ++i) map.values.data[i] = static_cast<float>(v[i]);
  for (int h = 0; h < s.heads; ++h) map.x_labels.push_back("H" + std::to_string(h));
  for (int l = 0; l < s.layers; ++l) map.y_labels.push_back("L" + std::to_string(l));
  map.annotate = s.layers * s.heads <= 400;
  map.title = name + " by layer and head\n" + model;
  save_figure(heatmap_figure(map), o.plot, image_format_from_path(o.plot));
  std::fprintf(stderr, "attnlab: saved %s\n", printable_line(o.plot).c_str());
}

void run_heads(const HeadsOptions& o) {
  const bool has_text = o.text_option && o.text_option->count() > 0;
  if (has_text + o.induction + !o.corpus.empty() != 1)
    throw Error("give one of TEXT, --induction or --corpus FILE", kExitUsage);
  if (!o.score.empty()) {
    bool known = false;
    for (std::string_view n : kHeadScoreNames) known = known || n == o.score;
    if (!known) throw Error("--score: '" + o.score + "' is not a head score (see --help)", kExitUsage);
  }
  if (!o.plot.empty()) {
    (void)image_format_from_path(o.plot);
    check_output_writable(o.plot);
  }
  const Engine engine = open_engine(o.model);
  const ModelInfo& info = engine.info();
  HeadScoreOptions opt;
  opt.local_window = o.local_window;
  HeadScores scores;
  std::optional<Encoding> shown;
  std::vector<int> random;
  if (has_text) {
    shown = encode_text(engine, read_text_argument(o.text), std::nullopt, truncate_unless(o.no_truncate));
    scores = head_scores(engine, *shown, opt);
  } else if (o.induction) {
    // The model's own prefix (its BOS where its tokenizer adds one), then the random tokens repeated.
    const Encoding empty = engine.encode("");
    random = induction_tokens(o.length, info.vocab_size, [&](int id) {
      return engine.encode_ids(std::vector<int>{id}).is_special(0);
    }, o.seed);
    std::vector<int> ids = empty.input_ids;
    for (int r = 0; r < o.repeats; ++r) ids.insert(ids.end(), random.begin(), random.end());
    opt.prefix = static_cast<int>(empty.size());
    opt.length = o.length;
    shown = engine.encode_ids(ids);
    scores = head_scores(engine, *shown, opt);
  } else {
    std::FILE* in = o.corpus == "-" ? stdin : std::fopen(o.corpus.c_str(), "rb");
    if (!in) throw Error("--corpus: cannot read '" + o.corpus + "'", kExitIo);
    struct Close {
      std::FILE* f;
      ~Close() {
        if (f != stdin) std::fclose(f);
      }
    } close{in};
    CorpusReader reader(in, o.corpus);
    HeadScoreTotals totals;
    CorpusRecord record;
    while (reader.next(record)) {
      if (!record.error.empty()) throw Error(o.corpus + ": " + record.error, kExitInput);
      totals.add(head_scores(engine, encode_text(engine, record.text, record.pair, truncate_unless(o.no_truncate)), opt));
      if (totals.inputs % 100 == 0) std::fprintf(stderr, "attnlab: %lld texts\n", totals.inputs);
    }
    if (totals.inputs == 0) throw Error("--corpus: '" + o.corpus + "' holds no text", kExitInput);
    scores = totals.means();
  }
  if (!o.plot.empty()) plot_scores(o, scores, info.name);
  if (o.json) return write_json(o, scores, info.name, shown ? &*shown : nullptr, o.induction ? &random : nullptr);
  write_stdout(table_text(o, scores, info.name));
}

}  // namespace

void add_heads_command(CLI::App& app) {
  auto o = std::make_shared<HeadsOptions>();
  std::string names;
  for (std::string_view n : kHeadScoreNames) names += (names.empty() ? "" : ", ") + std::string(n);
  CLI::App* c = app.add_subcommand(
      "heads",
      "Which heads are attention sinks, previous-token, duplicate-token or induction heads: per layer and head\n"
      "the scores TransformerLens' detect_head computes (previous_token, duplicate_token, induction: the share\n"
      "of a head's attention on the pattern; _excl: without the first token and the diagonal), its Main_Demo\n"
      "induction stripe (--induction), Attention-Sink's alpha_0 (sink) and sink rate, and self, local_window,\n"
      "entropy; a table per score with the heads above its threshold, or JSON");
  c->add_option("--model,-m", o->model, "Model: a directory, FILE.gguf, smollm2, gemma3-270m, a Hub id");
  o->text_option = c->add_option("TEXT", o->text, "Text to score on ('-' reads standard input)");
  c->add_flag("--induction", o->induction,
              "Score on --length random tokens repeated --repeats times (after the model's BOS if its tokenizer "
              "adds one), as TransformerLens' Main_Demo; adds induction_stripe");
  c->add_option("--length", o->length, "--induction: random tokens per repeat")->check(CLI::Range(2, 1 << 20))->capture_default_str();
  c->add_option("--repeats", o->repeats, "--induction: how many times they repeat")->check(CLI::Range(2, 1000))->capture_default_str();
  c->add_option("--seed", o->seed, "--induction: seed of attnlab's generator (SplitMix64; not PyTorch's)")->capture_default_str();
  c->add_option("--corpus", o->corpus,
                "Texts, one per line, or JSON lines {\"text\", \"pair\"?} ('-': standard input): token-weighted "
                "means over every text");
  c->add_option("--local-window", o->local_window, "w of local_window: mass on the last w tokens")
      ->check(CLI::Range(1, 1 << 30))
      ->capture_default_str();
  c->add_option("--score", o->score, "Only this score: " + names);
  c->add_flag("--json", o->json,
              "JSON {\"model\", \"n\", \"tokens\"?, \"scores\": {name: [layer][head]}, \"sink_by_key\", "
              "\"sink_rate_percent\", \"thresholds\"}");
  c->add_option("--plot", o->plot, "Also draw a layer x head heatmap of --score (default induction_stripe or sink) "
                                   "to FILE (.png, .svg, .pdf)");
  c->add_flag("--no-truncate", o->no_truncate, "Refuse texts longer than the model's context instead of cutting them");
  c->callback([o] { run_heads(*o); });
}

}  // namespace attnlab::cli
