// ArrayFileWriter (see attnlab/array_file.h): checks names and shapes, then hands each array to the
// format's writer (npz_writer.cpp, safetensors_writer.cpp) over a temporary file renamed on commit.
#include "attnlab/array_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstring>
#include <set>
#include <string>

#include "attnlab/error.h"
#include "io/array_writers.h"

namespace attnlab {
namespace fs = std::filesystem;

static_assert(std::endian::native == std::endian::little, "array files are written in host byte order");

const ArrayDTypeInfo& dtype_info(ArrayDType d) {
  static constexpr ArrayDTypeInfo kInfo[] = {{"<f4", "F32", 4}, {"<i4", "I32", 4}, {"<i8", "I64", 8}};
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

void OutputFile::patch(std::uint64_t offset, const void* data, std::size_t size) {
  errno = 0;
  if (std::fflush(file_) != 0) fail("write failed", errno);
  const ssize_t n = ::pwrite(::fileno(file_), data, size, static_cast<off_t>(offset));
  if (n != static_cast<ssize_t>(size)) fail("write failed", errno);
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

  OutputFile file;
  std::unique_ptr<ArrayFormatWriter> writer;
  std::set<std::string> names;
  bool committed = false, streaming = false;
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

void ArrayFileWriter::begin_floats(std::string_view name, const std::vector<std::int64_t>& shape) {
  Impl& s = *impl_;
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
  impl_->writer->finish();
  impl_->file.commit();
  impl_->committed = true;
}

}  // namespace attnlab
