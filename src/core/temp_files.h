// Temporary files that must not outlive the process. attnlab writes every output (figures, array
// files, cache entries) to a hidden temporary file beside its target and renames it into place; the
// names of those still pending are kept in a fixed table that a signal handler may read, so
// remove_pending_temp_files() can delete them from SIGINT/SIGTERM handlers before the process dies.
#pragma once

#include <filesystem>
#include <string>

namespace attnlab {

// A hidden temporary file "<dir>/.<name>.tmp-XXXXXX" beside target (mode 0644, O_CLOEXEC), listed
// as pending until released. The destructor closes it and, unless release() was called, removes it.
class PendingTempFile {
 public:
  // Throws Error(kExitIo) "cannot write '<target>': cannot create a temporary file in '<dir>': <strerror>".
  explicit PendingTempFile(const std::filesystem::path& target);
  ~PendingTempFile();
  PendingTempFile(const PendingTempFile&) = delete;
  PendingTempFile& operator=(const PendingTempFile&) = delete;

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  // Hands the descriptor to the caller (who closes it); the file stays pending.
  int take_fd();
  // Renames the file onto target and stops listing it; returns 0 or the rename's errno.
  int rename_to_target();

 private:
  std::filesystem::path target_;
  std::string path_;
  int fd_ = -1;
  int slot_ = -1;  // in the pending table; -1 when it was full
  bool done_ = false;
};

// A test hook for the signal handling: with $ATTNLAB_TEST_SIGNAL_AT = "MOMENT#N:SIG" (e.g.
// "writing#3:15"), the N-th call with this moment raises signal SIG in the calling process. The
// writers call it at "created" (temporary file made), "writing" (each write) and "renaming" (data
// complete, about to rename). Without the variable it does nothing.
void test_signal_point(const char* moment);

// Unlinks every pending temporary file. Async-signal-safe: only unlink() on fixed buffers.
void remove_pending_temp_files() noexcept;

}  // namespace attnlab
