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
#include "ops/thread_pool.h"

namespace attnlab {
namespace {

constexpr std::uint32_t kCrcPoly = 0xEDB88320u;

// Slicing-by-8 tables: kCrcTables[k][b] = CRC of byte b followed by k zero bytes.
constexpr auto kCrcTables = [] {
  std::array<std::array<std::uint32_t, 256>, 8> t{};
  for (std::uint32_t b = 0; b < 256; ++b) {
    std::uint32_t c = b;
    for (int i = 0; i < 8; ++i) c = c & 1 ? (c >> 1) ^ kCrcPoly : c >> 1;
    t[0][b] = c;
  }
  for (std::size_t k = 1; k < 8; ++k)
    for (std::size_t b = 0; b < 256; ++b) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xff];
  return t;
}();

std::uint32_t crc32_serial(const std::uint8_t* p, std::size_t n, std::uint32_t crc) {
  crc = ~crc;
  for (; n >= 8; n -= 8, p += 8) {
    std::uint32_t lo, hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + 4, 4);
    lo ^= crc;
    crc = kCrcTables[7][lo & 0xff] ^ kCrcTables[6][(lo >> 8) & 0xff] ^ kCrcTables[5][(lo >> 16) & 0xff] ^
          kCrcTables[4][lo >> 24] ^ kCrcTables[3][hi & 0xff] ^ kCrcTables[2][(hi >> 8) & 0xff] ^
          kCrcTables[1][(hi >> 16) & 0xff] ^ kCrcTables[0][hi >> 24];
  }
  for (; n > 0; --n, ++p) crc = (crc >> 8) ^ kCrcTables[0][(crc ^ *p) & 0xff];
  return ~crc;
}

// a * b modulo the CRC polynomial, bit-reflected (zlib's multmodp).
std::uint32_t multmodp(std::uint32_t a, std::uint32_t b) {
  std::uint32_t m = 1u << 31, p = 0;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1)) == 0) break;
    }
    m >>= 1;
    b = b & 1 ? (b >> 1) ^ kCrcPoly : b >> 1;
  }
  return p;
}

// CRC of A followed by B, from CRC(A), CRC(B) and B's length: CRC(A) * x^(8 len_b) + CRC(B) (zlib's
// crc32_combine).
std::uint32_t crc32_combine(std::uint32_t crc_a, std::uint32_t crc_b, std::uint64_t len_b) {
  std::uint32_t x2n = 1u << 30;  // x^1, then x^2, x^4, ... by squaring
  std::uint32_t p = 1u << 31;    // x^0
  for (std::uint64_t n = len_b * 8; n; n >>= 1) {
    if (n & 1) p = multmodp(x2n, p);
    x2n = multmodp(x2n, x2n);
  }
  return multmodp(p, crc_a) ^ crc_b;
}

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

  void add(const ArrayEntry& e) override {
    Member m;
    m.name = e.name + ".npy";
    if (m.name.size() > 0xffff)
      throw Error(file_.target().string() + ": array name too long for a ZIP member: " + e.name);
    const std::string header = npy_header(e);
    m.size = header.size() + e.bytes.size();
    m.offset = file_.offset();
    m.crc = crc32(e.bytes, crc32({reinterpret_cast<const std::uint8_t*>(header.data()), header.size()}));
    m.zip64_size = m.size >= threshold_;

    std::string local;
    put32(local, 0x04034b50);
    put16(local, m.zip64_size ? 45 : 20);  // version needed to extract
    put16(local, 0);                        // flags
    put16(local, 0);                        // stored
    put16(local, kDosTime);
    put16(local, kDosDate);
    put32(local, m.crc);
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
    file_.write(e.bytes.data(), e.bytes.size());
    members_.push_back(std::move(m));
  }

  void finish() override {
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
    std::uint64_t size = 0, offset = 0;
    std::uint32_t crc = 0;
    bool zip64_size = false;
  };
  OutputFile& file_;
  std::uint64_t threshold_;
  std::vector<Member> members_;
};

}  // namespace

std::uint32_t crc32(std::span<const std::uint8_t> data, std::uint32_t crc) {
  constexpr std::size_t kPiece = std::size_t{4} << 20;  // below this, one thread
  if (data.size() < 2 * kPiece) return crc32_serial(data.data(), data.size(), crc);
  const std::size_t pieces = std::min<std::size_t>(data.size() / kPiece, 64);
  const std::size_t step = data.size() / pieces;
  std::vector<std::uint32_t> crcs(pieces);
  parallel_for(static_cast<int>(pieces), [&](int i) {
    const std::size_t begin = static_cast<std::size_t>(i) * step;
    const std::size_t end = static_cast<std::size_t>(i) + 1 == pieces ? data.size() : begin + step;
    crcs[static_cast<std::size_t>(i)] = crc32_serial(data.data() + begin, end - begin, 0);
  });
  for (std::size_t i = 0; i < pieces; ++i) {
    const std::size_t len = i + 1 == pieces ? data.size() - i * step : step;
    crc = crc32_combine(crc, crcs[i], len);
  }
  return crc;
}

std::unique_ptr<ArrayFormatWriter> make_npz_writer(OutputFile& file, std::uint64_t zip64_threshold) {
  return std::make_unique<NpzWriter>(file, zip64_threshold);
}

}  // namespace attnlab
