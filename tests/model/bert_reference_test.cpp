// The fast forward pass against the whole-model reference (model/bert_reference.h): every layer's
// attention and hidden state, the last hidden state and the pooler, on the tiny random model and
// on all-MiniLM-L6-v2, under every kernel build the CPU has, with fp32 and with bf16 weights.
#include "model/bert_reference.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "../support/fixtures.h"
#include "../support/isa.h"
#include "attnlab/error.h"
#include "model/transformer.h"

namespace attnlab {
namespace {

struct Case {
  std::string name;
  std::vector<int> ids, types;
};

// The golden fixtures' sequences (padding dropped), then one long input of `long_len` tokens:
// sgemm attention from 256 tokens on, packed rows and row blocks in the linear layers.
std::vector<Case> cases(const std::string& set, const ModelSpec& c, int long_len) {
  std::vector<Case> out;
  const nlohmann::json fixture = testing::load_json("bert/" + set + "/cases.json");  // outlives the loop
  for (const auto& k : fixture["cases"])
    for (size_t b = 0; b < k["input_ids"].size(); ++b) {
      Case one{k["name"].get<std::string>() + "[" + std::to_string(b) + "]", {}, {}};
      for (size_t t = 0; t < k["input_ids"][b].size(); ++t)
        if (k["attention_mask"][b][t] != 0) {
          one.ids.push_back(k["input_ids"][b][t]);
          one.types.push_back(k["token_type_ids"][b][t]);
        }
      out.push_back(std::move(one));
    }
  Case lng{std::to_string(long_len) + " tokens", {}, {}};
  for (int t = 0; t < long_len; ++t) {
    lng.ids.push_back(static_cast<int>((t * 7919u + 13u) % static_cast<unsigned>(c.vocab_size)));
    lng.types.push_back(t < long_len / 2 ? 0 : 1);
  }
  out.push_back(std::move(lng));
  return out;
}

// The reference does not depend on the kernel build: computed once per model and case.
const BertReferenceOutput& reference(const TransformerModel& m, const Case& c) {
  static std::map<std::string, BertReferenceOutput> cache;
  const std::string key = m.dir.string() + " " + c.name;
  auto it = cache.find(key);
  if (it == cache.end()) it = cache.emplace(key, bert_forward_reference(m, c.ids, c.types)).first;
  return it->second;
}

std::vector<float> slice(std::span<const float> v) { return {v.begin(), v.end()}; }

struct Tolerance {
  double attention, hidden, pooler;
};

// Every case through the fast path (one packed batch, as the CLI's corpus runs) and the reference;
// returns the worst differences.
void check_against_reference(const std::filesystem::path& dir, bool bf16, const std::string& set, int long_len,
                             Tolerance tol) {
  const TransformerModel fast = load_model(dir, LoadOptions{bf16});
  const TransformerModel fp32 = bf16 ? load_model(dir) : TransformerModel{};
  const TransformerModel& ref_model = bf16 ? fp32 : fast;
  const auto all = cases(set, fast.spec, std::min(long_len, fast.spec.max_positions));
  std::vector<Encoding> batch(all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    batch[i].input_ids = all[i].ids;
    batch[i].token_type_ids = all[i].types;
  }
  RunOptions every_layer;
  every_layer.hidden_states = true;
  const std::vector<Result> outs = forward_batch(fast, batch, every_layer);
  const std::string run = set + (bf16 ? " bf16 " : " fp32 ") + isa_name(active_isa());
  double worst_att = 0, worst_hidden = 0, worst_pool = 0;
  for (size_t i = 0; i < all.size(); ++i) {
    const BertReferenceOutput& want = reference(ref_model, all[i]);
    const Result& got = outs[i];
    const std::string what = run + " " + all[i].name;
    const size_t per_layer = static_cast<size_t>(want.num_heads) * want.seq_len * want.seq_len;
    const size_t per_state = static_cast<size_t>(want.seq_len) * want.hidden;
    const std::span<const float> got_att = got.attentions.view().span(), got_hid(got.hidden_states);
    worst_hidden = std::max(worst_hidden, testing::expect_close(slice(got_hid.first(per_state)),
                                                                slice(want.hidden_state(0)), tol.hidden,
                                                                what + " embeddings"));
    for (int l = 0; l < want.num_layers; ++l) {
      const std::string layer = " layer " + std::to_string(l);
      worst_att = std::max(worst_att, testing::expect_close(slice(got_att.subspan(l * per_layer, per_layer)),
                                                            slice(std::span(want.attentions).subspan(l * per_layer, per_layer)),
                                                            tol.attention, what + layer + " attentions"));
      worst_hidden = std::max(worst_hidden, testing::expect_close(slice(got_hid.subspan((l + 1) * per_state, per_state)),
                                                                  slice(want.hidden_state(l + 1)), tol.hidden,
                                                                  what + layer + " hidden state"));
    }
    worst_hidden = std::max(worst_hidden, testing::expect_close(got.last_hidden_state, want.last_hidden_state, tol.hidden,
                                                                what + " last_hidden_state"));
    worst_pool = std::max(worst_pool, testing::expect_close(got.pooler_output, want.pooler_output, tol.pooler,
                                                            what + " pooler_output"));
  }
  std::printf("[ summary  ] %s vs reference: max diff attentions %.3g, hidden %.3g, pooler %.3g\n", run.c_str(),
              worst_att, worst_hidden, worst_pool);
}

std::filesystem::path minilm_dir() { return std::string(ATTNLAB_SOURCE_DIR) + "/models/all-MiniLM-L6-v2"; }

class BertReference : public testing::IsaTest {};
ATTNLAB_INSTANTIATE_OVER_ISAS(BertReference);

// fp32, measured on this suite's inputs (max over every layer, case and build): attentions 4.8e-6,
// hidden states 1.6e-5 (MiniLM's middle layers), pooler 8.6e-7. Attentions: 1e-5, as the golden
// tests (fp32 softmax of fp32 scores, summed in another order than the reference's double sums).
// Hidden states and pooler: 1e-4, as the golden tests; each linear layer's float sums of up to
// 1536 products differ from the reference's exactly rounded ones by a few ulps, and the LayerNorms
// carry that through the layers.
constexpr Tolerance kFp32{1e-5, 1e-4, 1e-4};
// bf16 weights (8 significant bits: each weight off by up to 2^-9 relative) against the fp32
// reference, measured: attentions 1.2e-2 (MiniLM, 300 tokens; 5.3e-3 on the tiny model), hidden
// states 3.0e-2 (MiniLM's middle layers; 2.1e-2 on the tiny model), pooler 1.1e-2 (tiny model).
// Tolerances about 2x those: the rounding errors are those of the weights, fixed, but another input
// or model shifts the worst case.
constexpr Tolerance kBf16{2.5e-2, 6e-2, 2.5e-2};

TEST_P(BertReference, TinyRandomFp32) {
  check_against_reference(testing::fixture_path("bert/tiny-random/model"), false, "tiny-random", 300, kFp32);
}

TEST_P(BertReference, TinyRandomBf16) {
  check_against_reference(testing::fixture_path("bert/tiny-random/model"), true, "tiny-random", 300, kBf16);
}

TEST_P(BertReference, AllMiniLmL6V2Fp32) {
  if (!std::filesystem::exists(minilm_dir() / "model.safetensors"))
    GTEST_SKIP() << minilm_dir() << " missing: run `make model` (scripts/fetch_model.sh)";
  check_against_reference(minilm_dir(), false, "minilm", 300, kFp32);
}

TEST_P(BertReference, AllMiniLmL6V2Bf16) {
  if (!std::filesystem::exists(minilm_dir() / "model.safetensors"))
    GTEST_SKIP() << minilm_dir() << " missing: run `make model` (scripts/fetch_model.sh)";
  check_against_reference(minilm_dir(), true, "minilm", 300, kBf16);
}

TEST(BertReferenceForward, NeedsTheFp32Weights) {
  // The legacy fixture stores F16: after packing, the loader keeps no fp32 copy to read.
  const TransformerModel m = load_model(testing::fixture_path("bert/tiny-random/model-legacy"));
  const std::vector<int> ids = {2, 5, 3}, types(3, 0);
  EXPECT_THROW(bert_forward_reference(m, ids, types), Error);
}

}  // namespace
}  // namespace attnlab
