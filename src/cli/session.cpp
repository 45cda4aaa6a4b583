// Model-command glue (see session.h).
#include "cli/session.h"

#include <cstdio>

#include "attnlab/error.h"

namespace attnlab::cli {

Session open_session(const std::string& model_arg, bool load_weights, const LoadOptions& options) {
  LocatedModel where = locate_model(model_arg);
  if (!where.notice.empty()) std::fprintf(stderr, "attnlab: %s\n", where.notice.c_str());
  Session s{where, BertTokenizer::from_directory(where.dir), std::nullopt};
  if (load_weights) s.model = load_bert_model(where.dir, options);
  return s;
}

namespace {

// Text beyond this is refused rather than tokenized: a BERT sees at most a few thousand tokens of
// it, and tokenizing holds ~30 bytes per input byte at its peak.
constexpr size_t kMaxTextBytes = size_t{16} << 20;

void check_text_size(size_t bytes, const char* where) {
  if (bytes > kMaxTextBytes)
    throw Error(std::string(where) + " is more than " + std::to_string(kMaxTextBytes) +
                    " bytes; attnlab reads at most 16 MiB of text",
                kExitInput);
}

}  // namespace

std::string read_text_argument(const std::string& value) {
  if (value != "-") {
    check_text_size(value.size(), "the text argument");
    return value;
  }
  std::string text;
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, stdin)) > 0) {
    text.append(buf, n);
    check_text_size(text.size(), "the text on standard input");
  }
  if (std::ferror(stdin)) throw Error("cannot read text from standard input", kExitIo);
  return text;
}

Encoding encode_text(const Session& s, const std::string& text, const std::optional<std::string>& pair,
                     bool no_truncate) {
  const int limit = s.model ? s.model->config.max_position_embeddings : 512;
  std::optional<std::string_view> pair_view;
  if (pair) pair_view = *pair;
  Encoding enc;
  if (no_truncate) {
    enc = s.tokenizer.encode(text, pair_view, 0);
    if (static_cast<int>(enc.input_ids.size()) > limit)
      throw Error("input is " + std::to_string(enc.input_ids.size()) + " tokens, the model accepts at most " +
                      std::to_string(limit) + " (max_position_embeddings); drop --no-truncate to cut it",
                  kExitInput);
  } else {
    enc = s.tokenizer.encode(text, pair_view, limit);
    if (enc.truncated)
      std::fprintf(stderr,
                   "attnlab: warning: input is longer than %d tokens (max_position_embeddings); truncated "
                   "as transformers' truncation=True does. Use --no-truncate to refuse instead.\n",
                   limit);
  }
  return enc;
}

}  // namespace attnlab::cli
