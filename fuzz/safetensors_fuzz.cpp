// Fuzzes the safetensors reader: any bytes as model.safetensors either load (and every tensor's
// bytes can be read and converted) or throw attnlab::Error. Anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "attnlab/error.h"
#include "fuzz_util.h"
#include "io/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const attnlab::fuzz::ScratchDir dir;
  const auto path = dir.write("model.safetensors", attnlab::fuzz::as_view(data, size));
  try {
    const attnlab::SafetensorsFile file(path);
    std::vector<float> out;
    for (const auto& [name, t] : file.tensors()) {
      ATTNLAB_FUZZ_CHECK(t.nbytes == static_cast<size_t>(t.numel()) * attnlab::dtype_size(t.dtype));
      out.resize(static_cast<size_t>(t.numel()));
      try {
        attnlab::convert_to_f32(t, path, out.data());
      } catch (const attnlab::Error&) {
        // integer dtypes are refused by name
      }
    }
  } catch (const attnlab::Error&) {
    // a precise refusal is the expected outcome for most inputs
  }
  return 0;
}
