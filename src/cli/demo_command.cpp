// `attnlab demo`: the whole notebook end to end - toy layers, real BERT attention, the 3-panel
// figure (PNG/SVG/PDF), key observations, the [CLS]/[SEP] explanation, then a custom sentence.
#include <cstdio>
#include <set>
#include <sstream>

#include "attnlab/observations.h"
#include "cli/commands.h"
#include "cli/notebook_text.h"
#include "cli/session.h"
#include "attnlab/error.h"
#include "attnlab/engine.h"
#include "attnlab/toy.h"
#include "attnlab/figure.h"
#include "attnlab/text_format.h"

namespace attnlab::cli {
namespace {

struct DemoOptions {
  std::string model;
  std::string sentence = "The cat sat on the mat.";
  std::string custom = "Students learn faster when examples are visual and interactive.";
  std::string out_dir = "out";
  std::string formats = "png";
  double dpi = 100;
};

constexpr uint64_t kNotebookSeed = 103;
constexpr double kMinDpi = 10, kMaxDpi = 1200;

std::vector<ImageFormat> parse_formats(const std::string& list) {
  std::vector<ImageFormat> formats;
  std::vector<std::string> names;
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) continue;
    const ImageFormat f = image_format_from_name(item);
    if (std::find(formats.begin(), formats.end(), f) == formats.end()) {
      formats.push_back(f);
    }
  }
  if (formats.empty()) throw Error("--format: expected a list such as png,svg,pdf, got '" + list + "'", kExitUsage);
  return formats;
}

const char* extension(ImageFormat f) {
  switch (f) {
    case ImageFormat::kPng: return "png";
    case ImageFormat::kSvg: return "svg";
    case ImageFormat::kPdf: return "pdf";
  }
  return "png";
}

constexpr const char* kClsTitle = "BERT [CLS] Attention\n(Real-world Example)";

