// The fields of transformers' tokenizer_config.json that change how a tokenizer.json model encodes
// (special tokens, the length limit, add_bos_token / add_eos_token, the chat template).
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace attnlab {

// Each field is the file's value, or nullopt when the key is absent or null.
//
// add_bos_token / add_eos_token, and what the caller must do with them. Both rewrite the post-processor
// with transformers' update_post_processor (tokenization_utils_tokenizers.py; LlamaTokenizerFast and
// GemmaTokenizerFast in 4.x):
//     single = "<bos>:0 $A:0 <eos>:0"   pair = single + " <bos>:1 $B:1 <eos>:1"
// as a TemplateProcessing, each <bos> only if add_bos_token and each <eos> only if add_eos_token, with
// the ids of bos_token / eos_token (a flag whose token is missing is turned off; 4.x raised instead).
// When that happens depends on the transformers version:
//  - 4.x: LlamaTokenizerFast and GemmaTokenizerFast call it in __init__, with the config's flags or the
//    class defaults add_bos_token = true, add_eos_token = false, replacing tokenizer.json's
//    post_processor. (PreTrainedTokenizerFast, the tokenizer_class of e.g. Llama 3, has no such step as
//    far as we know; no 4.x source was at hand to check.)
//  - 5.x (the reference attnlab's tools use, 5.25): from_pretrained drops both keys from the config
//    whenever a tokenizer.json exists, so tokenizer.json's post_processor stands (transformers then
//    reports add_bos_token false); update_post_processor runs only when that post_processor is null
//    (both flags then false: a template that adds nothing) or when a class calls it itself
//    (GPTNeoXTokenizer, default add_bos_token false).
// So: with a tokenizer.json, follow its post_processor (transformers 5); to reproduce transformers 4.x for
// a Llama/Gemma tokenizer_class, build that template from these flags (defaults true / false) instead.
struct TokenizerConfig {
  std::optional<bool> add_bos_token, add_eos_token;
  // Strings, or the "content" of an AddedToken dict ({"__type": "AddedToken", "content": "<s>", ...}).
  std::optional<std::string> bos_token, eos_token, pad_token, unk_token;
  // nullopt also for transformers' "no limit": VERY_LARGE_INTEGER (int(1e30), which JSON holds as
  // 1000000000000000019884624838656) or anything above LARGE_INTEGER (1e20), where transformers stops
  // truncating to model_max_length. The legacy key max_len is read when model_max_length is absent.
  std::optional<long long> model_max_length;
  std::optional<bool> clean_up_tokenization_spaces;
  // A string, or one entry of a list of {"name", "template"}: "default" when there is one (what
  // transformers' get_chat_template() picks), else the first (where get_chat_template() refuses to
  // choose without a name). A chat_template.jinja beside the config takes priority in transformers;
  // that is the caller's to read.
  std::optional<std::string> chat_template;
  std::string chat_template_name;  // the list entry kept; empty for a plain string or none
};

// Reads `file`. A file that does not exist gives an empty config (the caller decides whether that is
// fine). Unreadable or not JSON, or a key of the wrong type: Error (kExitInput) naming the file and key,
// e.g. "tokenizer_config.json: add_bos_token: expected true, false or null, got a string".
TokenizerConfig read_tokenizer_config(const std::filesystem::path& file);

}  // namespace attnlab
