// A persistent thread pool for the kernels: workers stay alive between calls, spin briefly for
// the next job (a forward pass issues hundreds of short parallel sections), then sleep.
#pragma once

#include <functional>

namespace attnlab {

// Number of threads kernels use: $ATTNLAB_NUM_THREADS, else set_num_threads(), else all cores.
int num_threads();
void set_num_threads(int n);

// Calls fn(task) for task in [0, tasks) across the pool; the caller works too. Returns when all are done.
void parallel_for(int tasks, const std::function<void(int)>& fn);

}  // namespace attnlab
