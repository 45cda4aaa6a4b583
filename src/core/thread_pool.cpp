// Persistent thread pool (see thread_pool.h).
#include "core/thread_pool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace attnlab {
namespace {

int default_threads() {
  if (const char* env = std::getenv("ATTNLAB_NUM_THREADS")) {
    const int n = std::atoi(env);
    if (n > 0) return n;
  }
  const unsigned hc = std::thread::hardware_concurrency();
  return hc ? static_cast<int>(hc) : 1;
}

std::atomic<int> g_threads{0};
thread_local int t_threads = 0;     // ScopedThreads override, 0 = none
thread_local bool t_in_task = false;  // inside a pool task: nested calls run inline

class Pool {
 public:
  explicit Pool(int workers) {
    for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { work(); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      generation_.fetch_add(1);
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }
  int workers() const { return static_cast<int>(threads_.size()); }

  // Runs the job and returns true, or returns false at once when another job holds the pool.
  bool try_run(int tasks, const std::function<void(int)>& fn) {
    std::unique_lock<std::mutex> busy(busy_, std::try_to_lock);
    if (!busy.owns_lock()) return false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      // A worker still in the last job's drain() (its tasks all taken) could otherwise claim a task
      // of this one from the counter being reset. Workers enter drain() only under mu_, so none
      // can join while we wait here.
      while (active_.load(std::memory_order_acquire) > 0) std::this_thread::yield();
      fn_.store(&fn);
      tasks_.store(tasks);
      next_.store(0);
      pending_.store(tasks);
      generation_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    drain();
    while (pending_.load(std::memory_order_acquire) > 0) std::this_thread::yield();
    return true;
  }

 private:
  void drain() {
    t_in_task = true;
    for (;;) {
      const int t = next_.fetch_add(1);
      if (t >= tasks_.load()) break;
      (*fn_.load())(t);
      pending_.fetch_sub(1, std::memory_order_acq_rel);
    }
    t_in_task = false;
  }

  void work() {
    unsigned long seen = 0;
    for (;;) {
      // Spin ~100 us for the next job before sleeping: consecutive kernels follow each other quickly.
      // The clock is read once per 256 polls, with a pause between polls, to keep the spin cheap.
      const auto spin_until = std::chrono::steady_clock::now() + std::chrono::microseconds(100);
      for (unsigned polls = 1; generation_.load(std::memory_order_acquire) == seen; ++polls) {
#if defined(__x86_64__)
        __builtin_ia32_pause();
#endif
        if (polls % 256 == 0 && std::chrono::steady_clock::now() >= spin_until) break;
      }
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return generation_.load() != seen; });
        seen = generation_.load();
        if (stop_) return;
        active_.fetch_add(1, std::memory_order_acq_rel);
      }
      drain();
      active_.fetch_sub(1, std::memory_order_acq_rel);
    }
  }

  std::vector<std::thread> threads_;
  std::mutex busy_;  // held by the caller whose job the pool runs
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<unsigned long> generation_{0};
  std::atomic<const std::function<void(int)>*> fn_{nullptr};
  std::atomic<int> tasks_{0};
  std::atomic<int> next_{0};
  std::atomic<int> pending_{0};
  std::atomic<int> active_{0};  // workers inside drain()
  bool stop_ = false;
};

// One pool per thread count asked for, created on first use and kept: a pool in use by one caller
// is never replaced under it by another.
Pool& pool_for(int threads) {
  static std::mutex mu;
  static std::map<int, std::unique_ptr<Pool>>* pools = new std::map<int, std::unique_ptr<Pool>>;
  std::lock_guard<std::mutex> lock(mu);
  auto& pool = (*pools)[threads];
  if (!pool) pool = std::make_unique<Pool>(threads - 1);
  return *pool;
}

}  // namespace

int num_threads() {
  if (t_threads > 0) return t_threads;
  int n = g_threads.load();
  if (n <= 0) {
    n = default_threads();
    g_threads.store(n);
  }
  return n;
}

void set_num_threads(int n) { g_threads.store(n > 0 ? n : default_threads()); }

ScopedThreads::ScopedThreads(int n) : previous_(t_threads) {
  if (n > 0) t_threads = n;
}
ScopedThreads::~ScopedThreads() { t_threads = previous_; }

void parallel_for(int tasks, const std::function<void(int)>& fn) {
  const int threads = num_threads();
  if (threads <= 1 || tasks <= 1 || t_in_task || !pool_for(threads).try_run(tasks, fn))
    for (int t = 0; t < tasks; ++t) fn(t);
}

}  // namespace attnlab
