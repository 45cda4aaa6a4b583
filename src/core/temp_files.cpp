// Pending temporary files (see temp_files.h).
#include "core/temp_files.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "attnlab/error.h"

namespace attnlab {
namespace fs = std::filesystem;
namespace {

// A slot is claimed by CAS on `state` (kFree -> kFilling), filled, then published as kLive; the
// signal handler unlinks only kLive slots. A name seen half-written by mkstemp names no file.
enum SlotState : int { kFree = 0, kFilling = 1, kLive = 2 };
struct Slot {
  std::atomic<int> state{kFree};
  char path[PATH_MAX] = {};
};
constexpr int kSlots = 64;
Slot g_slots[kSlots];

int claim_slot(const std::string& pattern) {
  if (pattern.size() >= PATH_MAX) return -1;
  for (int i = 0; i < kSlots; ++i) {
    int expected = kFree;
    if (g_slots[i].state.compare_exchange_strong(expected, kFilling, std::memory_order_acq_rel)) {
      std::memcpy(g_slots[i].path, pattern.c_str(), pattern.size() + 1);
      g_slots[i].state.store(kLive, std::memory_order_release);
      return i;
    }
  }
  return -1;
}

void free_slot(int slot) {
  if (slot >= 0) g_slots[slot].state.store(kFree, std::memory_order_release);
}

std::string quoted(const std::string& s) {
  std::string q = "'";
  q += s;
  q += '\'';
  return q;
}

}  // namespace

PendingTempFile::PendingTempFile(const fs::path& target) : target_(target) {
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string name = ".";  // hidden, and beside the target so rename() stays on one file system
  name += target.filename().string();
  name += ".tmp-XXXXXX";
  std::string pattern = (dir / name).string();
  // Listed before it exists, so no signal can fall between creating the file and listing it.
  slot_ = claim_slot(pattern);
  char* buffer = slot_ >= 0 ? g_slots[slot_].path : pattern.data();
  fd_ = ::mkostemp(buffer, O_CLOEXEC);
  if (fd_ < 0) {
    const int err = errno;
    free_slot(slot_);
    throw Error("cannot write " + quoted(target.string()) + ": cannot create a temporary file in " +
                    quoted(dir.string()) + ": " + std::strerror(err),
                kExitIo);
  }
  path_ = buffer;
  ::fchmod(fd_, 0644);
  test_signal_point("created");
}

PendingTempFile::~PendingTempFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!done_) ::unlink(path_.c_str());
  free_slot(slot_);
}

int PendingTempFile::take_fd() {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

int PendingTempFile::rename_to_target() {
  test_signal_point("renaming");
  if (::rename(path_.c_str(), target_.c_str()) != 0) return errno;
  done_ = true;
  free_slot(slot_);  // a signal now finds the name gone: unlink fails harmlessly
  slot_ = -1;
  return 0;
}

void test_signal_point(const char* moment) {
  static const char* const spec = std::getenv("ATTNLAB_TEST_SIGNAL_AT");
  if (spec == nullptr) return;
  static std::atomic<int> calls{0};
  const std::string_view s(spec);
  const size_t hash = s.find('#'), colon = s.find(':');
  if (hash == std::string_view::npos || colon == std::string_view::npos || colon < hash) return;
  if (s.substr(0, hash) != moment) return;
  const int nth = std::atoi(std::string(s.substr(hash + 1, colon - hash - 1)).c_str());
  if (++calls == nth) std::raise(std::atoi(spec + colon + 1));
}

void remove_pending_temp_files() noexcept {
  for (Slot& s : g_slots)
    if (s.state.load(std::memory_order_acquire) == kLive) ::unlink(s.path);
}

}  // namespace attnlab
