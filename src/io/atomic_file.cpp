// AtomicFile (attnlab/atomic_file.h) over the library's OutputFile.
#include "attnlab/atomic_file.h"

#include "io/array_writers.h"

namespace attnlab {

struct AtomicFile::Impl {
  explicit Impl(const std::filesystem::path& target) : file(target) {}
  OutputFile file;
};

AtomicFile::AtomicFile(const std::filesystem::path& target) : impl_(std::make_unique<Impl>(target)) {}
AtomicFile::~AtomicFile() = default;
void AtomicFile::write(std::string_view bytes) { impl_->file.write(bytes); }
void AtomicFile::commit() { impl_->file.commit(); }

}  // namespace attnlab
