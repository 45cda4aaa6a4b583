// The per-call latency the CLI and the Python package both pay: Engine::run(text) through the public
// API (tokenize, forward pass with every attention kept, Result), timed like bench/python_bench.py's
// Python loop: 20 warm-up calls, then the median of `repeats` calls.
//   attnlab_engine_call_bench --model DIR --text TEXT [--threads 2] [--repeats 300]
// prints {"median_ms": ..., "min_ms": ...}
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "attnlab/engine.h"
#include "attnlab/error.h"
#include "bench_args.h"

using attnlab::bench::arg;

constexpr const char* kUsage =
    "usage: attnlab_engine_call_bench [--model DIR] [--text TEXT] [--threads 2] [--repeats 300]\n"
    "  Engine::run(TEXT): 20 warm-up calls, then prints {\"median_ms\": ..., \"min_ms\": ...} of `repeats` calls\n";

int main(int argc, char** argv) try {
  attnlab::bench::help(argc, argv, kUsage);
  attnlab::EngineOptions options;
  options.threads = std::stoi(arg(argc, argv, "--threads", "2"));
  const attnlab::Engine engine = attnlab::Engine::open(arg(argc, argv, "--model", ""), options);
  const std::string text = arg(argc, argv, "--text", "The cat sat on the mat.");
  const int repeats = std::stoi(arg(argc, argv, "--repeats", "300"));
  for (int i = 0; i < 20; ++i) (void)engine.run(text);
  std::vector<double> ms;
  for (int i = 0; i < repeats; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const attnlab::Result r = engine.run(text);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    if (r.attentions.empty()) return 1;
  }
  std::sort(ms.begin(), ms.end());
  std::printf("{\"median_ms\": %.6f, \"min_ms\": %.6f}\n", ms[ms.size() / 2], ms.front());
  return 0;
} catch (const std::exception& e) {
  return attnlab::bench::fail("attnlab_engine_call_bench", e);
}
