// The one batching policy (include/attnlab/batching.h): how inputs are split into passes, and a failed
// pass rerun input by input so that a bad input fails alone and the others equal single runs.
#include "attnlab/batching.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "../support/fixtures.h"
#include "attnlab/error.h"

namespace attnlab {
namespace {

namespace fs = std::filesystem;
using testing::expect_bit_identical;

const fs::path kTiny = fs::path(ATTNLAB_FIXTURES) / "bert" / "tiny-random" / "model";

std::vector<float> vec(std::span<const float> s) { return {s.begin(), s.end()}; }

// Encodings of these lengths (ids 0, ...: only the length matters to the split).
std::vector<Encoding> of_lengths(std::initializer_list<size_t> lengths) {
  std::vector<Encoding> out;
  for (size_t n : lengths) {
    Encoding e;
    e.input_ids.assign(n, 0);
    out.push_back(e);
  }
  return out;
}

// An Encoding the engine rejects: an id outside the vocabulary.
Encoding bad_input(const Engine& engine) {
  Encoding bad = engine.encode("a bad input");
  bad.input_ids[1] = engine.info().vocab_size + 7;
  return bad;
}

// Every output of `got` equals `want` bit for bit.
void expect_same_result(const Result& got, const Result& want, const std::string& what) {
  EXPECT_EQ(got.encoding.input_ids, want.encoding.input_ids) << what;
  expect_bit_identical(vec(got.attentions.view().span()), vec(want.attentions.view().span()), what + " attentions");
  expect_bit_identical(got.last_hidden_state, want.last_hidden_state, what + " last_hidden_state");
  expect_bit_identical(got.pooler_output, want.pooler_output, what + " pooler_output");
  expect_bit_identical(got.hidden_states, want.hidden_states, what + " hidden_states");
  expect_bit_identical(got.query, want.query, what + " query");
  expect_bit_identical(got.key, want.key, what + " key");
  expect_bit_identical(got.value, want.value, what + " value");
}

TEST(Batching, SplitHonoursBothLimitsAndOrder) {
  const std::vector<Encoding> inputs = of_lengths({3, 4, 2, 6, 1, 1, 1, 5});
  // At most 3 inputs and 8 tokens: [3 4] (+2 would be 9), [2 6], [1 1 1] (count), [5].
  EXPECT_EQ(split_batches(inputs, {3, 8}), (std::vector<BatchRange>{{0, 2}, {2, 4}, {4, 7}, {7, 8}}));
  // Only the count: passes of 3, the last one shorter.
  EXPECT_EQ(split_batches(inputs, {3, 0}), (std::vector<BatchRange>{{0, 3}, {3, 6}, {6, 8}}));
  // Only the tokens (runs are packed: a pass costs the sum of its lengths): [3 4] [2 6] [1 1 1 5].
  EXPECT_EQ(split_batches(inputs, {0, 8}), (std::vector<BatchRange>{{0, 2}, {2, 4}, {4, 8}}));
  // No limit: one pass; no input: no pass.
  EXPECT_EQ(split_batches(inputs, {0, 0}), (std::vector<BatchRange>{{0, 8}}));
  EXPECT_TRUE(split_batches({}, {}).empty());
  // Every pass is within both limits, and together they cover the inputs in order.
  for (const BatchLimits limits : {BatchLimits{}, BatchLimits{2, 5}, BatchLimits{1, 100}, BatchLimits{4, 7}}) {
    size_t next = 0;
    for (const BatchRange& b : split_batches(inputs, limits)) {
      EXPECT_EQ(b.begin, next);
      EXPECT_GT(b.size(), 0u);
      EXPECT_LE(b.size(), limits.max_inputs);
      size_t tokens = 0;
      for (size_t i = b.begin; i < b.end; ++i) tokens += inputs[i].size();
      EXPECT_TRUE(tokens <= limits.max_tokens || b.size() == 1) << b.begin << ".." << b.end;
      next = b.end;
    }
    EXPECT_EQ(next, inputs.size());
  }
}

TEST(Batching, AnInputOverTheTokenBudgetRunsAlone) {
  const std::vector<Encoding> inputs = of_lengths({2, 30, 2, 2});
  EXPECT_EQ(split_batches(inputs, {32, 10}), (std::vector<BatchRange>{{0, 1}, {1, 2}, {2, 4}}));
  EXPECT_EQ(split_batches(of_lengths({30}), {32, 10}), (std::vector<BatchRange>{{0, 1}}));
  const BatchLimits limits{32, 10};
  EXPECT_FALSE(limits.starts_new_batch(0, 0, 30)) << "an empty batch takes any input";
  EXPECT_TRUE(limits.starts_new_batch(1, 2, 30));
  EXPECT_TRUE(limits.starts_new_batch(1, 30, 2));
  EXPECT_FALSE(limits.starts_new_batch(1, 8, 2));
  EXPECT_TRUE(BatchLimits{}.starts_new_batch(kDefaultBatchInputs, 32, 1)) << "the default count";
}

TEST(Batching, RunsEqualSingleRunsBitForBitAcrossPasses) {
  const Engine engine = Engine::open(kTiny.string());
  const std::vector<Encoding> inputs = {engine.encode("The cat sat on the mat."), engine.encode("x"),
                                        engine.encode("a longer sentence, with punctuation!", "and a pair"),
                                        engine.encode("students attend")};
  RunOptions all;
  all.hidden_states = all.qkv = true;
  const std::vector<BatchOutcome> outcomes = run_batches(engine, inputs, all, {2, 0});
  ASSERT_EQ(outcomes.size(), inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    ASSERT_TRUE(outcomes[i].ok()) << i;
    expect_same_result(outcomes[i].result, engine.run(inputs[i], all), "input " + std::to_string(i));
  }
}

TEST(Batching, ABadInputFailsAloneAndTheOthersEqualSingleRuns) {
  const Engine engine = Engine::open(kTiny.string());
  const std::vector<Encoding> inputs = {engine.encode("The cat sat on the mat."), bad_input(engine),
                                        engine.encode("hello, world.", "a pair"), engine.encode("one more"),
                                        engine.encode("and the last")};
  RunOptions all;
  all.hidden_states = all.qkv = true;
  // Passes of 3: the bad input's pass fails and is rerun input by input; the next pass runs as it is.
  std::vector<size_t> reruns;
  const std::vector<BatchOutcome> outcomes =
      run_batches(engine, inputs, all, {3, 0}, [&](size_t i) { reruns.push_back(i); });
  ASSERT_EQ(outcomes.size(), inputs.size());
  EXPECT_EQ(reruns, (std::vector<size_t>{0, 1, 2})) << "only the failed pass is rerun, each input once";
  ASSERT_FALSE(outcomes[1].ok());
  EXPECT_TRUE(outcomes[1].result.attentions.empty());
  try {
    std::rethrow_exception(outcomes[1].error);
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitInput);
    EXPECT_NE(std::string(e.what()).find("outside the vocabulary"), std::string::npos) << e.what();
  }
  for (size_t i : {0u, 2u, 3u, 4u}) {
    ASSERT_TRUE(outcomes[i].ok()) << i;
    expect_same_result(outcomes[i].result, engine.run(inputs[i], all), "input " + std::to_string(i));
  }
  // Alone, the bad input fails without a rerun.
  reruns.clear();
  const std::vector<BatchOutcome> alone = run_batches(engine, std::span(inputs).subspan(1, 1), all, {},
                                                      [&](size_t i) { reruns.push_back(i); });
  ASSERT_EQ(alone.size(), 1u);
  EXPECT_FALSE(alone[0].ok());
  EXPECT_TRUE(reruns.empty());
}

// The observer's views name each input by its index in the whole sequence, whatever its pass, and a
// rerun input is shown again from its first layer after on_rerun.
TEST(Batching, ObserverSeesInputsByTheirIndexAndRerunsFromTheStart) {
  const Engine engine = Engine::open(kTiny.string());
  const std::vector<Encoding> inputs = {engine.encode("The cat"), engine.encode("sat on"), bad_input(engine),
                                        engine.encode("the mat."), engine.encode("x")};
  const int layers = engine.info().num_layers;
  std::vector<std::vector<std::vector<float>>> seen(inputs.size());  // [input][layer] attention
  RunOptions observe;
  observe.attentions = false;
  observe.last_hidden = false;
  observe.on_layer = [&](std::span<const LayerView> views) {
    for (const LayerView& v : views) {
      ASSERT_GE(v.input, 0);
      ASSERT_LT(static_cast<size_t>(v.input), inputs.size());
      auto& mine = seen[static_cast<size_t>(v.input)];
      EXPECT_EQ(static_cast<int>(mine.size()), v.layer) << "input " << v.input << ": layers in order";
      EXPECT_EQ(v.attention.shape[1], inputs[static_cast<size_t>(v.input)].size());
      mine.push_back(vec(v.attention.span()));
    }
  };
  const auto forget = [&](size_t i) { seen[i].clear(); };
  const std::vector<BatchOutcome> outcomes = run_batches(engine, inputs, observe, {2, 0}, forget);
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (i == 2) {
      EXPECT_FALSE(outcomes[i].ok());
      continue;
    }
    ASSERT_TRUE(outcomes[i].ok()) << i;
    ASSERT_EQ(static_cast<int>(seen[i].size()), layers) << i;
    const Result one = engine.run(inputs[i]);
    const size_t n = inputs[i].size(), block = static_cast<size_t>(engine.info().num_heads) * n * n;
    for (int l = 0; l < layers; ++l)
      expect_bit_identical(seen[i][static_cast<size_t>(l)],
                           vec(one.attentions.view().span().subspan(static_cast<size_t>(l) * block, block)),
                           "input " + std::to_string(i) + " layer " + std::to_string(l));
  }
}

}  // namespace
}  // namespace attnlab
