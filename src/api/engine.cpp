// The public engine (include/attnlab/engine.h) over the model, tokenizer and locator layers.
#include "attnlab/engine.h"

#include <algorithm>
#include <optional>

#include "attnlab/error.h"
#include "core/cpu.h"
#include "api/engine_access.h"
#include "io/model_locator.h"
#include "model/bert.h"
#include "ops/thread_pool.h"
#include "text/bert_tokenizer.h"

namespace attnlab {

struct Engine::Impl {
  ModelInfo info;
  BertTokenizer tokenizer;
  std::optional<BertModel> model;
  int threads = 0;
};

namespace {

void check_text_size(std::string_view text, const char* what) {
  if (text.size() > kMaxTextBytes)
    throw Error(std::string(what) + " is more than " + std::to_string(kMaxTextBytes) +
                    " bytes; attnlab reads at most 16 MiB of text",
                kExitInput);
}

}  // namespace

Engine Engine::open(const std::string& model, const EngineOptions& options) {
  auto impl = std::make_shared<Impl>();
  const LocatedModel where = locate_model(model, options.on_download_progress);
  const auto load = [&] {
    impl->tokenizer = BertTokenizer::from_directory(where.dir);
    ModelInfo& info = impl->info;
    info.name = where.name;
    info.dir = where.dir;
    info.notice = where.notice;
    info.precision = options.precision;
    impl->threads = options.threads;
    if (!options.tokenizer_only) {
      impl->model = load_bert_model(where.dir, LoadOptions{options.precision == Precision::kBFloat16});
      const BertConfig& c = impl->model->config;
      info.num_layers = c.num_hidden_layers;
      info.num_heads = c.num_attention_heads;
      info.hidden = c.hidden_size;
      info.head_dim = c.head_dim();
      info.max_tokens = c.max_position_embeddings;
      info.vocab_size = c.vocab_size;
      info.has_pooler = impl->model->weights.has_pooler;
    } else {
      info.max_tokens = 512;  // without config.json's limit, BERT's usual one
      info.vocab_size = impl->tokenizer.vocab_size();
    }
  };
  try {
    load();
  } catch (const Error& e) {
    // A Hub download is verified when fetched; a file broken since (disk, another program) needs a fresh copy.
    if (where.hub_folder.empty() || e.exit_code() != kExitInput) throw;
    throw Error(std::string(e.what()) + "; if the cached download is corrupt, delete " +
                    printable_line(where.hub_folder.string()) + " and run again to download it anew",
                kExitInput);
  }
  return Engine(std::move(impl));
}

const ModelInfo& Engine::info() const { return impl_->info; }

Encoding Engine::encode(std::string_view text, std::optional<std::string_view> pair,
                        const TruncationOptions& truncation) const {
  check_text_size(text, "the text");
  if (pair) check_text_size(*pair, "the pair text");
  const int limit = truncation.max_length > 0 ? truncation.max_length : impl_->info.max_tokens;
  if (truncation.truncate) return impl_->tokenizer.encode(text, pair, limit);
  Encoding enc = impl_->tokenizer.encode(text, pair, 0);
  if (static_cast<int>(enc.size()) > limit) throw InputTooLong(static_cast<int>(enc.size()), limit);
  return enc;
}

std::vector<Result> Engine::run_batch(std::span<const Encoding> inputs, const RunOptions& options) const {
  if (!impl_->model) throw Error(impl_->info.name + ": opened for tokenizing only (tokenizer_only); cannot run it");
  const BertModel& m = *impl_->model;
  const ModelInfo& info = impl_->info;
  std::vector<BertInput> batch(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    batch[i].input_ids = inputs[i].input_ids;
    batch[i].token_type_ids = inputs[i].token_type_ids;
  }
  ForwardOptions f;
  f.keep_attentions = options.attentions;
  f.hidden_states = options.hidden_states;
  f.qkv = options.qkv;
  f.last_hidden = options.last_hidden;
  std::vector<LayerView> views;
  if (options.on_layer)
    f.on_layer = [&](int layer, const std::vector<float*>& probs, const std::vector<const float*>& hidden) {
      views.resize(inputs.size());
      for (size_t s = 0; s < inputs.size(); ++s) {
        const size_t n = inputs[s].size();
        views[s] = {static_cast<int>(s), layer, {probs[s], {size_t(info.num_heads), n, n}},
                    {hidden[s], {n, size_t(info.hidden)}}};
      }
      options.on_layer(views);
    };
  ScopedThreads threads(impl_->threads);
  std::vector<BertOutput> outs = bert_forward_batch(m, batch, f);
  std::vector<Result> results(outs.size());
  for (size_t i = 0; i < outs.size(); ++i) {
    BertOutput& o = outs[i];
    Result& r = results[i];
    r.encoding = inputs[i];
    r.num_layers = info.num_layers;
    r.num_heads = info.num_heads;
    r.hidden = info.hidden;
    r.head_dim = info.head_dim;
    if (options.attentions) {
      auto block = std::make_shared<FloatBuffer>(std::move(o.attentions));
      r.attentions = AttentionTensor(std::shared_ptr<const float>(block, block->data()), o.num_layers, o.num_heads,
                                     o.seq_len);
    }
    r.last_hidden_state = std::move(o.last_hidden_state);
    r.pooler_output = std::move(o.pooler_output);
    r.hidden_states = std::move(o.hidden_states);
    r.query = std::move(o.query);
    r.key = std::move(o.key);
    r.value = std::move(o.value);
  }
  return results;
}

Result Engine::run(const Encoding& input, const RunOptions& options) const {
  return std::move(run_batch(std::span<const Encoding>(&input, 1), options)[0]);
}

const BertModel& EngineAccess::model(const Engine& engine) {
  if (!engine.impl_->model)
    throw Error(engine.impl_->info.name + ": opened for tokenizing only (tokenizer_only); cannot run it");
  return *engine.impl_->model;
}

int EngineAccess::threads(const Engine& engine) { return engine.impl_->threads; }

std::vector<float> select_heads(const ArrayView<4>& tensor, std::span<const int> layers, std::span<const int> heads) {
  const size_t num_heads = tensor.shape[1], block = tensor.shape[2] * tensor.shape[3];
  const size_t chosen_heads = heads.empty() ? num_heads : heads.size();
  std::vector<float> out(layers.size() * chosen_heads * block);
  float* to = out.data();
  for (int l : layers)
    for (size_t i = 0; i < chosen_heads; ++i, to += block) {
      const size_t h = heads.empty() ? i : static_cast<size_t>(heads[i]);
      std::copy_n(tensor.data + (static_cast<size_t>(l) * num_heads + h) * block, block, to);
    }
  return out;
}

std::string isa_name() { return attnlab::isa_name(active_isa()); }

void set_default_threads(int threads) { set_num_threads(threads); }

}  // namespace attnlab
