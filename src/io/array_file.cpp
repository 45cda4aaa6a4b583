// ArrayFileWriter (see attnlab/array_file.h): checks names and shapes, then hands each array to the
// format's writer (npz_writer.cpp, safetensors_writer.cpp) over a temporary file renamed on commit.
#include "attnlab/array_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <string>

#include "attnlab/error.h"
#include "core/f16.h"
#include "core/thread_pool.h"
#include "io/array_writers.h"

namespace attnlab {
namespace fs = std::filesystem;

static_assert(std::endian::native == std::endian::little, "array files are written in host byte order");

const ArrayDTypeInfo& dtype_info(ArrayDType d) {
  static constexpr ArrayDTypeInfo kInfo[] = {
      {"<f4", "F32", 4}, {"<i4", "I32", 4}, {"<i8", "I64", 8}, {"<f2", "F16", 2}};
  return kInfo[static_cast<int>(d)];
}

namespace {
std::string in_quotes(const std::string& s) {  // built by appending: GCC 12 warns (-Wrestrict) on "'" + s
  std::string q = "'";
  q += s;
  q += '\'';
  return q;
}

const fs::path& not_a_directory(const fs::path& target) {
  std::error_code ec;
  if (fs::is_directory(target, ec))
    throw Error("cannot write " + in_quotes(target.string()) + ": it is a directory", kExitIo);
  return target;
}
}  // namespace

OutputFile::OutputFile(const fs::path& target) : target_(target), temp_(not_a_directory(target)) {
  file_ = fdopen(temp_.fd(), "wb");
  if (!file_) fail("cannot open " + in_quotes(temp_.path()), errno);
  temp_.take_fd();  // now owned by file_
}

OutputFile::~OutputFile() {
  if (file_) std::fclose(file_);
}

void OutputFile::fail(const std::string& what, int err) const {
  throw Error("cannot write " + in_quotes(target_.string()) + ": " + what + ": " + std::strerror(err ? err : EIO),
              kExitIo);
}

void OutputFile::write(const void* data, std::size_t size) {
  if (size == 0) return;  // an empty array's data may be null, which fwrite must not see
  test_signal_point("writing");
  errno = 0;
  if (std::fwrite(data, 1, size, file_) != size) fail("write failed", errno);
  offset_ += size;
}

namespace {
// Every byte at offset, short writes resumed; errno of the failure, else 0.
int pwrite_all(int fd, std::uint64_t offset, const void* data, std::size_t size) {
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::pwrite(fd, p, size, static_cast<off_t>(offset));
    if (n <= 0) return n == 0 ? EIO : errno;
    p += n;
    offset += static_cast<std::uint64_t>(n);
    size -= static_cast<std::size_t>(n);
  }
  return 0;
}
}  // namespace

void OutputFile::patch(std::uint64_t offset, const void* data, std::size_t size) {
  errno = 0;
  if (std::fflush(file_) != 0) fail("write failed", errno);
  if (const int err = pwrite_all(::fileno(file_), offset, data, size)) fail("write failed", err);
}

void OutputFile::write_at(std::uint64_t offset, const void* data, std::size_t size) {
  test_signal_point("writing");
  if (const int err = pwrite_all(::fileno(file_), offset, data, size)) fail("write failed", err);
}

void OutputFile::read_at(std::uint64_t offset, void* data, std::size_t size) const {
  auto* p = static_cast<char*>(data);
  while (size > 0) {
    const ssize_t n = ::pread(::fileno(file_), p, size, static_cast<off_t>(offset));
    if (n <= 0) fail("cannot read back the written data", n == 0 ? EIO : errno);
    p += n;
    offset += static_cast<std::uint64_t>(n);
    size -= static_cast<std::size_t>(n);
  }
}

void OutputFile::reserve(std::uint64_t size) {
  errno = 0;
  if (std::fflush(file_) != 0) fail("write failed", errno);
  if (::ftruncate(::fileno(file_), static_cast<off_t>(size)) != 0) fail("cannot extend the file", errno);
  if (std::fseek(file_, static_cast<long>(size), SEEK_SET) != 0) fail("cannot seek", errno);
  offset_ = size;
}

void ArrayFormatWriter::begin(const ArrayEntry& entry) {
  throw Error("array " + in_quotes(entry.name) + ": this file format cannot stream an array (use .npz)");
}
void ArrayFormatWriter::append(std::span<const std::uint8_t>) { throw Error("no streamed array begun"); }
void ArrayFormatWriter::end() { throw Error("no streamed array begun"); }

