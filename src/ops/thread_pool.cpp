// Persistent thread pool (see thread_pool.h).
#include "ops/thread_pool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
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

  void run(int tasks, const std::function<void(int)>& fn) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      fn_.store(&fn);
      tasks_.store(tasks);
      next_.store(0);
      pending_.store(tasks);
      generation_.fetch_add(1, std::memory_order_release);
    }
    cv_.notify_all();
    drain();
    while (pending_.load(std::memory_order_acquire) > 0) std::this_thread::yield();
  }

 private:
  void drain() {
    for (;;) {
      const int t = next_.fetch_add(1);
      if (t >= tasks_.load()) return;
      (*fn_.load())(t);
      pending_.fetch_sub(1, std::memory_order_acq_rel);
    }
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
      }
      drain();
    }
  }

  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<unsigned long> generation_{0};
  std::atomic<const std::function<void(int)>*> fn_{nullptr};
  std::atomic<int> tasks_{0};
  std::atomic<int> next_{0};
  std::atomic<int> pending_{0};
  bool stop_ = false;
};

Pool& pool_for(int threads) {
  static std::mutex mu;
  static std::unique_ptr<Pool> pool;
  std::lock_guard<std::mutex> lock(mu);
  if (!pool || pool->workers() != threads - 1) {
    pool.reset();
    pool = std::make_unique<Pool>(threads - 1);
  }
  return *pool;
}

}  // namespace

int num_threads() {
  int n = g_threads.load();
  if (n <= 0) {
    n = default_threads();
    g_threads.store(n);
  }
  return n;
}

void set_num_threads(int n) { g_threads.store(n > 0 ? n : default_threads()); }

void parallel_for(int tasks, const std::function<void(int)>& fn) {
  const int threads = num_threads();
  if (threads <= 1 || tasks <= 1) {
    for (int t = 0; t < tasks; ++t) fn(t);
    return;
  }
  pool_for(threads).run(tasks, fn);
}

}  // namespace attnlab
