// A persistent thread pool for the kernels (ops/) and the writers' parallel CRC and number formatting
// (io/): workers stay alive between calls, spin briefly for the next job (a forward pass issues
// hundreds of short parallel sections), then sleep.
#pragma once

#include <functional>

namespace attnlab {

// Number of threads kernels use: the calling thread's ScopedThreads, else set_num_threads(), else
// $ATTNLAB_NUM_THREADS, else all cores.
int num_threads();
void set_num_threads(int n);

// Sets num_threads() for the calling thread while in scope (n <= 0 leaves it unchanged).
class ScopedThreads {
 public:
  explicit ScopedThreads(int n);
  ~ScopedThreads();
  ScopedThreads(const ScopedThreads&) = delete;
  ScopedThreads& operator=(const ScopedThreads&) = delete;

 private:
  int previous_;
};

// Calls fn(task) for task in [0, tasks) across the pool; the caller works too. Returns when all are done.
// Safe from any number of threads at once: each pool (one per thread count) runs one job at a time,
// and a call that finds its pool busy, or comes from inside a task, runs its tasks on the calling
// thread. Which thread runs a task never changes its result.
void parallel_for(int tasks, const std::function<void(int)>& fn);

}  // namespace attnlab