void OutputFile::commit() {
  errno = 0;
  const int rc = std::fclose(file_);
  file_ = nullptr;
  if (rc != 0) fail("write failed", errno);
  if (const int err = temp_.rename_to_target()) fail("cannot rename " + in_quotes(temp_.path()), err);
}

ArrayFileFormat array_file_format(const fs::path& path) {
  const std::string ext = path.extension().string();
  if (ext == ".npz") return ArrayFileFormat::kNpz;
  if (ext == ".safetensors") return ArrayFileFormat::kSafetensors;
  throw Error(in_quotes(path.string()) + ": unknown array file format " + in_quotes(ext) +
                  "; the extension must be .npz (numpy.load) or .safetensors",
              kExitUsage);
}

struct ArrayFileWriter::Impl {
  explicit Impl(const fs::path& path, ArrayFileFormat format)
      : file(path), writer(format == ArrayFileFormat::kNpz ? make_npz_writer(file) : make_safetensors_writer(file)) {}

  void add(std::string_view name, ArrayDType dtype, const void* data, std::size_t count,
           const std::vector<std::int64_t>& shape) {
    if (declared) return add_declared(name, dtype, data, count, shape);
    const std::string where = in_quotes(file.target().string()) + ": array " + in_quotes(std::string(name));
    check_name(where, name);
    std::int64_t elements = 1;
    for (std::int64_t d : shape) {
      if (d < 0) throw Error(where + ": negative dimension " + std::to_string(d));
      elements *= d;
    }
    if (static_cast<std::uint64_t>(elements) != count)
      throw Error(where + ": the shape has " + std::to_string(elements) + " elements, the data " +
                  std::to_string(count));
    writer->add(ArrayEntry{std::string(name), dtype, shape,
                           {static_cast<const std::uint8_t*>(data), count * dtype_info(dtype).bytes}});
  }

  void check_name(const std::string& where, std::string_view name) {
    if (committed) throw Error(where + " added after commit()");
    if (streaming) throw Error(where + " added while another array is streamed (end_array() first)");
    if (name.empty() || name.find('/') != std::string_view::npos || name == "__metadata__")
      throw Error(where + ": a name must be non-empty, without '/', and not __metadata__");
    if (!names.insert(std::string(name)).second) throw Error(where + " is added twice");
  }

  // A declared array: where its data starts in the file, its shape, and which of its bytes came
  // (disjoint [begin, end) ranges, adjacent ones merged).
  struct Slot {
    ArrayDType dtype;
    std::vector<std::int64_t> shape;
    std::uint64_t begin = 0, bytes = 0, written = 0;
    std::map<std::uint64_t, std::uint64_t> ranges;
  };

  // Records [a, b) as written; false when part of it already was.
  static bool mark(Slot& s, std::uint64_t a, std::uint64_t b) {
    if (a == b) return true;
    auto next = s.ranges.lower_bound(a);
    if (next != s.ranges.end() && next->first < b) return false;
    if (next != s.ranges.begin()) {
      auto prev = std::prev(next);
      if (prev->second > a) return false;
      if (prev->second == a) {  // extends prev
        a = prev->first;
        s.ranges.erase(prev);
      }
    }
    if (next != s.ranges.end() && next->first == b) {  // joins next
      b = next->second;
      s.ranges.erase(next);
    }
    s.ranges[a] = b;
    return true;
  }

  Slot& slot(std::string_view name, ArrayDType dtype, const char* what) {
    const std::string where = in_quotes(file.target().string()) + ": array " + in_quotes(std::string(name));
    if (committed) throw Error(where + " written after commit()");
    const auto it = slots.find(std::string(name));
    if (it == slots.end()) throw Error(where + " was not declared");
    if (it->second.dtype != dtype)
      throw Error(where + " is declared " + dtype_info(it->second.dtype).safetensors + ", given " + what);
    return it->second;
  }