void run_demo(const DemoOptions& o) {
  // Everything that can be wrong with the request is checked before any work is done.
  const auto formats = parse_formats(o.formats);
  if (!(o.dpi >= kMinDpi && o.dpi <= kMaxDpi))
    throw Error("--dpi " + std::to_string(o.dpi) + " is out of range [" + std::to_string(int(kMinDpi)) + ", " +
                    std::to_string(int(kMaxDpi)) + "]",
                kExitUsage);
  const std::filesystem::path out_dir = o.out_dir;
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) throw Error(out_dir.string() + ": cannot create output directory: " + ec.message(), kExitIo);
  for (ImageFormat f : formats) {
    check_output_writable(out_dir / (std::string("attention_comparison.") + extension(f)));
    check_output_writable(out_dir / (std::string("custom_cls_attention.") + extension(f)));
  }
  const Engine engine = open_engine(o.model);

  // Cells 0-1: seed and toy layers.
  const toy::Run toy_run = toy::run(kNotebookSeed);
  write_stdout(toy_notebook_text(std::to_string(kNotebookSeed), toy_run.input, toy_run.non_attention,
                                 toy_run.attention));

  // Cell 2: real attention, layer 0, head 0: the [CLS] row of an encoder; for a decoder (no [CLS]) the
  // last token's row, what its next-token prediction looked at.
  const ModelInfo& info = engine.info();
  const bool decoder = info.causal;
  const std::string title =
      decoder ? "Last-Token Attention (" + info.model_type + ")\n(Real-world Example)" : kClsTitle;
  const auto query_of = [&](const Result& r) { return decoder ? static_cast<int>(r.encoding.tokens.size()) - 1 : 0; };
  const auto run_example = [&](const std::string& sentence) {
    Result r = engine.run(encode_text(engine, sentence, std::nullopt, truncate_unless(false)));
    const int q = query_of(r);
    write_stdout(bert_example_text(sentence, std::nullopt, r.encoding.tokens, q, r.attentions.row(0, 0, q), "",
                                   example_title(info)));
    return r;
  };
  const Result bert = run_example(o.sentence);
  const int query = query_of(bert);
  const auto row = bert.attentions.row(/*layer=*/0, /*head=*/0, query);

  // Cell 3: the side-by-side figure, then the key observations.
  const Figure fig = notebook_figure(toy_run, attention_row_panel(bert, 0, 0, query, title));
  // Where the notebook calls plt.show(), the demo saves the figure in every asked format.
  const auto save_all = [&](const Figure& figure, const std::string& stem) {
    std::string saved;
    for (ImageFormat f : formats) {
      const auto path = out_dir / (stem + "." + extension(f));
      save_figure(figure, path, f, o.dpi);
      saved += "Saved figure: " + printable_line(path.string()) + "\n";
    }
    write_stdout("\n" + saved);
  };
  save_all(fig, "attention_comparison");
  std::string observations =
      "\nKey Observations:\n"
      "1. Non-Attention: each token is transformed independently.\n"
      "2. Attention: each token blends information from all tokens.\n"
      "3. Mean attention interaction strength: " +
      python_fixed(mean_interaction_strength(toy_run.attention.weights), 3) + "\n";
  if (!decoder) {
    observations += "4. Strongest [CLS] target token: " + bert.encoding.tokens[strongest_index(row)] + "\n";
  } else {
    // The last token's row over every layer and head: how much of it goes to the first token.
    double to_first = 0;
    int sink_heads = 0;
    for (int l = 0; l < info.num_layers; ++l)
      for (int h = 0; h < info.num_heads; ++h) {
        const float a = bert.attentions.row(l, h, query)[0];
        to_first += a;
        sink_heads += a > 0.5f;
      }
    const int heads = info.num_layers * info.num_heads;
    const std::vector<Engine::NextToken> next = engine.top_next_tokens(bert, 1);
    observations += "4. Strongest target of the last token (" + bert.encoding.tokens[static_cast<size_t>(query)] +
                    "), layer 0, head 0: " + bert.encoding.tokens[strongest_index(row)] + "\n";
    observations += "5. First-token sink: over all " + std::to_string(heads) + " heads the last token gives " +
                    python_fixed(to_first / heads, 3) + " of its attention on average to the first token (" +
                    bert.encoding.tokens[0] + "); " + std::to_string(sink_heads) + " heads give it more than half.\n";
    if (!next.empty())
      observations += "6. Predicted next token: " + python_repr(engine.decode(std::vector<int>{next[0].id})) +
                      " (p " + python_fixed(next[0].prob, 4) + ")\n";
  }
  write_stdout(observations);

  // The notebook's markdown cell on special tokens; a decoder has neither, but has its sink.
  if (!decoder)
    write_stdout("\n## [CLS] Token (Classification)\n"
                 "- Added at the start of every input sequence\n"
                 "- Aggregates information from the entire sequence\n"
                 "- Used for classification tasks as a sequence summary\n"
                 "\n## [SEP] Token (Separator)\n"
                 "- Added at the end of sequences\n"
                 "- Separates sentence segments\n"
                 "- Helps the model understand sequence boundaries\n");
  else
    write_stdout("\n## The Last Token (Next-Token Prediction)\n"
                 "- A decoder is causal: each token attends only to itself and the tokens before it\n"
                 "- The last token's row is what the prediction of the next token looked at\n"
                 "\n## The First Token (Attention Sink)\n"
                 "- Many heads put most of their weight on the first token, whatever it says\n"
                 "- It works as a resting place for attention a head does not need elsewhere (StreamingLLM keeps it)\n");

  // Cell 5: a sentence of the student's own.
  const Result custom = run_example(o.custom);
  save_all(notebook_custom_figure(attention_row_panel(custom, 0, 0, query_of(custom), title)), "custom_cls_attention");
}

}  // namespace

void add_demo_command(CLI::App& app) {
  auto o = std::make_shared<DemoOptions>();
  CLI::App* cmd = app.add_subcommand(
      "demo",
      "The notebook end to end: toy layers, real BERT attention, the side-by-side figure, key\n"
      "observations, the [CLS]/[SEP] explanation, and a custom sentence. Figures go to --out. With a\n"
      "decoder (--model smollm2, gemma3-270m, a GGUF file...) the row shown is the last token's, what the\n"
      "next-token prediction attended to, and the observations speak of the first-token sink.");
  cmd->add_option("--model,-m", o->model,
                  "Model directory, GGUF file, offline short name (smollm2, gemma3-270m) or Hub id. Default: "
                  "bert-base-uncased from the Hugging Face cache, else the offline all-MiniLM-L6-v2");
  cmd->add_option("--sentence", o->sentence, "The sentence of the notebook's BERT example")->capture_default_str();
  cmd->add_option("--custom", o->custom, "The 'try your own sentence' cell's sentence")->capture_default_str();
  cmd->add_option("--out", o->out_dir, "Directory for attention_comparison.<fmt> and custom_cls_attention.<fmt>")
      ->capture_default_str();
  cmd->add_option("--format", o->formats, "Comma-separated image formats: png, svg, pdf")->capture_default_str();
  cmd->add_option("--dpi", o->dpi, "Pixels per inch of PNG output (the figure is 20x6 inches)")->capture_default_str();
  cmd->callback([o] { run_demo(*o); });
}

}  // namespace attnlab::cli
