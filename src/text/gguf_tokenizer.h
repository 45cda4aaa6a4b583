// The tokenizer a GGUF file describes (tokenizer.ggml.* metadata), built as transformers builds it
// from the same file (integrations/gguf/gguf_tokenizer_mapping.py, transformers 5.25): the result is a
// tokenizer.json document for text/tokenizer.h, so encoding is the tokenizer.json pipeline's, plus the
// tokenizer_config values (special tokens, add_bos_token, chat template) the file states.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "io/gguf.h"
#include "text/tokenizer_config.h"

namespace attnlab {

struct GgufTokenizer {
  nlohmann::json document;  // a tokenizers 1.0 tokenizer.json document
  TokenizerConfig config;      // bos/eos/unk/pad tokens by content, add_bos/eos_token, chat_template
};

// tokenizer.ggml.model "gpt2" (byte-level BPE; the split regex chosen by tokenizer.ggml.pre as
// transformers maps it, GPT-2's own otherwise), and "llama": SentencePiece BPE with byte fallback,
// LlamaTokenizer's (Metaspace) or, for general.architecture gemma, gemma2, gemma3, GemmaTokenizer's;
// merges recovered from the scores (Gemma: from the vocabulary's order) when the file has none.
// Others (phi3's "llama" too), and strings that are not UTF-8: Error (kExitInput) naming the file and
// the key.
GgufTokenizer gguf_tokenizer(const GgufFile& file);

}  // namespace attnlab
