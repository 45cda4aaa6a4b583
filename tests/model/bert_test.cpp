// Golden tests of the BERT encoder against Hugging Face transformers (eager, fp32), under every
// kernel build the CPU has (scalar, avx2, avx512).
// Fixtures: tools/make_bert_fixtures.py -> tests/fixtures/bert/<name>/cases.{json,bin}.
#include "model/transformer.h"

#include <gtest/gtest.h>

#include <fstream>

#include "../support/fixtures.h"
#include "../support/isa.h"
#include "text/bert_tokenizer.h"

namespace attnlab {
namespace {

struct GoldenSet {
  nlohmann::json meta;
  testing::FloatBlob blob;
  std::vector<float> slice(const nlohmann::json& entry) const { return blob.slice(entry); }
};

GoldenSet load_golden(const std::string& name) {
  return {testing::load_json("bert/" + name + "/cases.json"), testing::read_float_blob(testing::fixture_path("bert/" + name + "/cases.bin"))};
}

// Runs every case of a golden set through a model directory and compares with the reference.
// Tolerances: attentions 1e-5 (fp32 softmax of fp32 scores, different summation order);
// hidden states and pooler 1e-4 (errors grow through the layers' LayerNorms).
void check_golden(const std::string& set, const std::filesystem::path& model_dir) {
  const GoldenSet g = load_golden(set);
  const TransformerModel model = load_model(model_dir);
  const BertTokenizer tokenizer = BertTokenizer::from_directory(model_dir);
  double worst_att = 0, worst_hidden = 0, worst_pool = 0;
  for (const auto& c : g.meta["cases"]) {
    const std::string name = c["name"];
    const auto att = g.slice(c["attentions"]);
    const auto hid = g.slice(c["last_hidden_state"]);
    const auto pool = g.slice(c["pooler_output"]);
    const auto& ashape = c["attentions"]["shape"];  // [batch, layers, heads, S, S]
    const int batch = ashape[0], nl = ashape[1], heads = ashape[2], S = ashape[3];
    const int hidden = model.spec.hidden;
    const auto layers = c["attention_layers"].get<std::vector<int>>();
    // Multi-sequence cases go through the packed batch API in one call; single ones through bert_forward.
    std::vector<Encoding> inputs(static_cast<size_t>(batch));
    for (int b = 0; b < batch; ++b)
      for (int t = 0; t < S; ++t)
        if (c["attention_mask"][b][t] != 0) {
          inputs[b].input_ids.push_back(c["input_ids"][b][t]);
          inputs[b].token_type_ids.push_back(c["token_type_ids"][b][t]);
        }
    const std::vector<Result> batch_out = batch > 1 ? forward_batch(model, inputs) : std::vector<Result>{};
    for (int b = 0; b < batch; ++b) {
      std::vector<int> ids, types;
      for (int t = 0; t < S; ++t) {
        if (c["attention_mask"][b][t] == 0) continue;
        ids.push_back(c["input_ids"][b][t]);
        types.push_back(c["token_type_ids"][b][t]);
      }
      const int n = static_cast<int>(ids.size());
      // The tokenizer must give the reference's ids for the case's text (end to end).
      std::optional<std::string> pair;
      if (!c["pairs"].is_null()) pair = c["pairs"][b].get<std::string>();
      const Encoding enc = tokenizer.encode(c["texts"][b].get<std::string>(), pair ? std::optional<std::string_view>(*pair) : std::nullopt);
      EXPECT_EQ(enc.input_ids, ids) << name << "[" << b << "] token ids";
      EXPECT_EQ(enc.token_type_ids, types) << name << "[" << b << "] token type ids";
      const Result out = batch > 1 ? batch_out[b] : forward(model, ids, types);
      // Real tokens of a padded batch must equal a single unpadded run; padded keys get 0.
      std::vector<float> got_att, want_att;
      for (int li = 0; li < nl; ++li)
        for (int h = 0; h < heads; ++h)
          for (int q = 0; q < n; ++q)
            for (int k = 0; k < S; ++k) {
              got_att.push_back(k < n ? out.attentions.row(layers[li], h, q)[static_cast<size_t>(k)] : 0.0f);
              want_att.push_back(att[((((static_cast<size_t>(b) * nl + li) * heads + h) * S + q) * S) + k]);
            }
      std::vector<float> want_hid(hid.begin() + static_cast<long>(b) * S * hidden,
                                  hid.begin() + static_cast<long>(b) * S * hidden + static_cast<long>(n) * hidden);
      std::vector<float> want_pool(pool.begin() + static_cast<long>(b) * hidden, pool.begin() + static_cast<long>(b + 1) * hidden);
      const std::string what = set + " @ " + model_dir.filename().string() + " " + name + "[" + std::to_string(b) + "]";
      worst_att = std::max(worst_att, testing::expect_close(got_att, want_att, 1e-5, what + " attentions"));
      worst_hidden = std::max(worst_hidden, testing::expect_close(out.last_hidden_state, want_hid, 1e-4, what + " last_hidden_state"));
      worst_pool = std::max(worst_pool, testing::expect_close(out.pooler_output, want_pool, 1e-4, what + " pooler_output"));
    }
  }
  std::printf("[ summary  ] %s @ %s (%s): max diff attentions %.3g, hidden %.3g, pooler %.3g\n", set.c_str(),
              model_dir.string().c_str(), isa_name(active_isa()), worst_att, worst_hidden, worst_pool);
}

class BertGolden : public testing::IsaTest {};
ATTNLAB_INSTANTIATE_OVER_ISAS(BertGolden);

TEST_P(BertGolden, TinyRandomModernNaming) {
  check_golden("tiny-random", testing::fixture_path("bert/tiny-random/model"));
}

TEST_P(BertGolden, TinyRandomLegacyNamingF16) {
  check_golden("tiny-random", testing::fixture_path("bert/tiny-random/model-legacy"));
}

TEST_P(BertGolden, AllMiniLmL6V2) {
  const std::filesystem::path dir = std::string(ATTNLAB_SOURCE_DIR) + "/models/all-MiniLM-L6-v2";
  if (!std::filesystem::exists(dir / "model.safetensors"))
    FAIL() << dir << " missing: run scripts/fetch_model.sh (make test does)";
  check_golden("minilm", dir);
}

}  // namespace
}  // namespace attnlab
