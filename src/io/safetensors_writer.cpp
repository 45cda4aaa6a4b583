// .safetensors: u64 little-endian header length, a JSON header naming each tensor's dtype, shape and
// [begin, end) byte offsets into the data that follows, padded with spaces to a multiple of 8 bytes.
// The header comes first, so arrays are gathered and written at finish(); 8-byte dtypes go first
// (stable otherwise) so every tensor starts aligned to its element size, as the Python library does.
#include <algorithm>
#include <string>
#include <vector>

#include "attnlab/json_writer.h"
#include "io/array_writers.h"

namespace attnlab {
namespace {

class SafetensorsWriter : public ArrayFormatWriter {
 public:
  explicit SafetensorsWriter(OutputFile& file) : file_(file) {}

  void add(const ArrayEntry& e) override { entries_.push_back(e); }

  void finish() override {
    std::stable_sort(entries_.begin(), entries_.end(), [](const ArrayEntry& a, const ArrayEntry& b) {
      return dtype_info(a.dtype).bytes > dtype_info(b.dtype).bytes;
    });
    std::string header = "{";
    std::uint64_t offset = 0;
    for (const ArrayEntry& e : entries_) {
      if (header.size() > 1) header += ',';
      append_json_string(header, e.name);
      header += ":{\"dtype\":\"";
      header += dtype_info(e.dtype).safetensors;
      header += "\",\"shape\":[";
      for (std::size_t i = 0; i < e.shape.size(); ++i) {
        if (i) header += ',';
        header += std::to_string(e.shape[i]);
      }
      header += "],\"data_offsets\":[" + std::to_string(offset) + ",";
      offset += e.bytes.size();
      header += std::to_string(offset) + "]}";
    }
    header += '}';
    header.append((8 - header.size() % 8) % 8, ' ');
    std::string length(8, '\0');
    for (std::size_t i = 0; i < 8; ++i) length[i] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
    file_.write(length + header);
    for (const ArrayEntry& e : entries_) file_.write(e.bytes.data(), e.bytes.size());
  }

 private:
  OutputFile& file_;
  std::vector<ArrayEntry> entries_;
};

}  // namespace

std::unique_ptr<ArrayFormatWriter> make_safetensors_writer(OutputFile& file) {
  return std::make_unique<SafetensorsWriter>(file);
}

}  // namespace attnlab
