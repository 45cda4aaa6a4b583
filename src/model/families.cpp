// The family dispatch (see families.h): model_type -> config reader, family -> name table.
#include "model/families.h"

#include <nlohmann/json.hpp>

#include "attnlab/error.h"
#include "io/text_file.h"

namespace attnlab {

const char* supported_model_types() { return "bert, llama, mistral, qwen2, qwen3, gemma3_text"; }

ModelSpec read_model_config(const std::filesystem::path& file) {
  // Peek at model_type; anything unreadable is left to BERT's reader, whose messages name the fault.
  std::string model_type = "bert";
  try {
    const nlohmann::json j = nlohmann::json::parse(read_bounded_file(file, uint64_t{1} << 20, "model configuration"));
    if (j.is_object() && j.contains("model_type") && j["model_type"].is_string())
      model_type = j["model_type"].get<std::string>();
  } catch (const nlohmann::json::exception&) {
  } catch (const Error&) {
  }
  if (is_decoder_model_type(model_type)) {
    ModelSpec s = read_decoder_config(file);
    read_generation_config(file.parent_path(), s);
    return s;
  }
  if (model_type == "gemma3_text" || model_type == "gemma3") {
    ModelSpec s = read_gemma3_config(file);
    read_generation_config(file.parent_path(), s);
    return s;
  }
  if (model_type != "bert")
    throw Error(file.string() + ": model_type '" + model_type + "' is not supported; attnlab reads " +
                    supported_model_types(),
                kExitInput);
  return bert_spec(read_bert_config(file));
}

std::vector<TensorSlot> tensor_table(const ModelSpec& spec, ModelWeights& weights) {
  if (spec.family == "bert") return bert_tensor_table(spec, weights);
  if (spec.family == "llama" || spec.family == "gemma3") return llama_tensor_table(spec, weights);
  throw Error("no tensor table for the family '" + spec.family + "'");
}

std::vector<std::string> checkpoint_names(const ModelSpec& spec, const std::string& name) {
  if (spec.family == "bert") return bert_checkpoint_names(name);
  return {name};
}

}  // namespace attnlab
