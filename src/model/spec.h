// What a model family is, as data the one forward (model/transformer.h) reads: CTranslate2's specs
// (BertConfig -> TransformerEncoderSpec(pre_norm=False, ...), LlamaConfig ->
// TransformerDecoderModelSpec(pre_norm=True, ffn_glu=True, rms_norm=True, ...)) and gemma.cpp's
// per-layer configs (a window per layer). A family is a spec and a tensor-name table (model/families.h).
#pragma once

#include <string>
#include <vector>

namespace attnlab {

enum class NormKind { kLayerNorm, kRmsNorm };
enum class FfnActivation { kGeluErf, kGeluTanh, kSilu };
enum class Positions { kLearned, kRope, kNone };

// Rotary position embedding and its scaling, as transformers' rope_parameters (modeling_rope_utils.py).
struct RopeSpec {
  std::string type = "default";  // default, linear, dynamic, yarn, llama3
  double theta = 10000.0;        // 1e5 for SmolLM2-135M, 5e5 for Llama 3
  double factor = 1.0;           // linear, dynamic, yarn, llama3
  // llama3
  double low_freq_factor = 1.0, high_freq_factor = 4.0;
  int original_max_position_embeddings = 0;  // llama3, yarn
  // yarn (attention_factor < 0: from factor, mscale and mscale_all_dim as transformers infers it)
  double attention_factor = -1.0, beta_fast = 32.0, beta_slow = 1.0, mscale = 0.0, mscale_all_dim = 0.0;
  bool truncate = true;
};

struct ModelSpec {
  std::string family;          // the name table: "bert", "llama" (Llama, Mistral, Qwen2, Qwen3, SmolLM), "gemma3"
  std::string model_type;      // config.json's: "bert", "llama", "mistral", "qwen2", "qwen3", "gemma3_text"
  int vocab_size = 0;          // 49152 for SmolLM2-135M
  int hidden = 0;              // 576
  int layers = 0;              // 30
  int heads = 0;               // 9 query heads
  int kv_heads = 0;            // 3 key/value heads: query head h reads kv head h / (heads / kv_heads)
  int head_dim = 0;            // 64 (not always hidden / heads: Qwen3 sets it)
  int intermediate = 0;        // 1536
  int max_positions = 0;       // 8192 (max_position_embeddings)
  NormKind norm = NormKind::kRmsNorm;  // LayerNorm has a bias, RMSNorm none
  double norm_eps = 1e-5;
  float norm_weight_offset = 0;  // RMSNorm scales by (offset + weight), the sum in float32: Gemma's 1
  bool pre_norm = true;        // norm before attention and MLP, residual after (Llama); false: BERT's post-LN
  bool sandwich_norm = false;  // pre-LN plus a norm on each sublayer's output before its residual (Gemma 3)
  bool embed_norm = false;     // a norm right after the embeddings (BERT)
  bool final_norm = true;      // a norm after the last layer (pre-LN models)
  FfnActivation activation = FfnActivation::kSilu;
  bool gated_ffn = true;       // down(act(gate x) * up x)
  bool causal = true;
  Positions positions = Positions::kRope;
  int position_offset = 0;     // learned positions: row t + offset of the table for token t
  int type_vocab = 0;          // token-type embeddings (BERT's 2); 0: none
  float embed_scale = 0;       // word embeddings times this float32 (Gemma: sqrt(hidden)); 0: none
  double attention_scale = 0;  // scores times this; 0: head_dim ** -0.5
  RopeSpec rope;
  std::vector<int> window;     // per layer: keys a query sees including itself; 0 = every earlier key
  bool local_rope_on_windowed = false;  // Gemma 3: windowed (sliding) layers rotate with local_rope
  RopeSpec local_rope;
  bool qkv_bias = false;       // Qwen2; Llama's attention_bias (o_proj too)
  bool o_bias = false;
  bool mlp_bias = false;
  bool qk_norm = false;        // Qwen3: RMSNorm over head_dim on q and k before RoPE
  bool tied_embeddings = true; // lm_head is embed_tokens
  float final_logit_softcap = 0;  // logits = cap * tanh(logits / cap) (Gemma's final_logit_softcapping); 0: none
  bool lm_head = true;         // a language-model head gives next-token logits (decoders)
  bool pooler = false;         // a pooler may follow (BERT: when the checkpoint has one)
  std::vector<int> eos_token_ids;  // generation_config.json / config.json
  int bos_token_id = -1;

  int q_dim() const { return heads * head_dim; }
  const RopeSpec& rope_of_layer(int layer) const {
    return local_rope_on_windowed && window[static_cast<size_t>(layer)] > 0 ? local_rope : rope;
  }
  int kv_dim() const { return kv_heads * head_dim; }
};

}  // namespace attnlab
