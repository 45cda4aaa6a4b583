// The public engine (include/attnlab/engine.h) over the model, tokenizer and locator layers.
#include "attnlab/engine.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "api/engine_access.h"
#include "api/model_tokenizer.h"
#include "attnlab/error.h"
#include "core/cpu.h"
#include "io/gguf.h"
#include "io/model_locator.h"
#include "model/families.h"
#include "model/gguf_model.h"
#include "model/transformer.h"
#include "core/thread_pool.h"

namespace attnlab {

struct Engine::Impl {
  ModelInfo info;
  ModelTokenizer tokenizer;
  std::optional<TransformerModel> model;
  int threads = 0;
};

namespace {

void check_text_size(std::string_view text, const char* what) {
  if (text.size() > kMaxTextBytes)
    throw Error(std::string(what) + " is more than " + std::to_string(kMaxTextBytes) +
                    " bytes; attnlab reads at most 16 MiB of text",
                kExitInput);
}

void describe(const ModelSpec& s, ModelInfo& info) {
  info.family = s.family;
  info.model_type = s.model_type;
  info.num_layers = s.layers;
  info.num_heads = s.heads;
  info.num_kv_heads = s.kv_heads;
  info.hidden = s.hidden;
  info.head_dim = s.head_dim;
  info.max_tokens = s.max_positions;
  info.vocab_size = s.vocab_size;
  info.causal = s.causal;
  info.pre_norm = s.pre_norm;
  info.has_lm_head = s.lm_head;
  info.windows = s.window;
}

}  // namespace

Engine Engine::open(const std::string& model, const EngineOptions& options) {
  auto impl = std::make_shared<Impl>();
  const LocatedModel where = locate_model(model, options.on_download_progress);
  const auto load = [&] {
    ModelInfo& info = impl->info;
    info.name = where.name;
    info.dir = where.dir;
    info.notice = where.notice;
    info.precision = options.precision;
    impl->threads = options.threads;
    if (!options.tokenizer_only) {
      impl->model = load_model(where.dir, LoadOptions{options.precision == Precision::kBFloat16, options.dequantize});
      describe(impl->model->spec, info);
      info.has_pooler = impl->model->weights.has_pooler;
      impl->tokenizer = ModelTokenizer::open(where.dir, info.family);
      return;
    }
    // Tokenizing only: the config says which tokenizer, when there is one; a BERT vocabulary alone is BERT.
    if (is_gguf_file(where.dir)) {
      describe(read_gguf_spec(GgufFile(where.dir)), info);
    } else if (std::filesystem::exists(where.dir / "config.json")) {
      describe(read_model_config(where.dir / "config.json"), info);
    } else {
      info.family = info.model_type = "bert";
      info.max_tokens = 512;  // without config.json's limit, BERT's usual one
    }
    impl->tokenizer = ModelTokenizer::open(where.dir, info.family);
    if (impl->tokenizer.vocab_size() > 0) info.vocab_size = impl->tokenizer.vocab_size();
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

Encoding Engine::encode_ids(std::span<const int> ids) const {
  const ModelInfo& info = impl_->info;
  if (ids.empty()) throw Error("no token ids: at least one is needed", kExitInput);
  for (size_t i = 0; i < ids.size(); ++i)
    if (ids[i] < 0 || ids[i] >= info.vocab_size)
      throw Error("token id " + std::to_string(ids[i]) + " at position " + std::to_string(i) +
                      " is outside the vocabulary (vocab_size " + std::to_string(info.vocab_size) + ")",
                  kExitInput);
  if (static_cast<int>(ids.size()) > info.max_tokens) throw InputTooLong(static_cast<int>(ids.size()), info.max_tokens);
  return impl_->tokenizer.from_ids(ids);
}

std::vector<Engine::NextToken> Engine::top_next_tokens(const Result& result, int k) const {
  const std::span<const float> logits = result.last_logits();
  if (logits.empty() || k <= 0) return {};
  // torch.softmax in float32: exp(x - max) / sum.
  const float max = *std::max_element(logits.begin(), logits.end());
  double sum = 0;
  for (float x : logits) sum += std::exp(static_cast<double>(x - max));
  std::vector<int> order(logits.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  const size_t take = std::min(order.size(), static_cast<size_t>(k));
  std::partial_sort(order.begin(), order.begin() + static_cast<long>(take), order.end(), [&](int a, int b) {
    return logits[static_cast<size_t>(a)] > logits[static_cast<size_t>(b)] ||
           (logits[static_cast<size_t>(a)] == logits[static_cast<size_t>(b)] && a < b);
  });
  std::vector<NextToken> out;
  for (size_t i = 0; i < take; ++i) {
    const int id = order[i];
    const float logit = logits[static_cast<size_t>(id)];
    out.push_back({id, impl_->tokenizer.token(id), static_cast<float>(std::exp(static_cast<double>(logit - max)) / sum),
                   logit});
  }
  return out;
}

std::string Engine::decode(std::span<const int> ids) const { return impl_->tokenizer.decode(ids); }

std::vector<Result> Engine::run_batch(std::span<const Encoding> inputs, const RunOptions& options) const {
  const TransformerModel& m = EngineAccess::model(*this);
  ScopedThreads threads(impl_->threads);
  return forward_batch(m, inputs, options);
}

Result Engine::run(const Encoding& input, const RunOptions& options) const {
  return std::move(run_batch(std::span<const Encoding>(&input, 1), options)[0]);
}

const TransformerModel& EngineAccess::model(const Engine& engine) {
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
