// Read-only whole-file memory map (see mapped_file.h).
#include "io/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <mutex>

#include "attnlab/error.h"

namespace attnlab {

namespace {

// Live maps, readable from the signal handler without locks: a slot is claimed by CAS on `used`
// and matched by the handler only while `begin` is non-zero (set last, cleared first).
struct Slot {
  std::atomic<bool> used{false};
  std::atomic<uintptr_t> begin{0}, end{0};
  std::atomic<bool> changed{false};
};
constexpr int kSlots = 64;
Slot g_slots[kSlots];
struct sigaction g_previous {};
uintptr_t g_page = 4096;  // set before the handler is installed (sysconf is not async-signal-safe)

void on_sigbus(int sig, siginfo_t* info, void* context) {
  const auto addr = reinterpret_cast<uintptr_t>(info->si_addr);
  for (Slot& s : g_slots) {
    const uintptr_t b = s.begin.load(std::memory_order_acquire);
    if (b != 0 && addr >= b && addr < s.end.load(std::memory_order_acquire)) {
      // A page past the file's new end: put a zero page there, note it, and let the read retry.
      void* at = reinterpret_cast<void*>(addr / g_page * g_page);
      if (::mmap(at, g_page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED) {
        s.changed.store(true, std::memory_order_release);
        return;
      }
      break;
    }
  }
  // Not ours (or no zero page to be had): whatever handled SIGBUS before us, else the default.
  if (g_previous.sa_flags & SA_SIGINFO) {
    if (g_previous.sa_sigaction) return g_previous.sa_sigaction(sig, info, context);
  } else if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN && g_previous.sa_handler) {
    return g_previous.sa_handler(sig);
  }
  ::signal(SIGBUS, SIG_DFL);  // the faulting read runs again and dies as it would have
}

int register_map(const uint8_t* data, size_t size) {
  static std::once_flag installed;
  std::call_once(installed, [] {
    g_page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
    struct sigaction sa {};
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGBUS, &sa, &g_previous);
  });
  for (int i = 0; i < kSlots; ++i) {
    bool expected = false;
    Slot& s = g_slots[i];
    if (s.used.compare_exchange_strong(expected, true, std::memory_order_acq_rel)) {
      s.changed.store(false, std::memory_order_relaxed);
      s.end.store(reinterpret_cast<uintptr_t>(data) + size, std::memory_order_release);
      s.begin.store(reinterpret_cast<uintptr_t>(data), std::memory_order_release);
      return i;
    }
  }
  return -1;  // more than kSlots live maps: this one is unguarded
}

}  // namespace

MappedFile::MappedFile(const std::filesystem::path& path) : path_(path) {
  // O_NONBLOCK: a FIFO in place of a checkpoint must not hang waiting for a writer.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) throw Error(path.string() + ": cannot open: " + std::strerror(errno), kExitIo);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(path.string() + ": not a regular file", kExitIo);
  }
  size_ = static_cast<size_t>(st.st_size);
  if (size_ > 0) {
    void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      if (err == ENOMEM)  // the address space is full (ulimit -v): not a file problem
        throw Error("out of memory: cannot map the " + std::to_string(size_) + " bytes of " + path.string(),
                    kExitFailure);
      throw Error(path.string() + ": cannot map: " + std::strerror(err), kExitIo);
    }
    data_ = static_cast<const uint8_t*>(p);
    slot_ = register_map(data_, size_);
  }
  ::close(fd);
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : path_(std::move(other.path_)), data_(other.data_), size_(other.size_), slot_(other.slot_) {
  other.data_ = nullptr;
  other.size_ = 0;
  other.slot_ = -1;
}

bool MappedFile::changed() const {
  return slot_ >= 0 && g_slots[slot_].changed.load(std::memory_order_acquire);
}

void MappedFile::throw_if_changed() const {
  if (changed())
    throw Error(path_.string() + ": the file changed on disk while in use (it is shorter than when it was "
                                 "opened); load the model again",
                kExitInput);
}

void MappedFile::release(const void* p, size_t n) const {
  const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  uintptr_t begin = reinterpret_cast<uintptr_t>(p), end = begin + n;
  begin = (begin + page - 1) / page * page;
  end = end / page * page;
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

void MappedFile::prefetch(const void* p, size_t n) const {
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22  // Linux 5.14
#endif
  const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const uintptr_t begin = reinterpret_cast<uintptr_t>(p) / page * page, end = reinterpret_cast<uintptr_t>(p) + n;
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_POPULATE_READ);
}

MappedFile::~MappedFile() {
  if (slot_ >= 0) {
    g_slots[slot_].begin.store(0, std::memory_order_release);  // the handler stops matching it first
    g_slots[slot_].end.store(0, std::memory_order_release);
    g_slots[slot_].used.store(false, std::memory_order_release);
  }
  if (data_) ::munmap(const_cast<uint8_t*>(data_), size_);
}

}  // namespace attnlab
