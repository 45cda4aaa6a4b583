// Fuzzes the GGUF reader: any bytes as model.gguf either load (and then every metadata value reads
// through its getter, every tensor dequantizes or is refused by name, and the model spec and the
// tokenizer are read from the metadata or refused) or throw attnlab::Error.
// Anything else (a crash, a sanitizer report, an allocation beyond the limit) is a finding.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "attnlab/error.h"
#include "fuzz_util.h"
#include "io/gguf.h"
#include "model/gguf_model.h"
#include "text/gguf_tokenizer.h"
#include "text/tokenizer.h"

namespace {

// Every value of the tree, elements of arrays included, touched byte for byte.
unsigned touch(const attnlab::GgufValue& v) {
  unsigned sum = 0;
  if (v.type == attnlab::GgufValueType::kString)
    for (char c : v.str) sum += static_cast<unsigned char>(c);
  for (const auto& s : v.strings)
    for (char c : s) sum += static_cast<unsigned char>(c);
  for (const auto& a : v.arrays) sum += touch(a);
  return sum;
}

template <class Fn>
void refused_by_name(Fn&& fn) {
  try {
    fn();
  } catch (const attnlab::Error&) {
    // a value of another type, or one that does not fit: a precise refusal
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const attnlab::fuzz::ScratchDir dir;
  const auto path = dir.write("model.gguf", attnlab::fuzz::as_view(data, size));
  try {
    const attnlab::GgufFile file(path);
    volatile unsigned sink = 0;
    for (const auto& kv : file.metadata()) {
      ATTNLAB_FUZZ_CHECK(file.find_key(kv.key) == &kv);
      sink = sink + touch(kv.value);
      refused_by_name([&] { sink = sink + file.get_u32(kv.key); });
      refused_by_name([&] { sink = sink + static_cast<unsigned>(file.get_i64(kv.key)); });
      refused_by_name([&] { sink = sink + static_cast<unsigned>(file.get_u64(kv.key)); });
      refused_by_name([&] { sink = sink + static_cast<unsigned>(file.get_f32(kv.key) != 0); });
      refused_by_name([&] { sink = sink + static_cast<unsigned>(file.get_f64(kv.key) != 0); });
      refused_by_name([&] { sink = sink + file.get_bool(kv.key); });
      refused_by_name([&] { sink = sink + static_cast<unsigned>(file.get_string(kv.key).size()); });
      refused_by_name([&] { sink = sink + static_cast<unsigned>(file.get_string_array(kv.key).size()); });
      refused_by_name([&] { sink = sink + static_cast<unsigned>(file.get_f32_array(kv.key).size()); });
      refused_by_name([&] { sink = sink + static_cast<unsigned>(file.get_i32_array(kv.key).size()); });
    }
    std::vector<float> out;
    for (const auto& t : file.tensors()) {
      ATTNLAB_FUZZ_CHECK(file.find(t.name) == &t);
      const auto& info = attnlab::ggml_type_info(t.type);
      ATTNLAB_FUZZ_CHECK(t.numel > 0 && t.numel % info.block_size == 0);
      ATTNLAB_FUZZ_CHECK(t.nbytes == static_cast<size_t>(t.numel / info.block_size) * info.block_bytes);
      ATTNLAB_FUZZ_CHECK(file.data_offset() + t.offset + t.nbytes <= file.file_size());
      ATTNLAB_FUZZ_CHECK(t.offset % file.alignment() == 0);
      if (t.numel > (int64_t{1} << 22)) continue;  // bounded by the file anyway; keeps each run fast
      out.assign(static_cast<size_t>(t.numel), 0.0f);
      refused_by_name([&] { file.dequantize(t, out.data()); });  // types attnlab does not read are refused
    }
    // The readers above it: the model spec from <arch>.* metadata, and the tokenizer transformers would
    // build from tokenizer.ggml.* (which must then load as a tokenizer.json and encode).
    refused_by_name([&] {
      const attnlab::ModelSpec spec = attnlab::read_gguf_spec(file);
      ATTNLAB_FUZZ_CHECK(spec.layers > 0 && spec.heads % spec.kv_heads == 0 && spec.head_dim % 2 == 0);
    });
    refused_by_name([&] {
      const attnlab::GgufTokenizer g = attnlab::gguf_tokenizer(file);
      const attnlab::Tokenizer tok = attnlab::Tokenizer::from_json(g.document, "fuzz");
      sink = sink + static_cast<unsigned>(tok.encode("Hello world", std::nullopt, true, attnlab::Tokenizer::OffsetUnit::kChars).ids.size());
    });
  } catch (const attnlab::Error&) {
    // a precise refusal is the expected outcome for most inputs
  }
  return 0;
}