  void write(std::string_view name, ArrayDType dtype, std::uint64_t offset, const void* data, std::size_t count) {
    if (dtype == ArrayDType::kF32) {
      const auto it = slots.find(std::string(name));
      if (it != slots.end() && it->second.dtype == ArrayDType::kF16) {  // rounded here
        claim(name, it->second, 2, offset, count);
        const auto* f = static_cast<const float*>(data);
        in_parts(count, [&](std::size_t at, std::size_t n) {
          // Each part rounds a piece at a time into its own buffer, then writes it in place.
          constexpr std::size_t kPiece = 1 << 16;
          std::vector<std::uint16_t> half(std::min(n, kPiece));
          for (std::size_t k = 0; k < n; k += kPiece) {
            const std::size_t m = std::min(kPiece, n - k);
            to_f16(f + at + k, half.data(), m);
            file.write_at(it->second.begin + (offset + at + k) * 2, half.data(), m * 2);
          }
        });
        return;
      }
    }
    Slot& s = slot(name, dtype, dtype_info(dtype).safetensors);
    const std::uint64_t esize = dtype_info(dtype).bytes;
    claim(name, s, esize, offset, count);
    const auto* bytes = static_cast<const char*>(data);
    in_parts(count, [&](std::size_t at, std::size_t n) {
      file.write_at(s.begin + (offset + at) * esize, bytes + at * esize, n * esize);
    });
  }

  // Checks elements [offset, offset + count) of `s` are in range and not written yet, and counts them
  // as written.
  void claim(std::string_view name, Slot& s, std::uint64_t esize, std::uint64_t offset, std::uint64_t count) {
    check_range(name, s, esize, offset, count);
    if (!mark(s, offset * esize, (offset + count) * esize))
      throw Error(in_quotes(file.target().string()) + ": array " + in_quotes(std::string(name)) + ": elements [" +
                  std::to_string(offset) + ", " + std::to_string(offset + count) + ") written twice");
    s.written += count * esize;
  }

  // fn(first, count) over [0, count) elements: split over the thread pool when large (the page-cache
  // copy and the rounding are the cost of streaming a long pass's attention, and the pass's threads
  // wait for it), else at once.
  static void in_parts(std::size_t count, const std::function<void(std::size_t, std::size_t)>& fn) {
    constexpr std::size_t kSplitFrom = std::size_t{1} << 18;
    const int parts = count >= kSplitFrom ? num_threads() : 1;
    if (parts <= 1) {
      fn(0, count);
      return;
    }
    parallel_for(parts, [&](int p) {
      const std::size_t a = count * static_cast<std::size_t>(p) / static_cast<std::size_t>(parts);
      const std::size_t b = count * static_cast<std::size_t>(p + 1) / static_cast<std::size_t>(parts);
      if (a < b) fn(a, b - a);
    });
  }

  void check_range(std::string_view name, const Slot& s, std::uint64_t esize, std::uint64_t offset,
                   std::uint64_t count) const {
    if (offset > s.bytes / esize || count > s.bytes / esize - offset)  // no offset * esize: it can wrap
      throw Error(in_quotes(file.target().string()) + ": array " + in_quotes(std::string(name)) + ": elements [" +
                  std::to_string(offset) + ", " + std::to_string(offset + count) + ") past its " +
                  std::to_string(s.bytes / esize));
  }

  // add() of a declared array: the whole of it, as declared.
  void add_declared(std::string_view name, ArrayDType dtype, const void* data, std::size_t count,
                    const std::vector<std::int64_t>& shape) {
    const auto it = slots.find(std::string(name));
    if (it != slots.end() && it->second.shape != shape)
      throw Error(in_quotes(file.target().string()) + ": array " + in_quotes(std::string(name)) +
                  " is added with a shape other than its declared one");
    if (it != slots.end() && count * dtype_info(it->second.dtype).bytes != it->second.bytes)
      throw Error(in_quotes(file.target().string()) + ": array " + in_quotes(std::string(name)) + ": " +
                  std::to_string(count) + " elements given, its declared shape holds " +
                  std::to_string(it->second.bytes / dtype_info(it->second.dtype).bytes));
    write(name, dtype, 0, data, count);
  }

  OutputFile file;
  std::unique_ptr<ArrayFormatWriter> writer;
  std::set<std::string> names;
  std::map<std::string, Slot, std::less<>> slots;  // declared arrays
  bool committed = false, streaming = false, declared = false;
};

ArrayFileWriter::ArrayFileWriter(const fs::path& path) : ArrayFileWriter(path, array_file_format(path)) {}
ArrayFileWriter::ArrayFileWriter(const fs::path& path, ArrayFileFormat format)
    : impl_(std::make_unique<Impl>(path, format)) {}
