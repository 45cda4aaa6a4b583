// The checkpoint files and the loader that walks a family's name table (see weights.h).
#include "model/weights.h"

#include <map>

#include "attnlab/error.h"
#include "model/json_file.h"
#include "text/json_fields.h"

namespace attnlab {

const TensorView* CheckpointFiles::find(const std::string& name, const SafetensorsFile** file) const {
  for (const auto& f : files)
    if (const TensorView* v = f->find(name)) {
      *file = f.get();
      return v;
    }
  return nullptr;
}

CheckpointFiles open_checkpoint(const std::filesystem::path& dir) {
  CheckpointFiles c;
  const auto single = dir / "model.safetensors";
  const auto index = dir / "model.safetensors.index.json";
  if (std::filesystem::exists(single)) {
    c.files.push_back(std::make_unique<SafetensorsFile>(single));
    c.description = single;
    return c;
  }
  if (!std::filesystem::exists(index)) {
    std::string hint;
    if (std::filesystem::exists(dir / "pytorch_model.bin"))
      hint = " (this directory has only pytorch_model.bin; convert it with transformers: "
             "AutoModel.from_pretrained(dir).save_pretrained(dir, safe_serialization=True))";
    throw Error(single.string() + ": missing model weights (no model.safetensors or model.safetensors.index.json)" +
                    hint,
                kExitInput);
  }
  c.description = index;
  using json_fields::Where;
  const nlohmann::json j = read_json_object(index, uint64_t{64} << 20);
  const Where w{index.string(), ""};
  const nlohmann::json& map = json_fields::require(j, "weight_map", w);
  if (!map.is_object()) w.key("weight_map").fail("expected an object of tensor: file");
  std::map<std::string, const SafetensorsFile*> shards;
  for (auto it = map.begin(); it != map.end(); ++it) {
    const std::string& file = json_fields::as_string(it.value(), w.key("weight_map").key(it.key()));
    const std::filesystem::path rel(file);
    if (file.empty() || rel.is_absolute() || rel.has_parent_path() || file == "." || file == "..")
      w.key("weight_map").key(it.key()).fail("shard '" + file + "' is not a file name in the model's folder");
    if (!shards.count(file)) {
      const auto path = dir / rel;
      if (!std::filesystem::is_regular_file(path)) w.key("weight_map").key(it.key()).fail("shard '" + file + "' is missing");
      c.files.push_back(std::make_unique<SafetensorsFile>(path));
      shards[file] = c.files.back().get();
    }
    if (!shards[file]->find(it.key()))
      w.key("weight_map").key(it.key()).fail("shard '" + file + "' does not hold this tensor");
  }
  // A tensor stored in two shards is ambiguous: refuse it rather than pick one.
  std::map<std::string, std::string> seen;
  for (const auto& [file, shard] : shards)
    for (const auto& [name, view] : shard->tensors()) {
      auto [it, fresh] = seen.emplace(name, file);
      if (!fresh)
        throw Error(index.string() + ": tensor '" + name + "' is in two shards, '" + it->second + "' and '" + file + "'",
                    kExitInput);
    }
  return c;
}

std::string shape_text(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out.append(i ? ", " : "").append(std::to_string(s[i]));
  return out + "]";
}

void load_tensors(const CheckpointFiles& checkpoint, std::vector<TensorSlot>& table,
                  const std::function<std::vector<std::string>(const std::string&)>& aliases) {
  for (TensorSlot& slot : table) {
    const TensorView* view = nullptr;
    const SafetensorsFile* file = nullptr;
    const std::vector<std::string> names = aliases(slot.name);
    for (const auto& n : names)
      if ((view = checkpoint.find(n, &file))) break;
    if (!view) {
      if (!slot.required) continue;
      std::string also;
      if (names.size() > 1) also = " (also looked for " + names.back() + " and the other spellings)";
      throw Error(checkpoint.description.string() + ": missing tensor '" + slot.name + "'" + also, kExitInput);
    }
    if (view->shape != slot.shape)
      throw Error(file->path().string() + ": tensor '" + view->name + "' has shape " + shape_text(view->shape) +
                      ", config says " + shape_text(slot.shape),
                  kExitInput);
    Tensor& t = *slot.tensor;
    t.shape = slot.shape;
    const bool aligned = reinterpret_cast<uintptr_t>(view->data) % alignof(float) == 0;
    if (view->dtype == DType::kF32 && aligned) {
      t.data = reinterpret_cast<const float*>(view->data);  // zero copy from the map
    } else {
      t.owned.resize(static_cast<size_t>(view->numel()));
      convert_to_f32(*view, file->path(), t.owned.data());
      t.data = t.owned.data();
    }
  }
}

}  // namespace attnlab
