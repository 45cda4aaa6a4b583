// .npz as numpy.savez writes it: a ZIP archive of stored (uncompressed) "<name>.npy" members, each an
// npy v1.0 header padded to 64 bytes then the raw array. ZIP64 records where sizes or offsets reach
// 4 GiB (APPNOTE 4.5.3), as Python's zipfile reads them. Times are fixed (1980-01-01) so the same
// arrays give the same bytes.
#include <algorithm>
#include <array>
#include <cstring>
#include <string>
#include <vector>

#include "attnlab/error.h"
#include "io/array_writers.h"

namespace attnlab {
namespace {

void put16(std::string& s, std::uint32_t v) {
  s += static_cast<char>(v & 0xff);
  s += static_cast<char>((v >> 8) & 0xff);
}
void put32(std::string& s, std::uint32_t v) {
  put16(s, v & 0xffff);
  put16(s, v >> 16);
}
void put64(std::string& s, std::uint64_t v) {
  put32(s, static_cast<std::uint32_t>(v));
  put32(s, static_cast<std::uint32_t>(v >> 32));
}

// npy format 1.0: magic, version, header length, then a Python dict literal padded with spaces and
// ended by '\n' so the data starts at a multiple of 64 bytes (numpy's own alignment).
std::string npy_header(const ArrayEntry& e) {
  std::string dict = "{'descr': '";
  dict += dtype_info(e.dtype).numpy;
  dict += "', 'fortran_order': False, 'shape': (";
  for (std::size_t i = 0; i < e.shape.size(); ++i) {
    if (i) dict += ", ";
    dict += std::to_string(e.shape[i]);
  }
  dict += e.shape.size() == 1 ? ",), }" : "), }";
  const std::size_t unpadded = 10 + dict.size() + 1;
  dict.append((64 - unpadded % 64) % 64, ' ');
  dict += '\n';
  std::string h("\x93NUMPY\x01\x00", 8);
  put16(h, static_cast<std::uint32_t>(dict.size()));
  return h + dict;
}

constexpr std::uint32_t kDosTime = 0;                       // 00:00:00
constexpr std::uint32_t kDosDate = (0u << 9) | (1u << 5) | 1u;  // 1980-01-01
constexpr std::uint32_t kMadeByUnix = (3u << 8) | 45u;      // Unix, spec 4.5
constexpr std::uint32_t kFileMode = 0100644u;               // regular file, rw-r--r--

class NpzWriter : public ArrayFormatWriter {
 public:
  NpzWriter(OutputFile& file, std::uint64_t zip64_threshold) : file_(file), threshold_(zip64_threshold) {}

  // A whole array's CRC is known before its header goes out (taken over the kernel pool); a streamed
  // one's header carries a zero CRC that end() patches, its pieces' CRCs taken on the calling thread
  // alone, which runs beside a forward pass that must keep the pool.
  void add(const ArrayEntry& e) override {
    const std::string header = npy_header(e);
    write_local_header(e, header, crc32(e.bytes, crc32(as_bytes(header))));
    write_data(e.bytes, members_.back().crc);
  }

  void begin(const ArrayEntry& e) override {
    const std::string header = npy_header(e);
    write_local_header(e, header, 0);
    members_.back().crc = crc32(as_bytes(header));
  }

  void append(std::span<const std::uint8_t> bytes) override {
    if (bytes.size() > remaining_)
      throw Error(file_.target().string() + ": array " + members_.back().name + " given more bytes than its shape holds");
    write_data(bytes, crc32_one_thread(bytes, members_.back().crc));
  }

  void write_data(std::span<const std::uint8_t> bytes, std::uint32_t crc) {
    members_.back().crc = crc;
    file_.write(bytes.data(), bytes.size());
    remaining_ -= bytes.size();
  }

  void end() override {
    const Member& m = members_.back();
    if (remaining_ != 0)
      throw Error(file_.target().string() + ": array " + m.name + " ended " + std::to_string(remaining_) +
                  " bytes short of its shape");
    std::string crc;
    put32(crc, m.crc);
    file_.patch(m.offset + 14, crc.data(), crc.size());  // the local header's CRC-32 field
  }

  // Each member's headers now, CRC 0, and its data's place reserved; finish() reads the data back
  // for the CRCs.
  std::vector<std::uint64_t> declare(const std::vector<ArrayEntry>& entries) override {
    std::vector<std::uint64_t> at;
    for (const ArrayEntry& e : entries) {
      const std::string header = npy_header(e);
      write_local_header(e, header, 0);
      members_.back().crc = crc32(as_bytes(header));
      at.push_back(file_.offset());
      members_.back().data_offset = file_.offset();
      members_.back().data_bytes = remaining_;
      file_.reserve(file_.offset() + remaining_);
      remaining_ = 0;
    }
    declared_ = true;
    return at;
  }

