// `attnlab attention --method M` end to end: the JSON contract of issue 16 against the reference
// fixtures (tools/make_analysis_fixtures.py, tools/make_head_stats_fixtures.py), the notebook-style
// text, and the usage and input errors.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "../cli/cli_run.h"
#include "../support/fixtures.h"
#include "attnlab/analysis.h"

namespace attnlab {
namespace {

using testing::expect_run;
using testing::kTiny;
using testing::run_cli;

const std::string kSentence = "The cat sat on the mat.";

TEST(AttentionMethodCli, JsonFollowsTheContractAndMatchesTheReference) {
  const nlohmann::json fx = testing::load_json("analysis/tiny-random.json").at("cases").at(0);
  ASSERT_EQ(fx.at("text"), kSentence);
  for (const char* method : {"rollout", "norm-heads", "value-zeroing", "flow"}) {
    const testing::ProcessResult r =
        run_cli({"attention", "--model", kTiny.string(), "--method", method, "--json", kSentence});
    ASSERT_EQ(r.exit_code, 0) << testing::describe(r);
    const nlohmann::json doc = nlohmann::json::parse(r.out);
    EXPECT_EQ(doc.at("method"), method);
    EXPECT_EQ(doc.at("tokens"), fx.at("tokens"));
    EXPECT_EQ(doc.at("input_ids"), fx.at("input_ids"));
    EXPECT_TRUE(doc.contains("model"));
    EXPECT_EQ(doc.size(), 5u) << "keys: model, tokens, input_ids, method, scores";
    testing::expect_close(testing::flat(doc.at("scores")), testing::flat(fx.at(method)),
                          std::string(method) == "flow" ? 1e-4 : 1e-5, std::string("cli ") + method);
  }
}

TEST(AttentionMethodCli, TextPrintsTheQueryRowLikeTheNotebook) {
  expect_run(run_cli({"attention", "--model", kTiny.string(), "--method", "rollout", kSentence}), 0,
             "^rollout \\(all 2 layers\\): \\[CLS\\] attention to each token:$");
  expect_run(
      run_cli({"attention", "--model", kTiny.string(), "--method", "alti", "--layer", "1", "--query", "2", kSentence}),
      0, "^alti, layer 1: cat attention to each token:$");
  expect_run(run_cli({"attention", "--model", kTiny.string(), "--method", "norm-heads", "--layer", "1", "--head", "3",
                      kSentence}),
             0, "^norm-heads, layer 1, head 3: \\[CLS\\] attention to each token:$");
  expect_run(run_cli({"attention", "--model", kTiny.string(), "--method", "value-zeroing", kSentence}), 0,
             "^\\[SEP\\]: 0\\.[0-9]{4}$");
}

TEST(AttentionMethodCli, UnknownMethodIsAUsageErrorListingEveryMethod) {
  const testing::ProcessResult r = run_cli({"attention", "--model", kTiny.string(), "--method", "saliency", kSentence});
  expect_run(r, 2, "attnlab: error: .*'saliency'");
  for (const std::string& m : method_names()) EXPECT_NE(r.err.find(m), std::string::npos) << m << "\n" << r.err;
  EXPECT_NE(r.err.find("head-stats"), std::string::npos) << r.err;
  expect_run(run_cli({"attention", "--model", kTiny.string(), "--method", "rollout", "--all", kSentence}), 2,
             "--method cannot be combined");
}

TEST(AttentionMethodCli, FlowRefusesLongInputsWithoutForce) {
  std::string text;
  for (int i = 0; i < kMaxFlowTokens; ++i) text += "a ";
  expect_run(run_cli({"attention", "--model", kTiny.string(), "--method", "flow", text}), 3,
             "attnlab: error: flow: .*at most " + std::to_string(kMaxFlowTokens) + " tokens.*--force");
  expect_run(run_cli({"attention", "--model", kTiny.string(), "--method", "flow", "--force", text}), 0,
             "^flow \\(all 2 layers\\)");
}

TEST(AttentionMethodCli, HeadStatsJsonMatchesTheReferenceAndTextCarriesTheLabels) {
  const nlohmann::json fx = testing::load_json("head_stats/tiny-random.json").at("cases").at(0);
  ASSERT_EQ(fx.at("text"), kSentence);
  const testing::ProcessResult r =
      run_cli({"attention", "--model", kTiny.string(), "--method", "head-stats", "--json", kSentence});
  ASSERT_EQ(r.exit_code, 0) << testing::describe(r);
  const nlohmann::json doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc.at("tokens"), fx.at("tokens"));
  const nlohmann::json& heads = doc.at("heads");
  ASSERT_EQ(heads.size(), fx.at("heads").size());
  std::vector<float> got, want;
  for (size_t l = 0; l < heads.size(); ++l) {
    ASSERT_EQ(heads[l].size(), fx.at("heads")[l].size());
    for (size_t h = 0; h < heads[l].size(); ++h)
      for (const char* stat : {"cls", "sep", "punct", "self", "prev", "next", "entropy"}) {
        got.push_back(heads[l][h].at(stat).get<float>());
        want.push_back(fx.at("heads")[l][h].at(stat).get<float>());
      }
  }
  testing::expect_close(got, want, 1e-5, "cli head-stats");
  expect_run(run_cli({"attention", "--model", kTiny.string(), "--method", "head-stats", kSentence}), 0,
             "^layer head +cls +sep +punct +self +prev +next +entropy  labels$");
}

}  // namespace
}  // namespace attnlab
