// Fuzzes the decoder config.json readers (read_decoder_config: llama, mistral, qwen2, qwen3;
// read_gemma3_config: gemma3_text, with its local RoPE on the sliding layers). Only
// attnlab::Error may escape; a config it accepts must satisfy what decoder_forward relies on: positive
// sizes, heads a multiple of kv_heads, an even head_dim, every product of sizes the forward forms fitting
// an int, one window >= 0 per layer, and RoPE numbers (theta, factor, yarn's and llama3's parameters)
// for which the inverse frequencies and attention scaling the forward computes (model/rope.h) come out
// finite, at the lengths the dynamic scaling distinguishes.
#include <climits>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "attnlab/error.h"
#include "fuzz_util.h"
#include "model/decoder.h"
#include "model/families.h"
#include "model/rope.h"

namespace {

using attnlab::ModelSpec;
using attnlab::RopeSpec;

bool finite_positive(double x) { return std::isfinite(x) && x > 0; }

// The forward's RoPE numbers for a pass of `seq` positions (model/rope.h, what rope_tables multiplies
// the positions by): every inv_freq finite and >= 0, the cos/sin factor finite (0 or < 0 as transformers
// has them: the scores are multiplied by its square).
bool rope_is_finite(const ModelSpec& s, const RopeSpec& rope, int seq) {
  double scaling = 0;
  const std::vector<float> f = attnlab::rope_inverse_frequencies(s, rope, seq, scaling);
  if (f.size() != static_cast<size_t>(s.head_dim / 2)) return false;
  const float sc = static_cast<float>(scaling);
  if (!std::isfinite(sc)) return false;
  for (float x : f)
    if (!(std::isfinite(x) && x >= 0)) return false;
  return true;
}
bool rope_is_finite(const ModelSpec& s, int seq) {
  return rope_is_finite(s, s.rope, seq) && (!s.local_rope_on_windowed || rope_is_finite(s, s.local_rope, seq));
}

void check(const ModelSpec& s) {
  ATTNLAB_FUZZ_CHECK((s.family == "llama" && attnlab::is_decoder_model_type(s.model_type)) ||
                     (s.family == "gemma3" && s.model_type == "gemma3_text"));
  ATTNLAB_FUZZ_CHECK(s.layers > 0 && s.hidden > 0 && s.intermediate > 0 && s.vocab_size > 0 && s.max_positions > 0);
  ATTNLAB_FUZZ_CHECK(s.heads > 0 && s.kv_heads > 0 && s.kv_heads <= s.heads && s.heads % s.kv_heads == 0);
  ATTNLAB_FUZZ_CHECK(s.head_dim > 0 && s.head_dim % 2 == 0);
  // What the forward and the tensor table form from the sizes: q_dim(), kv_dim(), the [q | k | v] row,
  // [gate | up], and the [vocab, hidden] / [layers + 1, seq, hidden] / [heads, seq, seq] element counts.
  const int64_t q = int64_t{s.heads} * s.head_dim, kv = int64_t{s.kv_heads} * s.head_dim;
  ATTNLAB_FUZZ_CHECK(q == s.q_dim() && kv == s.kv_dim());
  ATTNLAB_FUZZ_CHECK(q + 2 * kv <= INT_MAX && 2 * int64_t{s.intermediate} <= INT_MAX);
  ATTNLAB_FUZZ_CHECK(int64_t{s.vocab_size} * s.hidden <= (int64_t{1} << 48));
  ATTNLAB_FUZZ_CHECK(int64_t{s.layers + 1} * s.hidden <= INT_MAX && int64_t{s.layers} * s.heads <= INT_MAX);
  ATTNLAB_FUZZ_CHECK(s.window.size() == static_cast<size_t>(s.layers));
  for (int w : s.window) ATTNLAB_FUZZ_CHECK(w >= 0);
  if (s.model_type == "llama") ATTNLAB_FUZZ_CHECK(s.window == std::vector<int>(s.window.size(), 0));
  if (s.model_type == "mistral") ATTNLAB_FUZZ_CHECK(s.window == std::vector<int>(s.window.size(), s.window[0]));
  const bool gemma3 = s.family == "gemma3";
  ATTNLAB_FUZZ_CHECK(s.norm == attnlab::NormKind::kRmsNorm && s.pre_norm && s.gated_ffn && s.causal &&
                     s.positions == attnlab::Positions::kRope);
  ATTNLAB_FUZZ_CHECK(s.activation == (gemma3 ? attnlab::FfnActivation::kGeluTanh : attnlab::FfnActivation::kSilu));
  // Gemma 3: (1 + w) norms on both sides of each sublayer, embeddings times sqrt(hidden) (finite, > 0).
  ATTNLAB_FUZZ_CHECK(s.sandwich_norm == gemma3 && (s.norm_weight_offset == 1.0f) == gemma3);
  ATTNLAB_FUZZ_CHECK(!gemma3 || (std::isfinite(s.embed_scale) && s.embed_scale > 0 && s.local_rope_on_windowed));
  ATTNLAB_FUZZ_CHECK(finite_positive(s.norm_eps) && s.norm_eps < 1 && static_cast<float>(s.norm_eps) > 0);
  ATTNLAB_FUZZ_CHECK(s.qk_norm == (s.model_type == "qwen3" || gemma3));
  if (gemma3) {
    const RopeSpec& l = s.local_rope;
    ATTNLAB_FUZZ_CHECK(finite_positive(l.theta) && finite_positive(l.factor));
  }
  if (s.model_type == "qwen2") ATTNLAB_FUZZ_CHECK(s.qkv_bias && !s.o_bias && !s.mlp_bias);
  if (s.model_type == "mistral") ATTNLAB_FUZZ_CHECK(!s.qkv_bias && !s.o_bias && !s.mlp_bias);
  for (int id : s.eos_token_ids) ATTNLAB_FUZZ_CHECK(id >= 0);
  ATTNLAB_FUZZ_CHECK(s.bos_token_id >= -1);

  const RopeSpec& r = s.rope;
  ATTNLAB_FUZZ_CHECK(finite_positive(r.theta) && finite_positive(r.factor));
  if (r.type != "default" && r.type != "linear") ATTNLAB_FUZZ_CHECK(r.factor >= 1);
  if (r.type == "yarn" || r.type == "llama3") ATTNLAB_FUZZ_CHECK(r.original_max_position_embeddings > 0);
  if (r.type == "dynamic") ATTNLAB_FUZZ_CHECK(s.head_dim > 2);  // dim / (dim - 2)
  if (r.type == "llama3") ATTNLAB_FUZZ_CHECK(r.low_freq_factor > 0 && r.high_freq_factor > r.low_freq_factor);
  if (r.type == "yarn") ATTNLAB_FUZZ_CHECK(std::isfinite(r.beta_fast) && std::isfinite(r.beta_slow));
  // The lengths dynamic scaling tells apart (the rest do not depend on the length): within
  // max_position_embeddings, just past it, and the longest pass the forward's 8 GiB limit allows.
  for (int64_t seq : {int64_t{1}, int64_t{s.max_positions}, int64_t{s.max_positions} + 1, int64_t{s.max_positions} + 46341})
    if (seq <= INT_MAX) ATTNLAB_FUZZ_CHECK(rope_is_finite(s, static_cast<int>(seq)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const attnlab::fuzz::ScratchDir dir;
  const auto path = dir.write("config.json", attnlab::fuzz::as_view(data, size));
  // The same bytes through both decoder families' readers (Llama's, Gemma 3's).
  try {
    check(attnlab::read_decoder_config(path));
  } catch (const attnlab::Error&) {
  }
  try {
    check(attnlab::read_gemma3_config(path));
  } catch (const attnlab::Error&) {
  }
  return 0;
}
