// Bounded whole-file reads (see text_file.h).
#include "io/text_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/file_error.h"

namespace attnlab {

std::string read_bounded_file(const std::filesystem::path& path, uint64_t max_bytes, const char* what) {
  // O_NONBLOCK: opening a FIFO for reading must not wait for a writer; regular files ignore it.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    const int err = errno;
    throw_file_error(
        path, std::string("cannot read the ") + what + ": file missing or unreadable (" + std::strerror(err) + ")");
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw_file_error(path, std::string("cannot read the ") + what + ": it is not a regular file");
  }
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size > max_bytes) {
    ::close(fd);
    throw_file_error(path, "is " + std::to_string(size) + " bytes, more than the " + std::to_string(max_bytes) +
                               " bytes a " + what + " may have");
  }
  std::string bytes(static_cast<size_t>(size), '\0');
  size_t got = 0;
  while (got < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + got, bytes.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      throw_file_error(path, std::string("cannot read the ") + what + " (" + std::strerror(err) + ")");
    }
    if (n == 0) break;  // shrank while we read: take what is there
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  bytes.resize(got);
  return bytes;
}

}  // namespace attnlab
