// .safetensors: u64 little-endian header length, a JSON header naming each tensor's dtype, shape and
// [begin, end) byte offsets into the data that follows, padded with spaces to a multiple of 8 bytes.
// The header comes first, so arrays are gathered and written at finish(), or declared in advance
// (their places reserved after the header); 8-byte dtypes go first (stable otherwise) so every tensor
// starts aligned to its element size, as the Python library does.
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
    if (declared_) return;  // every byte already in place
    std::stable_sort(entries_.begin(), entries_.end(), [](const ArrayEntry& a, const ArrayEntry& b) {
      return dtype_info(a.dtype).bytes > dtype_info(b.dtype).bytes;
    });
    file_.write(header(entries_));
    for (const ArrayEntry& e : entries_) file_.write(e.bytes.data(), e.bytes.size());
  }

  // The same layout, data to come: the header now, each entry's place after it in the same order.
  std::vector<std::uint64_t> declare(const std::vector<ArrayEntry>& entries) override {
    std::vector<size_t> order(entries.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return dtype_info(entries[a].dtype).bytes > dtype_info(entries[b].dtype).bytes;
    });
    std::vector<ArrayEntry> sorted;
    for (size_t i : order) sorted.push_back(entries[i]);
    const std::string head = header(sorted);
    std::vector<std::uint64_t> at(entries.size());
    std::uint64_t offset = head.size();
    for (size_t i : order) {
      at[i] = offset;
      offset += data_bytes(entries[i]);
    }
    file_.write(head);
    file_.reserve(offset);
    declared_ = true;
    return at;
  }

 private:
  static std::uint64_t data_bytes(const ArrayEntry& e) {
    std::uint64_t n = dtype_info(e.dtype).bytes;
    for (std::int64_t d : e.shape) n *= static_cast<std::uint64_t>(d);
    return n;
  }

  // The length field, the JSON header (entries in this order, back to back) and its padding.
  static std::string header(const std::vector<ArrayEntry>& entries) {
    std::string header = "{";
    std::uint64_t offset = 0;
    for (const ArrayEntry& e : entries) {
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
      offset += data_bytes(e);
      header += std::to_string(offset) + "]}";
    }
    header += '}';
    header.append((8 - header.size() % 8) % 8, ' ');
    std::string length(8, '\0');
    for (std::size_t i = 0; i < 8; ++i) length[i] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
    return length + header;
  }

  OutputFile& file_;
  std::vector<ArrayEntry> entries_;
  bool declared_ = false;
};

}  // namespace

std::unique_ptr<ArrayFormatWriter> make_safetensors_writer(OutputFile& file) {
  return std::make_unique<SafetensorsWriter>(file);
}

}  // namespace attnlab
