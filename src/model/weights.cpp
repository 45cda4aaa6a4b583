// The tensor table and the loader that walks it (see weights.h).
#include "model/weights.h"

#include <cstring>

#include "attnlab/error.h"

namespace attnlab {

std::vector<TensorSlot> tensor_table(const BertConfig& c, BertWeights& w) {
  const int64_t h = c.hidden_size, inter = c.intermediate_size;
  std::vector<TensorSlot> t = {
      {"embeddings.word_embeddings.weight", {c.vocab_size, h}, &w.word_emb, true},
      {"embeddings.position_embeddings.weight", {c.max_position_embeddings, h}, &w.pos_emb, true},
      {"embeddings.token_type_embeddings.weight", {c.type_vocab_size, h}, &w.type_emb, true},
      {"embeddings.LayerNorm.weight", {h}, &w.emb_ln_w, true},
      {"embeddings.LayerNorm.bias", {h}, &w.emb_ln_b, true},
  };
  w.layers.resize(c.num_hidden_layers);
  for (int l = 0; l < c.num_hidden_layers; ++l) {
    LayerWeights& L = w.layers[l];
    const std::string p = "encoder.layer." + std::to_string(l) + ".";
    const std::vector<TensorSlot> layer = {
        {p + "attention.self.query.weight", {h, h}, &L.query_w, true},
        {p + "attention.self.query.bias", {h}, &L.query_b, true},
        {p + "attention.self.key.weight", {h, h}, &L.key_w, true},
        {p + "attention.self.key.bias", {h}, &L.key_b, true},
        {p + "attention.self.value.weight", {h, h}, &L.value_w, true},
        {p + "attention.self.value.bias", {h}, &L.value_b, true},
        {p + "attention.output.dense.weight", {h, h}, &L.attn_out_w, true},
        {p + "attention.output.dense.bias", {h}, &L.attn_out_b, true},
        {p + "attention.output.LayerNorm.weight", {h}, &L.attn_ln_w, true},
        {p + "attention.output.LayerNorm.bias", {h}, &L.attn_ln_b, true},
        {p + "intermediate.dense.weight", {inter, h}, &L.inter_w, true},
        {p + "intermediate.dense.bias", {inter}, &L.inter_b, true},
        {p + "output.dense.weight", {h, inter}, &L.out_w, true},
        {p + "output.dense.bias", {h}, &L.out_b, true},
        {p + "output.LayerNorm.weight", {h}, &L.out_ln_w, true},
        {p + "output.LayerNorm.bias", {h}, &L.out_ln_b, true},
    };
    t.insert(t.end(), layer.begin(), layer.end());
  }
  t.push_back({"pooler.dense.weight", {h, h}, &w.pooler_w, false});
  t.push_back({"pooler.dense.bias", {h}, &w.pooler_b, false});
  return t;
}

std::vector<std::string> checkpoint_names(const std::string& name) {
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

static std::string shape_text(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

void load_weights(const SafetensorsFile& file, const BertConfig& config, BertWeights& weights) {
  bool pooler_seen = true;
  for (TensorSlot& slot : tensor_table(config, weights)) {
    const TensorView* view = nullptr;
    for (const auto& n : checkpoint_names(slot.name))
      if ((view = file.find(n))) break;
    if (!view) {
      if (slot.required)
        throw Error(file.path().string() + ": missing tensor '" + slot.name + "' (also looked for " +
                        checkpoint_names(slot.name).back() + " and the other spellings)",
                    kExitInput);
      pooler_seen = false;
      continue;
    }
    if (view->shape != slot.shape)
      throw Error(file.path().string() + ": tensor '" + view->name + "' has shape " + shape_text(view->shape) +
                      ", config says " + shape_text(slot.shape),
                  kExitInput);
    Tensor& t = *slot.tensor;
    t.shape = slot.shape;
    const bool aligned = reinterpret_cast<uintptr_t>(view->data) % alignof(float) == 0;
    if (view->dtype == DType::kF32 && aligned) {
      t.data = reinterpret_cast<const float*>(view->data);  // zero copy from the map
    } else {
      t.owned.resize(static_cast<size_t>(view->numel()));
      convert_to_f32(*view, file.path(), t.owned.data());
      t.data = t.owned.data();
    }
  }
  weights.has_pooler = pooler_seen;
}

}  // namespace attnlab

namespace attnlab {

void pack_weights(const SafetensorsFile& file, const BertConfig& c, BertWeights& w, bool bf16) {
  const int h = c.hidden_size, inter = c.intermediate_size;
  const auto release = [&](Tensor& t) {
    if (t.owned.empty()) {  // zero copy: the map's pages can go, the packed copy replaces them
      file.release(t.data, t.bytes());
    } else {
      std::vector<float>().swap(t.owned);
      t.data = nullptr;
    }
  };
  const auto prefetch = [&](const Tensor& t) {
    if (t.owned.empty()) file.prefetch(t.data, t.bytes());
  };
  for (LayerWeights& L : w.layers) {
    for (const Tensor* t : {&L.query_w, &L.key_w, &L.value_w, &L.attn_out_w, &L.inter_w, &L.out_w}) prefetch(*t);
    L.qkv_p = attnlab::pack_weights({{L.query_w.data, h}, {L.key_w.data, h}, {L.value_w.data, h}}, h, bf16);
    L.qkv_b.assign(L.query_b.data, L.query_b.data + h);
    L.qkv_b.insert(L.qkv_b.end(), L.key_b.data, L.key_b.data + h);
    L.qkv_b.insert(L.qkv_b.end(), L.value_b.data, L.value_b.data + h);
    L.attn_out_p = pack_weight(L.attn_out_w.data, h, h, bf16);
    L.inter_p = pack_weight(L.inter_w.data, inter, h, bf16);
    L.out_p = pack_weight(L.out_w.data, h, inter, bf16);
    for (Tensor* t : {&L.query_w, &L.key_w, &L.value_w, &L.attn_out_w, &L.inter_w, &L.out_w}) release(*t);
  }
  if (w.has_pooler) {
    w.pooler_p = pack_weight(w.pooler_w.data, h, h, bf16);
    release(w.pooler_w);
  }
}

}  // namespace attnlab
