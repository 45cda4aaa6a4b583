// `attnlab view`: writes the interactive attention viewer, one self-contained HTML file that opens
// offline in any browser, for a text (optionally a pair, or two texts to compare) or for the
// notebook's toy layers.
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "attnlab/atomic_file.h"
#include "attnlab/error.h"
#include "attnlab/figure.h"
#include "attnlab/toy_checks.h"
#include "attnlab/viewer.h"
#include "cli/commands.h"
#include "cli/session.h"

namespace attnlab::cli {
namespace {

struct ViewOptions {
  std::string model;
  std::string text;
  std::optional<std::string> pair, compare, compare_pair;
  std::string out = "attention.html";
  std::string layers;
  std::string precision = "f32";
  bool truncate = false;
  bool toy = false;
  std::string seed = "103";
};

std::string size_text(size_t bytes) {
  char buf[32];
  if (bytes >= 1u << 20) std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / (1 << 20));
  else std::snprintf(buf, sizeof buf, "%.0f KB", static_cast<double>(bytes) / 1024);
  return buf;
}

void write_page(const std::string& out, const std::string& page) {
  if (out == "-") {
    write_stdout(page);
    return;
  }
  AtomicFile file(out);
  file.write(page);
  file.commit();
  std::fprintf(stderr, "attnlab: saved %s (%s)\n", printable(out).c_str(), size_text(page.size()).c_str());
}

void run_view(const ViewOptions& o) {
  if (o.precision != "f32" && o.precision != "f16")
    throw Error("--precision '" + o.precision + "': expected f32 (exact) or f16 (half the size)", kExitUsage);
  // The output place is checked before any work; the page is written under a temporary name and renamed.
  if (o.out != "-") check_output_writable(o.out);

  if (o.toy) {
    if (!o.text.empty() || o.pair || o.compare || !o.model.empty() || !o.layers.empty())
      throw Error("--toy shows the notebook's toy layers: it takes no TEXT, --pair, --compare, --model or --layers",
                  kExitUsage);
    std::string seed_text;
    const uint64_t seed = toy::parse_seed(o.seed, &seed_text);
    const toy::Run run = toy::run(seed);
    const ContextTest context = run_context_test(run.parameters, run.input, 0, 1.0f);
    const ViewerData data = toy_viewer_data(toy_json(run, context, seed_text, 1.0f));
    write_page(o.out, viewer_page(data, "attnlab: toy attention, seed " + seed_text));
    return;
  }
  if (o.text.empty() && !o.compare) throw Error("TEXT is required (or --toy for the notebook's toy layers)", kExitUsage);
  if (o.compare_pair && !o.compare) throw Error("--compare-pair needs --compare", kExitUsage);
  const int stdin_readers = (o.text == "-") + (o.pair == "-") + (o.compare == "-") + (o.compare_pair == "-");
  if (stdin_readers > 1) throw Error("only one of TEXT, --pair, --compare, --compare-pair can read standard input", kExitUsage);

  const Engine engine = open_engine(o.model);
  const ModelInfo& info = engine.info();
  ViewerOptions options;
  options.precision = o.precision == "f16" ? ViewerPrecision::kFloat16 : ViewerPrecision::kFloat32;
  if (!o.layers.empty()) options.layers = parse_layer_list(o.layers, info.num_layers);

  struct Text {
    std::string text;
    std::optional<std::string> pair;
    const char* what;
  };
  std::vector<Text> texts;
  const auto read_optional = [](const std::optional<std::string>& v) {
    return v ? std::optional<std::string>(read_text_argument(*v)) : std::nullopt;
  };
  texts.push_back({read_text_argument(o.text), read_optional(o.pair), "TEXT"});
  if (o.compare) texts.push_back({read_text_argument(*o.compare), read_optional(o.compare_pair), "--compare text"});

  // Every text is tokenized and checked before any forward pass.
  std::vector<Encoding> encodings;
  // A text longer than the model takes is refused unless --truncate: a cut the user did not ask for
  // would show attention over a different text than the one given.
  for (const Text& t : texts) {
    const LengthPolicy policy{o.truncate, "Drop --truncate to refuse instead.",
                              "shorten it, or pass --truncate to show its first tokens", t.what};
    encodings.push_back(encode_text(engine, t.text, t.pair, policy));
  }
  std::vector<Result> results;
  results.reserve(encodings.size());
  RunOptions run_options;
  run_options.qkv = true;
  for (const Encoding& enc : encodings) results.push_back(engine.run(enc, run_options));

  std::vector<ViewerInput> inputs;
  for (size_t i = 0; i < texts.size(); ++i) inputs.push_back({texts[i].text, texts[i].pair, &results[i]});
  const ViewerData data = viewer_data(info, inputs, options);
  write_page(o.out, viewer_page(data, "attnlab: " + info.name + " attention"));
}

}  // namespace

void add_view_command(CLI::App& app) {
  auto o = std::make_shared<ViewOptions>();
  CLI::App* cmd = app.add_subcommand(
      "view",
      "Write the interactive attention viewer: one self-contained HTML file (no network, opens offline in\n"
      "any browser) with head, model, matrix and neuron views of every layer and head, or --toy for the\n"
      "notebook's toy layers step by step");
  cmd->add_option("TEXT", o->text, "Text to show; '-' reads it from standard input");
  cmd->add_option("--model,-m", o->model,
                  "Model directory (Hugging Face layout) or Hub id such as bert-base-uncased. Default: "
                  "bert-base-uncased from the Hugging Face cache, else the offline all-MiniLM-L6-v2");
  cmd->add_option("--pair", o->pair, "Second segment of a sentence pair ([CLS] A [SEP] B [SEP]); '-' reads stdin");
  cmd->add_option("--compare", o->compare,
                  "A second text shown side by side with TEXT, with the difference where their tokens align");
  cmd->add_option("--compare-pair", o->compare_pair, "Second segment of the --compare text");
  cmd->add_option("--out,-o", o->out, "HTML file to write ('-' = standard output)")->capture_default_str();
  cmd->add_option("--layers", o->layers, "Layers to include: '3', '0-5', '0,2,7-11' (default: all)");
  cmd->add_option("--precision", o->precision,
                  "Numbers in the page: f32 (the engine's exact values) or f16 (about half the file size, "
                  "~5e-4 relative error)")
      ->capture_default_str();
  cmd->add_flag("--truncate", o->truncate,
                "Cut a text longer than the model's limit to its first tokens (default: refuse it)");
  cmd->add_flag("--toy", o->toy, "The notebook's toy layers (Part 1) step by step, instead of a model");
  cmd->add_option("--seed", o->seed, "With --toy: torch.manual_seed value (the notebook uses 103)")->capture_default_str();
  cmd->callback([o] { run_view(*o); });
}

}  // namespace attnlab::cli
