// `attnlab attention` on the Llama-architecture decoders: the text through the model's tokenizer.json,
// every attention, the top next tokens and their probabilities, against transformers' eager forward
// (fixtures: tools/make_llama_fixtures.py); --ids, --output with logits, the causal default query, and
// the methods (ALTI refused for pre-LN models).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "../support/fixtures.h"
#include "../support/head_stats_reference.h"
#include "../support/temp_dir.h"
#include "cli_run.h"

namespace attnlab::testing {
namespace {

using nlohmann::json;

void expect_cli_error(const std::vector<std::string>& args, int exit_code, const std::string& text) {
  const ProcessResult r = run_cli(args);
  EXPECT_EQ(r.exit_code, exit_code) << describe(r);
  EXPECT_NE(r.err.find(text), std::string::npos) << describe(r);
}

const std::filesystem::path kDecoders = kFixtures / "decoders";

struct Fixture {
  json cases;
  FloatBlob bin;
  std::vector<float> get(const json& entry) const { return bin.slice(entry); }
};

Fixture load(const std::string& name) {
  return {json::parse(read_text((kDecoders / name / "cases.json").string()))["cases"],
          read_float_blob((kDecoders / name / "cases.bin").string())};
}

TEST(DecoderCli, JsonAllIsTransformersFromTheText) {
  for (const std::string name : {"llama-gqa", "qwen2-window", "qwen3-qknorm"}) {
    const Fixture f = load(name);
    const std::string model = (kDecoders / name / "model").string();
    for (const json& c : f.cases) {
      if (!c.contains("text") || !c["text"].is_string() || !c.contains("top_k")) continue;
      const ProcessResult r = run_cli({"attention", "--model", model, "--json", "--all", "--top-k", "5", c["text"]});
      ASSERT_EQ(r.exit_code, 0) << describe(r);
      const json got = json::parse(r.out);
      const std::string what = name + " '" + c["text"].get<std::string>() + "'";
      EXPECT_EQ(got["input_ids"], c["input_ids"]) << what;
      EXPECT_EQ(got["tokens"], c["tokens"]) << what;
      expect_close(flat(got["attentions"]), f.get(c["attentions"]), 1e-5, what + " attentions");
      const std::vector<int> want_ids = c["top_k"]["ids"];
      const std::vector<float> want_probs = f.get(c["top_k"]["probs"]);
      ASSERT_EQ(got["top_k"].size(), 5u) << what;
      for (size_t k = 0; k < 5; ++k) {
        EXPECT_EQ(got["top_k"][k]["id"], want_ids[k]) << what << " top " << k;
        EXPECT_NEAR(got["top_k"][k]["prob"].get<double>(), want_probs[k], 1e-5) << what << " top " << k;
      }
    }
  }
}

// `demo` on a decoder: the example row is the last token's (layer 0, head 0), the observations give
// the first-token sink over every layer and head and the predicted next token, all as transformers
// computes them (the fixture's attentions and top-k), in the demo's rounding.
TEST(DecoderCli, DemoShowsTheLastTokensRowTheSinkAndTheNextToken) {
  const Fixture f = load("llama-gqa");
  const json* pick = nullptr;
  for (const json& c : f.cases)
    if (c.contains("text") && c["text"].is_string() && c.contains("top_k") && !pick) pick = &c;
  ASSERT_NE(pick, nullptr);
  const json& c = *pick;
  const std::vector<std::string> tokens = c["tokens"];
  const size_t n = tokens.size();
  const std::vector<float> att = f.get(c["attentions"]);  // [layers, heads, n, n]
  const size_t heads_total = att.size() / (n * n);
  testing::TempDir out;
  const ProcessResult r = run_cli({"demo", "--model", (kDecoders / "llama-gqa" / "model").string(), "--sentence",
                                   c["text"], "--out", out.path().string(), "--format", "svg"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_NE(r.out.find("=== Attention Example (llama) ==="), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(tokens.back() + " attention to each token:"), std::string::npos) << r.out;
  // The printed row: layer 0, head 0, the last query.
  const size_t at = r.out.find(tokens.back() + " attention to each token:\n");
  ASSERT_NE(at, std::string::npos);
  std::istringstream lines(r.out.substr(at));
  std::string line;
  std::getline(lines, line);
  for (size_t k = 0; k < n; ++k) {
    ASSERT_TRUE(std::getline(lines, line));
    ASSERT_EQ(line.rfind(tokens[k] + ": ", 0), 0u) << line;
    EXPECT_NEAR(std::stod(line.substr(tokens[k].size() + 2)), att[(n - 1) * n + k], 5.1e-5) << line;
  }
  double sink = 0;
  int over_half = 0;
  for (size_t lh = 0; lh < heads_total; ++lh) {
    const float a = att[lh * n * n + (n - 1) * n];
    sink += a;
    over_half += a > 0.5f;
  }
  const std::string sink_line = "5. First-token sink: over all " + std::to_string(heads_total) +
                                " heads the last token gives ";
  const size_t s = r.out.find(sink_line);
  ASSERT_NE(s, std::string::npos) << r.out;
  EXPECT_NEAR(std::stod(r.out.substr(s + sink_line.size())), sink / static_cast<double>(heads_total), 5.1e-4);
  EXPECT_NE(r.out.find("; " + std::to_string(over_half) + " heads give it more than half."), std::string::npos);
  EXPECT_NE(r.out.find("6. Predicted next token: "), std::string::npos);
  EXPECT_NE(r.out.find("## The First Token (Attention Sink)"), std::string::npos);
  EXPECT_EQ(r.out.find("[CLS]"), std::string::npos) << "a decoder has no [CLS]";
  EXPECT_TRUE(std::filesystem::exists(out.path() / "attention_comparison.svg"));
  EXPECT_TRUE(std::filesystem::exists(out.path() / "custom_cls_attention.svg"));
}

TEST(DecoderCli, IdsRunExactlyThoseIdsAndTheDefaultQueryIsTheLastToken) {
  const Fixture f = load("mistral-window");
  const json& c = f.cases[0];
  std::string ids;
  for (const json& id : c["input_ids"]) ids.append(ids.empty() ? "" : ",").append(std::to_string(id.get<int>()));
  const std::string model = (kDecoders / "mistral-window" / "model").string();
  const ProcessResult r = run_cli({"attention", "--model", model, "--ids", ids, "--json", "--layer", "1", "--head", "1"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  const json got = json::parse(r.out);
  const int n = static_cast<int>(c["input_ids"].size());
  EXPECT_EQ(got["input_ids"], c["input_ids"]);
  EXPECT_EQ(got["query"], n - 1);
  // The [layers, heads, n, n] golden's row (1, 1, n - 1).
  const std::vector<float> all = f.get(c["attentions"]);
  const int heads = static_cast<int>(c["attentions"]["shape"][1]);
  const size_t row = ((static_cast<size_t>(1) * heads + 1) * n + (n - 1)) * n;
  expect_close(flat(got["attention"]), std::vector<float>(all.begin() + static_cast<long>(row), all.begin() + static_cast<long>(row + n)),
               1e-5, "row of the last token");
  // The plain printout ends with the top next tokens.
  const ProcessResult text = run_cli({"attention", "--model", model, "--ids", ids});
  ASSERT_EQ(text.exit_code, 0) << describe(text);
  EXPECT_NE(text.out.find("=== Attention Example (mistral) ==="), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("Top 10 next tokens:"), std::string::npos) << text.out;
}

TEST(DecoderCli, OutputHoldsLogits) {
  const std::string model = (kDecoders / "llama-gqa" / "model").string();
  TempDir dir;
  const std::string path = (dir.path() / "run.npz").string();
  const ProcessResult r = run_cli({"attention", "--model", model, "--ids", "1,2,3,4", "--output", path, "--all-logits"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  const std::string bytes = read_text(path);
  EXPECT_NE(bytes.find("logits.npy"), std::string::npos);
  EXPECT_NE(bytes.find("attentions.npy"), std::string::npos);
  expect_cli_error({"attention", "--model", kTiny.string(), "--output", path, "--all-logits", "hello"}, 2,
                   "has no language-model head");
  expect_cli_error({"attention", "--model", model, "--ids", "1,-2"}, 2, "--ids: '-2' is not a token id");
  expect_cli_error({"attention", "--model", model, "--ids", "1,100000"}, 3, "outside the vocabulary");
  expect_cli_error({"attention", "--model", model, "--ids", "1", "some text"}, 2, "not both");
}

TEST(DecoderCli, MethodsOnAGroupedQueryDecoder) {
  const std::string model = (kDecoders / "llama-gqa" / "model").string();
  for (const std::string method : {"rollout", "flow", "norm", "norm-heads", "value-zeroing", "head-stats"}) {
    const ProcessResult r = run_cli({"attention", "--model", model, "--method", method, "--json", "The capital"});
    ASSERT_EQ(r.exit_code, 0) << method << ": " << describe(r);
    EXPECT_EQ(r.out.find("NaN"), std::string::npos) << method;
    EXPECT_EQ(r.out.find("nan"), std::string::npos) << method;
  }
  expect_cli_error({"attention", "--model", model, "--method", "alti", "The capital"}, 2, "pre-LN llama model");
}

// --method head-stats on decoders names its columns bos, eos, ... (BERT keeps cls, sep), each equal to the
// statistic recomputed from the same input's --all --json attentions: with the bos the tokenizer adds, with
// the tokenizer's eos spelled in the text, and from ids without a bos (the first token is then "bos").
// Tolerance 1e-6: --json prints each double statistic as a float32 (%.9g), values below ln(n) < 4.
TEST(DecoderCli, HeadStatsNameBosAndEosAndEqualTheAttentions) {
  for (const std::string name : {"llama-gqa", "mistral-window"}) {
    const std::string model = (kDecoders / name / "model").string();
    const std::string eos = json::parse(read_text(model + "/tokenizer_config.json")).at("eos_token");
    const int eos_id = json::parse(read_text(model + "/config.json")).at("eos_token_id");
    const Fixture f = load(name);
    std::string ids;  // ids-long without its bos, an eos among them
    for (const json& c : f.cases)
      if (c.value("name", "") == "ids-long")
        for (size_t i = 1; i < c["input_ids"].size(); ++i)
          ids.append(ids.empty() ? "" : ",").append(std::to_string(i == 4 ? eos_id : c["input_ids"][i].get<int>()));
    ASSERT_FALSE(ids.empty()) << name;
    const std::vector<std::vector<std::string>> inputs = {
        {"The cat sat on the mat."}, {std::string("The cat").append(eos).append(" sat, on the mat.")}, {"--ids", ids}};
    for (const std::vector<std::string>& input : inputs) {
      const std::string what = name + " " + input.back().substr(0, 40);
      std::vector<std::string> all = {"attention", "--model", model, "--all", "--json"};
      std::vector<std::string> stats = {"attention", "--model", model, "--method", "head-stats", "--json"};
      all.insert(all.end(), input.begin(), input.end());
      stats.insert(stats.end(), input.begin(), input.end());
      const ProcessResult ref = run_cli(all), got = run_cli(stats);
      ASSERT_EQ(ref.exit_code, 0) << describe(ref);
      ASSERT_EQ(got.exit_code, 0) << describe(got);
      const json run = json::parse(ref.out);
      EXPECT_EQ(run["special"][0] == "bos", input[0] != "--ids") << what << ": " << run["special"].dump();
      const json want = decoder_head_stats_from_attentions(run);
      const double worst = expect_head_stats_near(json::parse(got.out).at("heads"), want, 1e-6, what);
      std::printf("[ max diff ] head-stats %-40s vs --all --json %.3g (tolerance 1e-6)\n", what.c_str(), worst);
      if (input[0].find(eos) != std::string::npos || input[0] == "--ids") {  // the eos column is not all zeros
        EXPECT_GT(want[0][0]["eos"].get<double>() + want[1][0]["eos"].get<double>(), 0.0) << what;
      }
    }
    // The table says the same names, and what bos means.
    const ProcessResult table = run_cli({"attention", "--model", model, "--method", "head-stats", "The cat sat."});
    expect_run(table, 0, "^layer head +bos +eos +punct +self +prev +next +entropy  labels$");
    expect_run(table, 0, "bos / eos / punct > 0.6$");
    expect_run(table, 0, "^bos: attention to the bos token, or to the first token when the tokenizer adds no bos");
  }
}

}  // namespace
}  // namespace attnlab::testing

// `attnlab heads`: the CLI prints the library's scores (tests/analysis/head_scores_test.cpp checks those
// against the references): here, the tiny decoder's fixture values for a text and for the corpus means
// through --json, a seeded --induction run, and the usage errors.
namespace attnlab::testing {
namespace {

json heads_fixture() { return json::parse(read_text((kFixtures / "heads" / "llama-gqa.json").string())); }

void expect_grid(const json& got, const json& want, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t l = 0; l < want.size(); ++l)
    for (size_t h = 0; h < want[l].size(); ++h)
      EXPECT_NEAR(got[l][h].get<double>(), want[l][h].get<double>(), 1e-5) << what << " " << l << " " << h;
}

TEST(HeadsCli, JsonHoldsTheReferenceScores) {
  const json fx = heads_fixture();
  const std::string model = (kDecoders / "llama-gqa" / "model").string();
  const json& c = fx["cases"][0];
  const ProcessResult r =
      run_cli({"heads", "--model", model, c["text"].get<std::string>(), "--local-window", "4", "--json"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  const json doc = json::parse(r.out);
  EXPECT_EQ(doc["input_ids"], c["input_ids"]);
  for (const char* score : {"sink", "previous_token", "duplicate_token", "induction", "induction_excl", "self",
                            "local_window", "entropy"})
    expect_grid(doc["scores"][score], c["scores"][score], score);
  EXPECT_FALSE(doc["scores"].contains("induction_stripe"));
  // The corpus: the text cases as JSON lines, token-weighted means.
  TempDir dir;
  const std::string corpus = (dir.path() / "texts.jsonl").string();
  {
    std::ofstream out(corpus);
    for (const json& k : fx["cases"])
      if (k["kind"] == "text") out << json{{"text", k["text"]}}.dump() << "\n";
  }
  const ProcessResult all = run_cli({"heads", "--model", model, "--corpus", corpus, "--local-window", "4", "--json"});
  ASSERT_EQ(all.exit_code, 0) << describe(all);
  const json means = json::parse(all.out);
  EXPECT_EQ(means["n"], fx["corpus"]["tokens"]);
  for (const auto& [score, grid] : fx["corpus"]["scores"].items()) expect_grid(means["scores"][score], grid, "corpus " + score);
  // The table names the heads above each threshold.
  const ProcessResult text = run_cli({"heads", "--model", model, "a b a b a b"});
  ASSERT_EQ(text.exit_code, 0) << describe(text);
  EXPECT_NE(text.out.find("induction [layer x head]"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("attention sink: alpha_0 > 0.3"), std::string::npos) << text.out;
}

// corpus --reduce heads: each line's scores and head_scores.csv's means are the references' (local_window
// aside: the fixture's w is 4, corpus uses the default 16), and two shards merged give the same file.
TEST(HeadsCli, CorpusReduceHeadsMatchesAndMerges) {
  const json fx = heads_fixture();
  const std::string model = (kDecoders / "llama-gqa" / "model").string();
  TempDir dir;
  const std::string corpus = (dir.path() / "texts.jsonl").string();
  std::vector<json> texts;
  {
    std::ofstream out(corpus);
    for (const json& k : fx["cases"])
      if (k["kind"] == "text") {
        out << json{{"text", k["text"]}}.dump() << "\n";
        texts.push_back(k);
      }
  }
  const std::string whole = (dir.path() / "whole").string(), parts = (dir.path() / "parts").string(),
                    merged = (dir.path() / "merged").string();
  ProcessResult r = run_cli({"corpus", corpus, "--model", model, "--reduce", "heads", "--out", whole});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  std::ifstream lines(whole + "/results.jsonl");
  std::string line;
  size_t i = 0;
  for (; std::getline(lines, line); ++i) {
    ASSERT_LT(i, texts.size());
    const json doc = json::parse(line);
    for (const char* score : {"sink", "previous_token", "duplicate_token", "induction", "duplicate_token_excl",
                              "self", "entropy"})
      expect_grid(doc["heads"][score], texts[i]["scores"][score], std::string("line ") + std::to_string(i) + " " + score);
  }
  EXPECT_EQ(i, texts.size());
  // head_scores.csv: layer,head,<scores>,tokens
  const std::string csv = read_text(whole + "/head_scores.csv");
  std::istringstream in(csv);
  std::getline(in, line);
  std::vector<std::string> names;
  {
    std::istringstream h(line);
    for (std::string f; std::getline(h, f, ',');) names.push_back(f);
  }
  ASSERT_EQ(names.front(), "layer");
  int rows = 0;
  for (; std::getline(in, line); ++rows) {
    std::istringstream row(line);
    std::vector<std::string> f;
    for (std::string v; std::getline(row, v, ',');) f.push_back(v);
    ASSERT_EQ(f.size(), names.size()) << line;
    const int l = std::stoi(f[0]), h = std::stoi(f[1]);
    for (size_t k = 2; k + 1 < f.size(); ++k) {
      if (names[k] == "local_window" || !fx["corpus"]["scores"].contains(names[k])) continue;
      EXPECT_NEAR(std::stod(f[k]), fx["corpus"]["scores"][names[k]][l][h].get<double>(), 1e-5) << names[k] << " " << line;
    }
    EXPECT_EQ(f.back(), std::to_string(fx["corpus"]["tokens"].get<int>()));
  }
  EXPECT_EQ(rows, 2 * 4);
  for (const char* shard : {"0/2", "1/2"}) {
    r = run_cli({"corpus", corpus, "--model", model, "--reduce", "heads", "--out", parts, "--shard", shard});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
  }
  r = run_cli({"corpus", "merge", parts, "--out", merged});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(read_text(merged + "/head_scores.csv"), csv);
}

TEST(HeadsCli, InductionIsSeeded) {
  const std::string model = (kDecoders / "llama-gqa" / "model").string();
  const std::vector<std::string> args{"heads", "--model", model, "--induction", "--length", "8", "--repeats", "3",
                                      "--seed", "5", "--json"};
  const ProcessResult a = run_cli(args), b = run_cli(args);
  ASSERT_EQ(a.exit_code, 0) << describe(a);
  EXPECT_EQ(a.out, b.out);
  const json doc = json::parse(a.out);
  ASSERT_EQ(doc["induction"]["random_ids"].size(), 8u);
  const std::vector<int> ids = doc["input_ids"].get<std::vector<int>>();
  ASSERT_EQ(ids.size(), 1u + 3 * 8);  // the tokenizer's <bos>, then the repeats
  for (int r = 1; r < 3; ++r)
    for (int t = 0; t < 8; ++t) EXPECT_EQ(ids[1 + r * 8 + t], ids[1 + t]);
  EXPECT_EQ(doc["scores"]["induction_stripe"].size(), 2u);
  const json other = json::parse(run_cli({"heads", "--model", model, "--induction", "--length", "8", "--seed", "6",
                                          "--json"}).out);
  EXPECT_NE(other["induction"]["random_ids"], doc["induction"]["random_ids"]);
}

TEST(HeadsCli, RefusesWhatItCannotScore) {
  const std::string model = (kDecoders / "llama-gqa" / "model").string();
  expect_cli_error({"heads", "--model", model}, 2, "give one of TEXT, --induction or --corpus");
  expect_cli_error({"heads", "--model", model, "text", "--induction"}, 2, "give one of");
  expect_cli_error({"heads", "--model", model, "text", "--score", "bogus"}, 2, "not a head score");
  expect_cli_error({"heads", "--model", model, "--corpus", "/nonexistent/texts.jsonl"}, 4, "cannot read");
  expect_cli_error({"heads", "--model", model, "text", "--plot", "/tmp/x.bmp"}, 2, ".bmp");
}

}  // namespace
}  // namespace attnlab::testing
