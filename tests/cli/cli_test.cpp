// End-to-end checks of the attnlab binary: exit codes, messages, help, the notebook's printed text,
// figures, and any bytes or size of text. Each check is its own test; broken model folders are in
// cli_hostile_test.cpp.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "../support/fixtures.h"
#include "../support/temp_dir.h"
#include "cli_run.h"

namespace attnlab::testing {
namespace {
namespace fs = std::filesystem;

const std::string kNotebookSentence = "The cat sat on the mat.";
const std::string kCustomSentence = "Students learn faster when examples are visual and interactive.";

std::string strip_trailing_newlines(std::string s) {
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

// A string literal's bytes, NULs included.
template <size_t N>
std::string bytes(const char (&s)[N]) {
  return std::string(s, N - 1);
}

std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

// --- Flags, help and usage errors -------------------------------------------------------------

TEST(Cli, Version) {
  // "attnlab 0.1.0", optionally followed by a note such as " (isa: avx2)".
  expect_run(run_cli({"--version"}), 0, R"(^attnlab [0-9]+\.[0-9]+\.[0-9]+( \([^)]*\))?$)");
}
TEST(Cli, Help) { expect_run(run_cli({"--help"}), 0, "toy"); }
TEST(Cli, ToyHelpNamesSeed) { expect_run(run_cli({"toy", "--help"}), 0, "--seed"); }
TEST(Cli, ToyHelpNamesJson) { expect_run(run_cli({"toy", "--help"}), 0, "--json"); }
TEST(Cli, NoCommand) { expect_run(run_cli({}), 2, "attnlab: error"); }
TEST(Cli, UnknownFlag) { expect_run(run_cli({"toy", "--bogus"}), 2, "attnlab: error: .*--bogus"); }
TEST(Cli, SeedNotANumber) { expect_run(run_cli({"toy", "--seed", "abc"}), 2, "attnlab: error: .*--seed"); }
TEST(Cli, SeedHuge) { expect_run(run_cli({"toy", "--seed", "99999999999999999999999"}), 2, "attnlab: error"); }
TEST(Cli, ChangeTokenOutOfRange) {
  expect_run(run_cli({"toy", "--change-token", "9"}), 2, "attnlab: error: .*change-token");
}

// --- The notebook's toy layers ----------------------------------------------------------------

// The notebook's printed block, character for character (fixture printed by real PyTorch).
class ToyNotebookText : public ::testing::TestWithParam<int> {};
TEST_P(ToyNotebookText, MatchesPyTorch) {
  const int seed = GetParam();
  const std::string want =
      strip_trailing_newlines(read_text(fixture_path("toy_seed" + std::to_string(seed) + "_stdout.txt")));
  const ProcessResult r = run_cli({"toy", "--seed", std::to_string(seed)});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out.substr(0, want.size()), want);
}
INSTANTIATE_TEST_SUITE_P(Seeds, ToyNotebookText, ::testing::Values(103, 0, 42, 2024, -5),
                         [](const auto& test) {
                           return test.param < 0 ? "minus" + std::to_string(-test.param) : std::to_string(test.param);
                         });

TEST(Cli, ToyJsonParses) {
  const ProcessResult r = run_cli({"toy", "--json"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  const nlohmann::json d = nlohmann::json::parse(r.out);
  std::set<std::string> keys;
  for (const auto& [key, value] : d.at("parameters").items()) keys.insert(key);
  EXPECT_EQ(keys, (std::set<std::string>{"non_attention.linear", "query", "key", "value"}));
}

// --- BERT attention ----------------------------------------------------------------------------

// The notebook's get_bert_cls_attention() output, line for line (fixtures printed by transformers).
struct NotebookCase {
  const char* model;     // fixture prefix: "minilm" or "tiny"
  const char* sentence;  // "notebook" or "custom"
};
class NotebookBertText : public ::testing::TestWithParam<NotebookCase> {};
TEST_P(NotebookBertText, MatchesTransformers) {
  const NotebookCase c = GetParam();
  const fs::path dir = std::string(c.model) == "tiny" ? kTiny : kMinilm;
  const std::string sentence = std::string(c.sentence) == "custom" ? kCustomSentence : kNotebookSentence;
  const ProcessResult r = run_cli({"attention", "--model", dir.string(), sentence});
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, read_text(fixture_path(std::string("notebook_bert_") + c.model + "_" + c.sentence + "_stdout.txt")));
}
INSTANTIATE_TEST_SUITE_P(Models, NotebookBertText,
                         ::testing::Values(NotebookCase{"minilm", "notebook"}, NotebookCase{"minilm", "custom"},
                                           NotebookCase{"tiny", "notebook"}, NotebookCase{"tiny", "custom"}),
                         [](const auto& test) { return std::string(test.param.model) + "_" + test.param.sentence; });

// Default model: the offline fallback says so on stderr, in one line.
TEST(Cli, DefaultModelFallbackNotice) {
  TempDir empty_cache;
  ProcessOptions o;
  o.env = {{"HF_HUB_OFFLINE", "1"},
           {"HF_HUB_CACHE", empty_cache.path().string()},
           {"ATTNLAB_OFFLINE_MODEL", kMinilm.string()}};
  const ProcessResult r = run_cli({"attention", kNotebookSentence}, o);
  const std::string err = strip_trailing_newlines(r.err);
  EXPECT_NE(err.find("using the offline model all-MiniLM-L6-v2"), std::string::npos) << describe(r);
  EXPECT_EQ(err.find('\n'), std::string::npos) << describe(r);
}

// A named model that cannot be had is an error, never a substitute.
TEST(Cli, NamedModelOffline) {
  ProcessOptions o;
  o.env = {{"HF_HUB_OFFLINE", "1"}, {"HF_HUB_CACHE", "/nonexistent"}};
  expect_run(run_cli({"attention", "--model", "bert-base-uncased", "x"}, o), 5, "HF_HUB_OFFLINE");
}
TEST(Cli, ModelNeitherDirectoryNorHubId) {
  expect_run(run_cli({"attention", "--model", "./no/such/dir/", "x"}), 3, "no such model directory");
}
TEST(Cli, TextFromStdin) {
  ProcessOptions o;
  o.stdin_text = "The cat\n";
  expect_run(run_cli({"attention", "--model", kTiny.string(), "-"}, o), 0, "Sentence: The cat");
}
TEST(Cli, LayerOutOfRange) {
  expect_run(run_cli({"attention", "--model", kTiny.string(), "--layer", "2", "x"}), 2,
             "--layer 2 is out of range: the model has 2 layers");
}
TEST(Cli, HeadOutOfRange) {
  expect_run(run_cli({"attention", "--model", kTiny.string(), "--head", "4", "x"}), 2, "--head 4 is out of range");
}
TEST(Cli, QueryOutOfRange) {
  expect_run(run_cli({"attention", "--model", kTiny.string(), "--query", "9", "The cat"}), 2,
             "--query 9 is out of range");
}
TEST(Cli, TokenizeJson) {
  expect_run(run_cli({"tokenize", "--model", kTiny.string(), "--json", "The cat"}), 0, R"("input_ids": \[2, )");
}
TEST(Cli, TokenizePair) {
  expect_run(run_cli({"tokenize", "--model", kTiny.string(), "cat", "--pair", "cat"}), 0,
             R"(token_type_ids: \[0, 0, 0, 1, 1\])");
}
TEST(Cli, NoTruncateRefusesLongInput) {
  ProcessOptions o;
  o.stdin_text = repeat("cat ", 600) + "\n";
  expect_run(run_cli({"attention", "--model", kTiny.string(), "--no-truncate", "-"}, o), 3, "at most 512");
}
TEST(Cli, TruncationWarns) {
  ProcessOptions o;
  o.stdin_text = repeat("cat ", 600) + "\n";
  o.stdout_file = "/dev/null";
  expect_run(run_cli({"attention", "--model", kTiny.string(), "-"}, o), 0, "truncated");
}

TEST(Cli, AttentionJsonAll) {
  const ProcessResult r = run_cli({"attention", "--model", kTiny.string(), "--json", "--all", "The cat sat."});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  const nlohmann::json d = nlohmann::json::parse(r.out);
  const nlohmann::json& a = d.at("attentions");
  const size_t n = d.at("tokens").size();
  ASSERT_EQ(a.size(), 2u);
  ASSERT_EQ(a[0].size(), 4u);
  ASSERT_EQ(a[0][0].size(), n);
  ASSERT_EQ(a[0][0][0].size(), n);
  for (const auto& layer : a)
    for (const auto& head : layer)
      for (const auto& row : head) {
        double sum = 0;
        for (const auto& p : row) sum += p.get<double>();
        EXPECT_LT(std::abs(sum - 1), 1e-5) << "rows sum to 1: " << row.dump();
      }
  EXPECT_EQ(d.at("last_hidden_state").size(), n);
  EXPECT_EQ(d.at("pooler_output").size(), 32u);
}

// --- attnlab demo: the notebook end to end, figures in every format, errors before any work ------

TEST(Cli, Demo) {
  TempDir dir;
  const fs::path figs = dir / "figs";
  ProcessOptions o;
  o.merge_stderr = true;
  const ProcessResult r =
      run_cli({"demo", "--model", kMinilm.string(), "--out", figs.string(), "--format", "png,svg,pdf"}, o);
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  const std::string& printed = r.out;

  for (const char* figure : {"attention_comparison", "custom_cls_attention"})
    for (const char* ext : {"png", "svg", "pdf"}) {
      const fs::path f = figs / (std::string(figure) + "." + ext);
      EXPECT_TRUE(fs::is_regular_file(f) && fs::file_size(f) > 0) << f;
    }
  for (const auto& e : fs::directory_iterator(figs))
    EXPECT_EQ(e.path().filename().string().find("tmp"), std::string::npos) << "temporary file left: " << e.path();

  const std::string toy = read_text(fixture_path("toy_seed103_stdout.txt"));
  EXPECT_EQ(printed.substr(0, toy.size()), toy);
  for (const char* bert : {"notebook_bert_minilm_notebook_stdout.txt", "notebook_bert_minilm_custom_stdout.txt"})
    EXPECT_NE(printed.find(strip_trailing_newlines(read_text(fixture_path(bert)))), std::string::npos)
        << bert << "\n" << printed;
  EXPECT_NE(printed.find("\n4. Strongest [CLS] target token: [SEP]\n"), std::string::npos) << printed;
  EXPECT_NE(printed.find("\n3. Mean attention interaction strength: 0.250\n"), std::string::npos) << printed;
  EXPECT_NE(printed.find("## [SEP] Token (Separator)"), std::string::npos) << printed;

  // The numbers drawn are the numbers printed: every [CLS] value (3 decimals) is a text in the SVG.
  const std::string svg = read_text((figs / "attention_comparison.svg").string());
  for (const char* v : {"0.314", "0.066", "0.014", "0.415", "1.06", "-0.30", "0.27"})
    EXPECT_NE(svg.find(std::string(">") + v + "<"), std::string::npos) << "svg lacks " << v;
}

// Bad flags are refused before any work: the output directory is never created.
TEST(DemoFlags, BadFormat) {
  TempDir dir;
  expect_run(run_cli({"demo", "--model", kMinilm.string(), "--out", (dir / "x").string(), "--format", "png,gif"}), 2,
             "known formats: png, svg, pdf");
  EXPECT_FALSE(fs::exists(dir / "x"));
}
TEST(DemoFlags, BadDpi) {
  TempDir dir;
  expect_run(run_cli({"demo", "--model", kMinilm.string(), "--out", (dir / "x").string(), "--dpi", "0"}), 2, "dpi");
  EXPECT_FALSE(fs::exists(dir / "x"));
}
TEST(DemoFlags, UnwritableOut) {
  expect_run(run_cli({"demo", "--model", kMinilm.string(), "--out", "/proc/attnlab"}), 4, "/proc/attnlab");
}

TEST(Cli, AttentionPlotAndHeatmap) {
  TempDir dir;
  const ProcessResult r = run_cli({"attention", "--model", kTiny.string(), "--plot", (dir / "row.svg").string(),
                                   "--heatmap", (dir / "map.pdf").string(), "The cat sat."});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE(read_text((dir / "row.svg").string()).find(">cat<"), std::string::npos);
  EXPECT_TRUE(fs::is_regular_file(dir / "map.pdf") && fs::file_size(dir / "map.pdf") > 0);
}
TEST(Cli, PlotBadExtension) {
  TempDir dir;
  expect_run(run_cli({"attention", "--model", kTiny.string(), "--plot", (dir / "row.gif").string(), "x"}), 2,
             "row.gif");
}
TEST(Cli, PlotUnwritable) {
  expect_run(run_cli({"attention", "--model", kTiny.string(), "--heatmap", "/proc/attnlab/map.png", "x"}), 4,
             "/proc/attnlab");
}

// --- Text: any bytes, any length ----------------------------------------------------------------

// Bytes on stdin tokenize exactly like the clean text given as an argument.
void expect_same_tokens(const std::string& bytes, const std::string& clean) {
  ProcessOptions o;
  o.stdin_text = bytes;
  const ProcessResult got = run_cli({"tokenize", "--model", kTiny.string(), "-"}, o);
  const ProcessResult want = run_cli({"tokenize", "--model", kTiny.string(), clean});
  EXPECT_EQ(got.out, want.out);
  EXPECT_EQ(got.err, want.err);
  EXPECT_TRUE(has_line_matching(got.out + "\n" + got.err, "^Tokens: ")) << describe(got);
}
TEST(CliText, InvalidUtf8) {
  expect_same_tokens("the \xff\xfe" "cat\xc3\x28 sat\xed\xa0\x80", "the cat( sat");
}
TEST(CliText, NulBytes) { expect_same_tokens(bytes("the\0 cat\0\0 sat"), "the cat sat"); }
TEST(CliText, AttentionInvalidUtf8) {
  ProcessOptions o;
  o.stdin_text = bytes("the \377cat\0 sat");
  expect_run(run_cli({"attention", "--model", kTiny.string(), "-"}, o), 0, "Tokens: ");
}

// Long texts, written to files and given as standard input (`< file`).
class CliLongText : public ::testing::Test {
 protected:
  fs::path write(const std::string& name, const std::string& text) {
    write_file(dir_ / name, text);
    return dir_ / name;
  }
  fs::path one_mib() { return write("1mb.txt", repeat("The cat sat on the mat. ", 43691)); }
  fs::path ten_k_tokens() { return write("10k.txt", repeat("cat ", 10000)); }  // + [CLS] [SEP]
  TempDir dir_;
};

TEST_F(CliLongText, OneMibAttentionTruncates) {
  ProcessOptions o;
  o.stdin_file = one_mib();
  o.stdout_file = "/dev/null";
  o.timeout = std::chrono::seconds(120);
  expect_run(run_cli({"attention", "--model", kTiny.string(), "-"}, o), 0,
             "warning: input is longer than 512 tokens.*truncated");
}
TEST_F(CliLongText, OneMibTokenize) {
  ProcessOptions o;
  o.stdin_file = one_mib();
  o.timeout = std::chrono::seconds(120);
  expect_run(run_cli({"tokenize", "--model", kTiny.string(), "-"}, o), 0, R"(^Tokens: \[.\[CLS\].)");
}
TEST_F(CliLongText, TenThousandTokensTruncated) {
  ProcessOptions o;
  o.stdin_file = ten_k_tokens();
  expect_run(run_cli({"attention", "--model", kTiny.string(), "-"}, o), 0, "input is longer than 512 tokens");
}
TEST_F(CliLongText, TenThousandTokensNoTruncate) {
  ProcessOptions o;
  o.stdin_file = ten_k_tokens();
  expect_run(run_cli({"attention", "--model", kTiny.string(), "--no-truncate", "-"}, o), 3,
             "^attnlab: error: input is 10002 tokens, the model accepts at most 512");
}
TEST_F(CliLongText, TenThousandTokensTokenizeJson) {
  ProcessOptions o;
  o.stdin_file = ten_k_tokens();
  ProcessResult r = run_cli({"tokenize", "--model", kTiny.string(), "--json", "-"}, o);
  r.err.clear();  // the pattern must be on stdout
  expect_run(r, 0, R"("input_ids": \[2, )");
}
TEST_F(CliLongText, Over16MibRefused) {
  ProcessOptions o;
  o.stdin_file = write("17mb.txt", std::string(17000000, '\0'));
  expect_run(run_cli({"tokenize", "--model", kTiny.string(), "-"}, o), 3,
             "^attnlab: error: the text on standard input is more than 16777216 bytes");
}

// --- Command-line values and outputs ------------------------------------------------------------

TEST(CliValues, LayerNegative) {
  expect_run(run_cli({"attention", "--model", kTiny.string(), "--layer", "-1", "x"}), 2,
             "^attnlab: error: --layer -1 is out of range");
}
TEST(CliValues, HeadNotANumber) {
  expect_run(run_cli({"attention", "--model", kTiny.string(), "--head", "two", "x"}), 2, "^attnlab: error: .*--head");
}
TEST_F(CliLongText, QueryBeyondTruncation) {
  ProcessOptions o;
  o.stdin_file = ten_k_tokens();
  expect_run(run_cli({"attention", "--model", kTiny.string(), "--query", "600", "-"}, o), 2,
             "^attnlab: error: --query 600 is out of range: the model has 512 tokens in this input");
}
TEST(CliValues, StdoutUnwritable) {
  ProcessOptions o;
  o.stdout_file = "/dev/full";
  expect_run(run_cli({"tokenize", "--model", kTiny.string(), "the cat"}, o), 4,
             "^attnlab: error: cannot write to standard output");
}
TEST(CliValues, PlotDirectoryMissing) {
  TempDir dir;
  const fs::path nope = dir / "nope";
  expect_run(run_cli({"attention", "--model", kTiny.string(), "--plot", (nope / "row.png").string(), "x"}), 4,
             "^attnlab: error: cannot write '" + regex_escape((nope / "row.png").string()) + "': directory '" +
                 regex_escape(nope.string()) + "' does not exist");
}

}  // namespace
}  // namespace attnlab::testing
