// `attnlab corpus` on the tiny decoders (tests/fixtures/decoders/, tools/make_llama_fixtures.py): the
// head-stats columns say bos / eos, each line's statistics equal those recomputed from the same text's
// `attention --all --json` (tests/support/head_stats_reference.h), and the files' totals add up: token
// counts, token-weighted means, aggregate.json's names, figures, shards merged.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../cli/cli_run.h"
#include "../support/fixtures.h"
#include "../support/head_stats_reference.h"
#include "../support/temp_dir.h"
#include "attnlab/corpus.h"
#include "attnlab/error.h"

namespace attnlab::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  size_t begin = 0;
  for (size_t end; (end = text.find(sep, begin)) != std::string::npos; begin = end + 1)
    out.push_back(text.substr(begin, end - begin));
  if (begin < text.size()) out.push_back(text.substr(begin));
  return out;
}

// A few lines of different lengths (most longer than mistral-window's window of 4), with punctuation,
// the tokenizer's eos spelled inside a text, and a one-word line.
std::vector<std::string> corpus_lines(const fs::path& model) {
  const std::string eos = json::parse(read_text((model / "tokenizer_config.json").string())).at("eos_token");
  return {"The cat sat on the mat.", std::string("The cat").append(eos).append(" sat, on the mat."), "hello",
          "Attention heads look at the first token, at punctuation and at themselves.", "a, b. c"};
}

void check_corpus_on(const std::string& name) {
  const fs::path model = kFixtures / "decoders" / name / "model";
  const std::vector<std::string> texts = corpus_lines(model);
  TempDir tmp;
  std::string input;
  for (const std::string& t : texts) input.append(t).append("\n");
  write_file(tmp / "corpus.txt", input);
  // Small batches: several texts per forward pass, and passes of one.
  const std::vector<std::string> run = {"corpus", (tmp / "corpus.txt").string(), "--model", model.string(),
                                        "--batch-tokens", "24"};
  std::vector<std::string> args = run;
  args.insert(args.end(), {"--out", (tmp / "one").string()});
  expect_run(run_cli(args), 0, "attnlab: corpus: 5 texts");

  // Each line against its text's attentions. Tolerance 1e-12: the reference sums the same float32
  // weights in the same order in double; corpus lines print the shortest text of each double.
  const std::vector<std::string> lines = split(read_text((tmp / "one" / "results.jsonl").string()), '\n');
  ASSERT_EQ(lines.size(), texts.size());
  std::vector<json> stats;
  std::vector<long long> sizes;
  bool saw_eos = false;
  double worst = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    const ProcessResult r = run_cli({"attention", "--model", model.string(), "--all", "--json", texts[i]});
    ASSERT_EQ(r.exit_code, 0) << describe(r);
    const json ref = json::parse(r.out);
    const json line = json::parse(lines[i]);
    EXPECT_EQ(line.at("id"), static_cast<long long>(i));
    EXPECT_EQ(line.at("tokens"), ref.at("tokens")) << texts[i];
    for (const json& role : ref.at("special")) saw_eos = saw_eos || role == "eos";
    const json want = decoder_head_stats_from_attentions(ref);
    const std::string what = name + " line " + std::to_string(i);
    worst = std::max(worst, expect_head_stats_near(line.at("head-stats"), want, 1e-12, what));
    stats.push_back(line.at("head-stats"));
    sizes.push_back(static_cast<long long>(ref.at("tokens").size()));
  }
  EXPECT_TRUE(saw_eos) << "no text of the corpus holds an eos token: the eos column is not exercised";
  std::printf("[ max diff ] corpus lines %-16s vs attention --all --json %.3g (tolerance 1e-12)\n", name.c_str(),
              worst);

  // head_stats.csv: the decoder's header; per head, sum_t n_t stat_t / sum_t n_t of the lines above and the
  // token count. Tolerance 1e-12: attnlab sums exactly (2^-64 units); here in double.
  long long tokens = 0;
  for (long long n : sizes) tokens += n;
  const std::vector<std::string> csv = split(read_text((tmp / "one" / "head_stats.csv").string()), '\n');
  ASSERT_FALSE(csv.empty());
  std::string header = "layer,head";
  for (const std::string& k : kDecoderStatColumns) header.append(",").append(k);
  EXPECT_EQ(csv[0], header.append(",tokens"));
  const size_t layers = stats[0].size(), heads = stats[0][0].size();
  ASSERT_EQ(csv.size(), 1 + layers * heads);
  for (size_t row = 1; row < csv.size(); ++row) {
    const std::vector<std::string> f = split(csv[row], ',');
    ASSERT_EQ(f.size(), 3 + kDecoderStatColumns.size()) << csv[row];
    const size_t l = std::stoul(f[0]), h = std::stoul(f[1]);
    ASSERT_TRUE(l < layers && h < heads) << csv[row];
    for (size_t k = 0; k < kDecoderStatColumns.size(); ++k) {
      double sum = 0;
      for (size_t t = 0; t < stats.size(); ++t)
        sum += static_cast<double>(sizes[t]) * stats[t][l][h][kDecoderStatColumns[k]].get<double>();
      EXPECT_NEAR(std::stod(f[2 + k]), sum / static_cast<double>(tokens), 1e-12)
          << name << " layer " << l << " head " << h << " " << kDecoderStatColumns[k];
    }
    EXPECT_EQ(f.back(), std::to_string(tokens));
  }

  // aggregate.json names its sums' columns and counts what ran; the figures are named by column.
  const json aggregate = json::parse(read_text((tmp / "one" / "aggregate.json").string()));
  EXPECT_EQ(aggregate.at("head_stat_names"), json(kDecoderStatColumns));
  EXPECT_EQ(aggregate.at("texts"), static_cast<long long>(texts.size()));
  EXPECT_EQ(aggregate.at("tokens"), tokens);
  EXPECT_EQ(aggregate.at("head_sums").size(), layers * heads * kDecoderStatColumns.size());
  for (const std::string& k : kDecoderStatColumns)
    for (const char* ext : {".png", ".svg"})
      EXPECT_GT(fs::file_size(tmp / "one" / ("head_stats_" + k + ext)), 1000u) << k << ext;
  EXPECT_FALSE(fs::exists(tmp / "one" / "head_stats_cls.png"));

  // Two shards merged: every file as the single run wrote it (merge reads the names back from aggregate.json).
  for (const char* shard : {"0/2", "1/2"}) {
    args = run;
    args.insert(args.end(), {"--out", (tmp / "sharded").string(), "--shard", shard});
    expect_run(run_cli(args), 0, "wrote");
  }
  expect_run(run_cli({"corpus", "merge", (tmp / "sharded").string()}), 0, "2 parts, 5 texts");
  for (const char* f : {"head_stats.csv", "token_attention.csv", "results.jsonl", "aggregate.json"})
    EXPECT_EQ(read_text((tmp / "sharded" / f).string()), read_text((tmp / "one" / f).string())) << f;
  // A decoder's totals do not merge with an encoder's.
  args = {"corpus", (tmp / "corpus.txt").string(), "--model", kTiny.string(), "--out", (tmp / "bert").string()};
  expect_run(run_cli(args), 0, "wrote");
  expect_run(run_cli({"corpus", "merge", (tmp / "bert").string(), (tmp / "one").string(), "--out",
                      (tmp / "mixed").string()}),
             kExitInput, "different models");
}