ArrayFileWriter::~ArrayFileWriter() = default;

void ArrayFileWriter::add(std::string_view name, std::span<const float> data, const std::vector<std::int64_t>& shape) {
  impl_->add(name, ArrayDType::kF32, data.data(), data.size(), shape);
}
void ArrayFileWriter::add(std::string_view name, std::span<const std::int32_t> data,
                          const std::vector<std::int64_t>& shape) {
  impl_->add(name, ArrayDType::kI32, data.data(), data.size(), shape);
}
void ArrayFileWriter::add(std::string_view name, std::span<const std::int64_t> data,
                          const std::vector<std::int64_t>& shape) {
  impl_->add(name, ArrayDType::kI64, data.data(), data.size(), shape);
}

void ArrayFileWriter::declare(const std::vector<ArraySpec>& arrays) {
  Impl& s = *impl_;
  const std::string file = in_quotes(s.file.target().string());
  if (s.declared || !s.names.empty() || s.streaming) throw Error(file + ": declare() must come first, and once");
  std::vector<ArrayEntry> entries;
  for (const ArraySpec& a : arrays) {
    const std::string where = file + ": array " + in_quotes(a.name);
    s.check_name(where, a.name);
    for (std::int64_t d : a.shape)
      if (d < 0) throw Error(where + ": negative dimension " + std::to_string(d));
    entries.push_back(ArrayEntry{a.name, a.dtype, a.shape, {}});
  }
  const std::vector<std::uint64_t> at = s.writer->declare(entries);
  for (size_t i = 0; i < entries.size(); ++i) {
    std::uint64_t bytes = dtype_info(entries[i].dtype).bytes;
    for (std::int64_t d : entries[i].shape) bytes *= static_cast<std::uint64_t>(d);
    s.slots[entries[i].name] = Impl::Slot{entries[i].dtype, entries[i].shape, at[i], bytes, 0, {}};
  }
  s.declared = true;
}

void ArrayFileWriter::write(std::string_view name, std::uint64_t offset, std::span<const float> data) {
  impl_->write(name, ArrayDType::kF32, offset, data.data(), data.size());
}
void ArrayFileWriter::write(std::string_view name, std::uint64_t offset, std::span<const std::uint16_t> data) {
  impl_->write(name, ArrayDType::kF16, offset, data.data(), data.size());
}
void ArrayFileWriter::write(std::string_view name, std::uint64_t offset, std::span<const std::int64_t> data) {
  impl_->write(name, ArrayDType::kI64, offset, data.data(), data.size());
}

void ArrayFileWriter::begin_floats(std::string_view name, const std::vector<std::int64_t>& shape) {
  Impl& s = *impl_;
  if (s.declared) throw Error(in_quotes(s.file.target().string()) + ": begin_floats() in a declared file (use write())");
  const std::string where = in_quotes(s.file.target().string()) + ": array " + in_quotes(std::string(name));
  s.check_name(where, name);
  for (std::int64_t d : shape)
    if (d < 0) throw Error(where + ": negative dimension " + std::to_string(d));
  s.writer->begin(ArrayEntry{std::string(name), ArrayDType::kF32, shape, {}});
  s.streaming = true;
}

void ArrayFileWriter::append(std::span<const float> data) {
  if (!impl_->streaming) throw Error(in_quotes(impl_->file.target().string()) + ": append() without begin_floats()");
  impl_->writer->append({reinterpret_cast<const std::uint8_t*>(data.data()), data.size_bytes()});
}

void ArrayFileWriter::end_array() {
  if (!impl_->streaming) throw Error(in_quotes(impl_->file.target().string()) + ": end_array() without begin_floats()");
  impl_->writer->end();
  impl_->streaming = false;
}

void ArrayFileWriter::commit() {
  if (impl_->streaming) throw Error(in_quotes(impl_->file.target().string()) + ": commit() while an array is streamed");
  if (impl_->committed) throw Error(in_quotes(impl_->file.target().string()) + ": commit() called twice");
  for (const auto& [name, slot] : impl_->slots)
    if (slot.written != slot.bytes)
      throw Error(in_quotes(impl_->file.target().string()) + ": array " + in_quotes(name) + " got " +
                  std::to_string(slot.written) + " of its " + std::to_string(slot.bytes) + " bytes");
  impl_->writer->finish();
  impl_->file.commit();
  impl_->committed = true;
}

}  // namespace attnlab
