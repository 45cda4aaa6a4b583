// Per-head statistics (include/attnlab/head_stats.h) against numpy's, on transformers' attentions and
// on the engine's. Fixtures: tools/make_head_stats_fixtures.py -> tests/fixtures/head_stats/<model>.json.
#include "attnlab/head_stats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "../support/fixtures.h"
#include "attnlab/error.h"

namespace attnlab {
namespace {

namespace fs = std::filesystem;

const fs::path kTiny = fs::path(ATTNLAB_FIXTURES) / "bert" / "tiny-random" / "model";
const fs::path kMiniLm = fs::path(ATTNLAB_SOURCE_DIR) / "models" / "all-MiniLM-L6-v2";

// got: [layers * heads]; want: the fixture's [layers][heads]{stat: value}. Returns the max difference.
double compare(const std::vector<HeadStats>& got, const nlohmann::json& want, double tol, const std::string& what) {
  const size_t heads = want.at(0).size();
  EXPECT_EQ(got.size(), want.size() * heads) << what;
  double max_diff = 0;
  for (size_t i = 0; i < std::min(got.size(), want.size() * heads); ++i) {
    for (int k = 0; k < kNumHeadStats; ++k) {
      const double w = want.at(i / heads).at(i % heads).at(std::string(kHeadStatNames[k])).get<double>();
      const double d = std::abs(head_stat(got[i], k) - w);
      max_diff = std::max(max_diff, d);
      EXPECT_LE(d, tol) << what << ": layer " << i / heads << " head " << i % heads << " " << kHeadStatNames[k]
                        << " got " << head_stat(got[i], k) << " want " << w;
    }
  }
  return max_diff;
}

// The arithmetic alone: transformers' own float32 attentions in, numpy's float64 statistics out.
// Tolerance 1e-12: both sum the same float32 values in double, in another order.
TEST(HeadStats, MatchNumpyOnTransformersAttentions) {
  const nlohmann::json fx = testing::load_json("head_stats/tiny-random.json");
  double max_diff = 0;
  for (const auto& c : fx.at("cases")) {
    const std::vector<std::string> tokens = c.at("tokens");
    const size_t heads = c.at("attentions").at(0).size(), n = tokens.size();
    std::vector<HeadStats> got;
    for (const auto& layer : c.at("attentions")) {
      const std::vector<float> a = testing::flat(layer);
      Encoding enc;
      enc.tokens = tokens;
      for (const HeadStats& s : layer_head_stats({a.data(), {heads, n, n}}, enc)) got.push_back(s);
    }
    max_diff = std::max(max_diff, compare(got, c.at("heads"), 1e-12, "tiny '" + c.at("text").get<std::string>() + "'"));
  }
  std::printf("[ max diff ] head stats on transformers' attentions %.3g (tolerance 1e-12)\n", max_diff);
}

// The engine's attentions (within 1e-5 of transformers') through head_stats(Result): 1e-5.
void check_engine(const fs::path& model_dir, const std::string& fixture) {
  const Engine engine = Engine::open(model_dir.string());
  const nlohmann::json fx = testing::load_json("head_stats/" + fixture + ".json");
  double max_diff = 0;
  for (const auto& c : fx.at("cases")) {
    const std::string text = c.at("text");
    std::optional<std::string> pair;
    if (!c.at("pair").is_null()) pair = c.at("pair").get<std::string>();
    const Encoding enc = engine.encode(text, pair ? std::optional<std::string_view>(*pair) : std::nullopt);
    ASSERT_EQ(enc.tokens, c.at("tokens").get<std::vector<std::string>>()) << text;
    max_diff = std::max(max_diff, compare(head_stats(engine.run(enc)), c.at("heads"), 1e-5, fixture + " '" + text + "'"));
  }
  std::printf("[ max diff ] head stats %-12s vs transformers + numpy %.3g (tolerance 1e-5)\n", fixture.c_str(), max_diff);
}

TEST(HeadStats, EngineMatchesTransformersOnTheTinyModel) { check_engine(kTiny, "tiny-random"); }

TEST(HeadStats, EngineMatchesTransformersOnMiniLm) {
  if (!fs::exists(kMiniLm / "model.safetensors")) GTEST_SKIP() << kMiniLm << " missing: run `make model`";
  check_engine(kMiniLm, "minilm");
}

// The per-layer observer gives the same numbers as the kept tensor, without keeping it.
TEST(HeadStats, PerLayerObserverEqualsWholeResult) {
  const Engine engine = Engine::open(kTiny.string());
  const Encoding enc = engine.encode("Hello, world. The cat sat on the mat.");
  const std::vector<HeadStats> whole = head_stats(engine.run(enc));
  std::vector<HeadStats> streamed;
  RunOptions options;
  options.attentions = false;
  options.on_layer = [&](std::span<const LayerView> views) {
    ASSERT_EQ(views.size(), 1u);
    for (const HeadStats& s : layer_head_stats(views[0].attention, enc)) streamed.push_back(s);
  };
  engine.run(enc, options);
  ASSERT_EQ(streamed.size(), whole.size());
  for (size_t i = 0; i < whole.size(); ++i)
    for (int k = 0; k < kNumHeadStats; ++k) EXPECT_EQ(head_stat(streamed[i], k), head_stat(whole[i], k)) << i;
}

// Clark et al.'s thresholds are strict: a value at the threshold earns no label.
TEST(HeadStats, LabelsFollowClarkEtAlThresholds) {
  HeadStats s;
  EXPECT_TRUE(head_labels(s).empty());
  s.entropy = kBroadEntropy;
  s.prev = kPositionalShare;
  s.cls = kSpecialShare;
  EXPECT_TRUE(head_labels(s).empty());
  s.entropy = std::nextafter(kBroadEntropy, 10.0);
  s.next = std::nextafter(kPositionalShare, 1.0);
  s.sep = std::nextafter(kSpecialShare, 1.0);
  s.punct = 1.0;
  EXPECT_EQ(head_labels(s), (std::vector<std::string_view>{"broad", "next", "sep", "punct"}));
}

TEST(HeadStats, RefusesARunWithoutAttentionsAndMismatchedTokens) {
  const Engine engine = Engine::open(kTiny.string());
  RunOptions options;
  options.attentions = false;
  const Result r = engine.run("the cat", options);
  EXPECT_THROW(head_stats(r), Error);
  const std::vector<float> a(2 * 3 * 3, 1.0f / 3);
  Encoding two;
  two.tokens = {"[CLS]", "[SEP]"};
  try {
    layer_head_stats({a.data(), {2, 3, 3}}, two);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("2 tokens"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace attnlab

namespace attnlab {
namespace {

// Columns by role, not spelling: a decoder's bos (or, without one, its first token) is the "cls"
// column, eos the "sep" one; a text token spelled "[CLS]" is not special.
TEST(HeadStats, ColumnsFollowRolesNotSpellings) {
  // One head, every query row entirely on key 0 (an attention sink).
  const std::vector<float> sink = {1, 0, 0, 1, 0, 0, 1, 0, 0};
  Encoding no_bos;
  no_bos.tokens = {"The", "[CLS]", "cat"};
  no_bos.roles = {TokenRole::kNone, TokenRole::kNone, TokenRole::kNone};
  EXPECT_EQ(layer_head_stats({sink.data(), {1, 3, 3}}, no_bos)[0].cls, 1.0);
  Encoding bos_eos = no_bos;
  bos_eos.tokens = {"<s>", "cat", "</s>"};
  bos_eos.roles = {TokenRole::kBos, TokenRole::kNone, TokenRole::kEos};
  const std::vector<float> last = {0, 0, 1, 0, 0, 1, 0, 0, 1};
  const HeadStats s = layer_head_stats({last.data(), {1, 3, 3}}, bos_eos)[0];
  EXPECT_EQ(s.cls, 0.0);
  EXPECT_EQ(s.sep, 1.0);
}

// The columns' names follow the model: an encoder keeps BERT's cls, sep (existing CSVs and fixtures); a
// causal decoder's say bos, eos, in the columns and in the labels a head earns.
TEST(HeadStats, NamesFollowTheModel) {
  const HeadStatNames encoder = head_stat_names(/*causal=*/false), decoder = head_stat_names(/*causal=*/true);
  EXPECT_EQ(std::vector<std::string_view>(encoder.begin(), encoder.end()),
            (std::vector<std::string_view>{"cls", "sep", "punct", "self", "prev", "next", "entropy"}));
  EXPECT_EQ(std::vector<std::string_view>(decoder.begin(), decoder.end()),
            (std::vector<std::string_view>{"bos", "eos", "punct", "self", "prev", "next", "entropy"}));
  HeadStats s;
  s.cls = s.sep = 1.0;
  EXPECT_EQ(head_labels(s), (std::vector<std::string_view>{"cls", "sep"}));
  EXPECT_EQ(head_labels(s, encoder), (std::vector<std::string_view>{"cls", "sep"}));
  EXPECT_EQ(head_labels(s, decoder), (std::vector<std::string_view>{"bos", "eos"}));
}

}  // namespace
}  // namespace attnlab
