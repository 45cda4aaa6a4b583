// Head phenomena scores (attnlab/head_scores.h) against tools/make_heads_fixtures.py's goldens: numpy on
// transformers' eager attentions, following TransformerLens' head_detector.py and Main_Demo and
// Attention-Sink's eval_sink_open_source.py (tests/fixtures/heads/README.md), on the tiny decoders and
// the real SmolLM2 and Gemma 3 GGUFs: every score of every case and the corpus means within 1e-5, the
// texts tokenized to the same ids; plus the induction generator's contract.
// GCC 12 sees a null dereference inside nlohmann::json's object construction here (not ours).
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <set>

#include "../support/fixtures.h"
#include "attnlab/engine.h"
#include "attnlab/error.h"
#include "attnlab/head_scores.h"

namespace attnlab {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Scores are shares in [0, 1]: within 1e-5. Entropy is in nats, up to ln T: within 1e-5 of its value
// (SmolLM2's 30 layers put its attentions up to 4e-5 from transformers', and -a ln a weighs each
// difference by |ln a| + 1).
constexpr double kTolerance = 1e-5;

void expect_scores(const std::vector<double>& got, const json& want, int heads, const std::string& what,
                   double* worst) {
  ASSERT_EQ(got.size(), want.size() * static_cast<size_t>(heads)) << what;
  const bool entropy = what.ends_with("entropy");
  for (size_t l = 0; l < want.size(); ++l)
    for (int h = 0; h < heads; ++h) {
      const double w = want[l][static_cast<size_t>(h)].get<double>(), g = got[l * heads + static_cast<size_t>(h)];
      const double diff = std::abs(g - w) / (entropy ? std::max(1.0, std::abs(w)) : 1.0);
      *worst = std::max(*worst, diff);
      EXPECT_LE(diff, kTolerance) << what << " layer " << l << " head " << h << ": " << g << " vs " << w;
    }
}

void check_model(const std::string& name) {
  const json fx = testing::load_json("heads/" + name + ".json");
  const json& m = fx["model"];
  fs::path path = fs::path(ATTNLAB_SOURCE_DIR) / m["path"].get<std::string>();
  if (m["gguf_file"].is_string() && !fs::exists(path)) GTEST_SKIP() << path << " is missing: run `make model`";
  const Engine engine = Engine::open(path.string());
  const int heads = m["heads"].get<int>();
  ASSERT_EQ(engine.info().num_layers, m["layers"].get<int>());
  double worst = 0;
  HeadScoreTotals totals;
  for (const json& c : fx["cases"]) {
    const std::string what = name + " " + c["name"].get<std::string>();
    const std::vector<int> ids = c["input_ids"].get<std::vector<int>>();
    if (c["text"].is_string()) {
      EXPECT_EQ(engine.encode(c["text"].get<std::string>()).input_ids, ids) << what;
    }
    HeadScoreOptions o;
    o.local_window = c["local_window_w"].get<int>();
    o.prefix = c["prefix"].get<int>();
    const bool induction = c["kind"] == "induction";
    if (induction) o.length = c["length"].get<int>();
    const HeadScores s = head_scores(engine, engine.encode_ids(ids), o);
    const json& want = c["scores"];
    for (const std::string_view score : kHeadScoreNames) {
      if (score == "induction_stripe" && !induction) {
        EXPECT_TRUE(s.score(score).empty()) << what;
        continue;
      }
      expect_scores(s.score(score), want[std::string(score)], heads, what + " " + std::string(score), &worst);
    }
    if (want.contains("sink_by_key"))
      for (int k = 0; k < kSinkKeys; ++k)
        expect_scores(s.sink_by_key[static_cast<size_t>(k)], want["sink_by_key"][static_cast<size_t>(k)], heads,
                      what + " sink_by_key " + std::to_string(k), &worst);
    // The rate flips where a head sits at 0.3: the fixture says how close the nearest one is.
    if (c["scores"]["sink_min_margin"].get<double>() > kTolerance) {
      EXPECT_EQ(s.sink_rate_percent, want["sink_rate_percent"].get<std::vector<double>>()) << what;
    }
    if (c["kind"] == "text") totals.add(s);
  }
  const json& corpus = fx["corpus"];
  EXPECT_EQ(totals.tokens, corpus["tokens"].get<long long>());
  const HeadScores means = totals.means();
  for (const auto& [score, values] : corpus["scores"].items())
    expect_scores(means.score(score), values, heads, name + " corpus " + score, &worst);
  std::printf("[ summary  ] %s: max |diff| over every head score (entropy relative) %.3g\n", name.c_str(), worst);
}

TEST(HeadScores, TinyDecodersMatchTheReferences) {
  for (const char* name : {"llama-gqa", "mistral-window", "qwen2-window", "gemma3-window"}) check_model(name);
}
TEST(HeadScores, SmolLM2MatchesTheReferences) { check_model("smollm2-135m-instruct"); }
TEST(HeadScores, Gemma3MatchesTheReferences) { check_model("gemma-3-270m"); }

TEST(HeadScores, TotalsMergeAsOne) {
  HeadScores a, b;
  for (HeadScores* s : {&a, &b}) {
    s->layers = 1;
    s->heads = 2;
    s->scores.assign(kNumHeadScores, std::vector<double>(2, 0.0));
  }
  a.tokens = 3;
  b.tokens = 5;
  a.scores[1] = {0.5, 0.25};
  b.scores[1] = {0.1, 1.0};
  HeadScoreTotals whole, left, right;
  whole.add(a);
  whole.add(b);
  left.add(a);
  right.add(b);
  left.merge(right);
  EXPECT_EQ(left.means().score("previous_token"), whole.means().score("previous_token"));
  EXPECT_DOUBLE_EQ(whole.means().score("previous_token")[0], (3 * 0.5 + 5 * 0.1) / 8);
}

TEST(HeadScores, InductionTokensAreSeededInRangeAndNeverSpecial) {
  const auto special = [](int id) { return id % 7 == 0; };
  const std::vector<int> a = induction_tokens(500, 49152, special, 42), b = induction_tokens(500, 49152, special, 42);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, induction_tokens(500, 49152, special, 43));
  std::set<int> distinct(a.begin(), a.end());
  EXPECT_GT(distinct.size(), 400u);
  for (int id : a) {
    EXPECT_GE(id, 1000);
    EXPECT_LT(id, 10000);
    EXPECT_NE(id % 7, 0);
  }
  for (int id : induction_tokens(200, 332, nullptr, 1)) {
    EXPECT_GE(id, 0);
    EXPECT_LT(id, 332);
  }
  EXPECT_THROW(induction_tokens(3, 10, [](int) { return true; }, 1), Error);
}

}  // namespace
}  // namespace attnlab
