// The BERT family (BertModel, BertFor*): BertConfig as a ModelSpec and the Hugging Face tensor names,
// as transformers' modeling_bert.py defines them (BertEmbeddings, BertSelfAttention, BertSelfOutput,
// BertIntermediate, BertOutput, BertPooler). The forward is the one of model/transformer.cpp.
#include <cstring>
#include <string>
#include <utility>

#include "model/families.h"

namespace attnlab {

ModelSpec bert_spec(const BertConfig& c) {
  ModelSpec s;
  s.family = "bert";
  s.model_type = c.model_type;
  s.vocab_size = c.vocab_size;
  s.hidden = c.hidden_size;
  s.layers = c.num_hidden_layers;
  s.heads = c.num_attention_heads;
  s.kv_heads = c.num_attention_heads;
  s.head_dim = c.head_dim();
  s.intermediate = c.intermediate_size;
  s.max_positions = c.max_position_embeddings;
  s.norm = NormKind::kLayerNorm;
  s.norm_eps = c.layer_norm_eps;
  s.pre_norm = false;
  s.embed_norm = true;
  s.final_norm = false;
  s.activation = FfnActivation::kGeluErf;
  s.gated_ffn = false;
  s.causal = false;
  s.positions = Positions::kLearned;
  s.type_vocab = c.type_vocab_size;
  s.window.assign(static_cast<size_t>(c.num_hidden_layers), 0);
  s.qkv_bias = s.o_bias = s.mlp_bias = true;
  s.tied_embeddings = false;
  s.lm_head = false;
  s.pooler = true;
  return s;
}

std::vector<TensorSlot> bert_tensor_table(const ModelSpec& s, ModelWeights& w) {
  const int64_t h = s.hidden, inter = s.intermediate;
  std::vector<TensorSlot> t = {
      {"embeddings.word_embeddings.weight", {s.vocab_size, h}, &w.embed, true},
      {"embeddings.position_embeddings.weight", {s.max_positions, h}, &w.positions, true},
      {"embeddings.token_type_embeddings.weight", {s.type_vocab, h}, &w.types, true},
      {"embeddings.LayerNorm.weight", {h}, &w.embed_norm_w, true},
      {"embeddings.LayerNorm.bias", {h}, &w.embed_norm_b, true},
  };
  w.layers.resize(static_cast<size_t>(s.layers));
  for (int l = 0; l < s.layers; ++l) {
    LayerWeights& L = w.layers[static_cast<size_t>(l)];
    const std::string p = "encoder.layer." + std::to_string(l) + ".";
    const std::vector<TensorSlot> layer = {
        {p + "attention.self.query.weight", {h, h}, &L.wq, true},
        {p + "attention.self.query.bias", {h}, &L.bq, true},
        {p + "attention.self.key.weight", {h, h}, &L.wk, true},
        {p + "attention.self.key.bias", {h}, &L.bk, true},
        {p + "attention.self.value.weight", {h, h}, &L.wv, true},
        {p + "attention.self.value.bias", {h}, &L.bv, true},
        {p + "attention.output.dense.weight", {h, h}, &L.wo, true},
        {p + "attention.output.dense.bias", {h}, &L.bo, true},
        {p + "attention.output.LayerNorm.weight", {h}, &L.attn_norm_w, true},
        {p + "attention.output.LayerNorm.bias", {h}, &L.attn_norm_b, true},
        {p + "intermediate.dense.weight", {inter, h}, &L.w_up, true},
        {p + "intermediate.dense.bias", {inter}, &L.b_up, true},
        {p + "output.dense.weight", {h, inter}, &L.w_down, true},
        {p + "output.dense.bias", {h}, &L.b_down, true},
        {p + "output.LayerNorm.weight", {h}, &L.ffn_norm_w, true},
        {p + "output.LayerNorm.bias", {h}, &L.ffn_norm_b, true},
    };
    t.insert(t.end(), layer.begin(), layer.end());
  }
  t.push_back({"pooler.dense.weight", {h, h}, &w.pooler_w, false});
  t.push_back({"pooler.dense.bias", {h}, &w.pooler_b, false});
  return t;
}

std::vector<std::string> bert_checkpoint_names(const std::string& name) {
  std::vector<std::string> names = {name, "bert." + name};
  const auto legacy = [](std::string n) {
    for (auto [from, to] : {std::pair{"LayerNorm.weight", "LayerNorm.gamma"}, {"LayerNorm.bias", "LayerNorm.beta"}}) {
      const auto pos = n.rfind(from);
      if (pos != std::string::npos && pos + std::strlen(from) == n.size()) n.replace(pos, std::strlen(from), to);
    }
    return n;
  };
  if (legacy(name) != name) {
    names.push_back(legacy(name));
    names.push_back("bert." + legacy(name));
  }
  return names;
}

}  // namespace attnlab