  void finish() override {
    if (declared_) {
      std::vector<std::uint8_t> chunk(std::size_t{4} << 20);
      for (Member& m : members_) {
        const std::uint64_t end = m.data_offset + m.data_bytes;
        for (std::uint64_t at = m.data_offset; at < end;) {
          const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), end - at));
          file_.read_at(at, chunk.data(), n);
          m.crc = crc32({chunk.data(), n}, m.crc);
          at += n;
        }
        std::string crc;
        put32(crc, m.crc);
        file_.patch(m.offset + 14, crc.data(), crc.size());
      }
    }
    const std::uint64_t cd_offset = file_.offset();
    std::string cd;
    bool any_zip64 = false;
    for (const Member& m : members_) {
      const bool zip64_offset = m.offset >= threshold_;
      std::string extra;
      if (m.zip64_size || zip64_offset) {  // only the fields whose 32-bit slot is 0xFFFFFFFF, in this order
        put16(extra, 0x0001);
        put16(extra, (m.zip64_size ? 16 : 0) + (zip64_offset ? 8 : 0));
        if (m.zip64_size) {
          put64(extra, m.size);
          put64(extra, m.size);
        }
        if (zip64_offset) put64(extra, m.offset);
        any_zip64 = true;
      }
      put32(cd, 0x02014b50);
      put16(cd, kMadeByUnix);
      put16(cd, extra.empty() ? 20 : 45);
      put16(cd, 0);
      put16(cd, 0);
      put16(cd, kDosTime);
      put16(cd, kDosDate);
      put32(cd, m.crc);
      put32(cd, m.zip64_size ? 0xFFFFFFFFu : static_cast<std::uint32_t>(m.size));
      put32(cd, m.zip64_size ? 0xFFFFFFFFu : static_cast<std::uint32_t>(m.size));
      put16(cd, static_cast<std::uint32_t>(m.name.size()));
      put16(cd, static_cast<std::uint32_t>(extra.size()));
      put16(cd, 0);  // comment length
      put16(cd, 0);  // disk number start
      put16(cd, 0);  // internal attributes
      put32(cd, kFileMode << 16);
      put32(cd, zip64_offset ? 0xFFFFFFFFu : static_cast<std::uint32_t>(m.offset));
      cd += m.name;
      cd += extra;
    }
    const std::uint64_t cd_size = cd.size();
    const std::uint64_t count = members_.size();
    const bool zip64_end = any_zip64 || count >= 0xffff || cd_offset >= threshold_ || cd_size >= threshold_;
    std::string end;
    if (zip64_end) {
      const std::uint64_t record_offset = cd_offset + cd_size;
      put32(end, 0x06064b50);  // ZIP64 end of central directory record
      put64(end, 44);          // its size after this field
      put16(end, kMadeByUnix);
      put16(end, 45);
      put32(end, 0);
      put32(end, 0);
      put64(end, count);
      put64(end, count);
      put64(end, cd_size);
      put64(end, cd_offset);
      put32(end, 0x07064b50);  // ZIP64 end of central directory locator
      put32(end, 0);
      put64(end, record_offset);
      put32(end, 1);
    }
    put32(end, 0x06054b50);  // end of central directory
    put16(end, 0);
    put16(end, 0);
    put16(end, zip64_end ? 0xffff : static_cast<std::uint32_t>(count));
    put16(end, zip64_end ? 0xffff : static_cast<std::uint32_t>(count));
    put32(end, zip64_end ? 0xFFFFFFFFu : static_cast<std::uint32_t>(cd_size));
    put32(end, zip64_end ? 0xFFFFFFFFu : static_cast<std::uint32_t>(cd_offset));
    put16(end, 0);  // comment length
    file_.write(cd + end);
  }

 private:
  struct Member {
    std::string name;
    std::uint64_t size = 0, offset = 0;  // size: npy header + data; offset: the local header's
    std::uint64_t data_offset = 0, data_bytes = 0;  // declared: where the array's data begins, its length
    std::uint32_t crc = 0;
    bool zip64_size = false;
  };

  static std::span<const std::uint8_t> as_bytes(const std::string& s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
  }

  // The member's local header and the npy header; the data (e's shape's bytes) is to follow.
  void write_local_header(const ArrayEntry& e, const std::string& header, std::uint32_t crc) {
    Member m;
    m.name = e.name + ".npy";
    if (m.name.size() > 0xffff)
      throw Error(file_.target().string() + ": array name too long for a ZIP member: " + e.name);
    std::uint64_t data_bytes = dtype_info(e.dtype).bytes;
    for (std::int64_t d : e.shape) data_bytes *= static_cast<std::uint64_t>(d);
    m.size = header.size() + data_bytes;
    m.offset = file_.offset();
    m.crc = crc;
    m.zip64_size = m.size >= threshold_;

    std::string local;
    put32(local, 0x04034b50);
    put16(local, m.zip64_size ? 45 : 20);  // version needed to extract
    put16(local, 0);                        // flags
    put16(local, 0);                        // stored
    put16(local, kDosTime);
    put16(local, kDosDate);
    put32(local, m.crc);                    // offset 14: CRC-32 (end() patches a streamed one's)
    put32(local, m.zip64_size ? 0xFFFFFFFFu : static_cast<std::uint32_t>(m.size));  // compressed
    put32(local, m.zip64_size ? 0xFFFFFFFFu : static_cast<std::uint32_t>(m.size));  // uncompressed
    put16(local, static_cast<std::uint32_t>(m.name.size()));
    put16(local, m.zip64_size ? 20 : 0);  // extra field length
    local += m.name;
    if (m.zip64_size) {  // ZIP64 extended information: original size, then compressed size
      put16(local, 0x0001);
      put16(local, 16);
      put64(local, m.size);
      put64(local, m.size);
    }
    file_.write(local + header);
    members_.push_back(std::move(m));
    remaining_ = data_bytes;
  }
  OutputFile& file_;
  std::uint64_t threshold_;
  std::vector<Member> members_;
  std::uint64_t remaining_ = 0;  // bytes the array begun last still expects
  bool declared_ = false;
};

}  // namespace

std::unique_ptr<ArrayFormatWriter> make_npz_writer(OutputFile& file, std::uint64_t zip64_threshold) {
  return std::make_unique<NpzWriter>(file, zip64_threshold);
}

}  // namespace attnlab