// The totals carry their names through aggregate.json; a decoder's and an encoder's do not merge, and a
// file naming other columns is refused.
TEST(CorpusDecoder, TotalsKeepTheirNamesThroughTheStateFile) {
  const CorpusTotals decoder(2, 4, /*causal=*/true), encoder(2, 4);
  CorpusSettings settings;
  const std::string text = decoder.to_json(settings);
  EXPECT_EQ(json::parse(text).at("head_stat_names"), json(kDecoderStatColumns));
  const CorpusTotals back = CorpusTotals::from_json(text, "decoder.json", settings);
  EXPECT_TRUE(back.causal());
  EXPECT_TRUE(back == decoder);
  CorpusTotals merged = back;
  EXPECT_THROW(merged.merge(encoder), Error);
  json renamed = json::parse(text);
  renamed["head_stat_names"][0] = "cls";
  try {
    CorpusTotals::from_json(renamed.dump(), "renamed.json", settings);
    ADD_FAILURE() << "a file of mixed names was read";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("renamed.json: head_stat_names"), std::string::npos) << e.what();
  }
  // Without the names (files written before they were recorded): an encoder's.
  json unnamed = json::parse(encoder.to_json(settings));
  unnamed.erase("head_stat_names");
  EXPECT_FALSE(CorpusTotals::from_json(unnamed.dump(), "old.json", settings).causal());
}

TEST(CorpusDecoder, HeadStatsNameBosEosEqualEachLinesAttentionsAndAddUp) {
  check_corpus_on("mistral-window");  // sliding window of 4, shorter than most lines
  check_corpus_on("llama-gqa");
}

}  // namespace
}  // namespace attnlab::testing
