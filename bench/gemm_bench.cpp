// The packed linear layer per bert-base shape (fused QKV 768 -> 2304, 768 -> 768, 768 -> 3072,
// 3072 -> 768) at 9, 128 and 512 rows: in-pass GFLOP/s beside the FMA ceilings (256- and 512-bit),
// with the pool's thread count and the active instruction set. Prints one JSON object on stdout.
// --hidden 384 gives all-MiniLM-L6-v2's shapes (384 -> 1152, 384 -> 384, 384 -> 1536, 1536 -> 384).
//
//   attnlab_gemm_bench [--threads 2] [--repeats 30] [--rows 9,128,512] [--hidden 768]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "bench_args.h"
#include "core/cpu.h"
#include "core/thread_pool.h"
#include "fma_ceiling.h"
#include "ops/packed_linear.h"

namespace {

using Clock = std::chrono::steady_clock;

std::vector<int> parse_rows(const std::string& list) {
  std::vector<int> rows;
  std::stringstream in(list);
  for (std::string item; std::getline(in, item, ',');) rows.push_back(std::stoi(item));
  return rows;
}

}  // namespace

constexpr const char* kUsage =
    "usage: attnlab_gemm_bench [--threads 2] [--repeats 30] [--rows 9,128,512] [--hidden 768]\n"
    "  the packed linear layer per bert-base shape (--hidden 384: all-MiniLM-L6-v2's) in GFLOP/s, as JSON\n";

int main(int argc, char** argv) try {
  using attnlab::bench::arg;
  attnlab::bench::help(argc, argv, kUsage);
  attnlab::set_num_threads(std::stoi(arg(argc, argv, "--threads", "2")));
  const int repeats = std::stoi(arg(argc, argv, "--repeats", "30"));
  const std::vector<int> row_counts = parse_rows(arg(argc, argv, "--rows", "9,128,512"));
  const int hidden = std::stoi(arg(argc, argv, "--hidden", "768"));
  struct Shape {
    std::string name;
    int in, out;
  };
  auto shape = [](const char* kind, int in, int out) {
    return Shape{std::string(kind) + " " + std::to_string(in) + "->" + std::to_string(out), in, out};
  };
  const Shape shapes[] = {shape("qkv", hidden, 3 * hidden), shape("out", hidden, hidden),
                          shape("up", hidden, 4 * hidden), shape("down", 4 * hidden, hidden)};
  std::mt19937 rng(103);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  nlohmann::json report;
  report["isa"] = attnlab::isa_name(attnlab::active_isa());
  report["threads"] = attnlab::num_threads();
  report["fma_ceiling_gflops"] = {{"256", attnlab::bench::fma_ceiling_gflops(256)},
                                  {"512", attnlab::bench::fma_ceiling_gflops(512)}};
  for (const Shape& s : shapes) {
    std::vector<float> w(static_cast<size_t>(s.in) * s.out), b(static_cast<size_t>(s.out));
    for (float& v : w) v = uniform(rng) * 0.05f;
    for (float& v : b) v = uniform(rng);
    const attnlab::PackedWeight packed = attnlab::pack_weight(w.data(), s.out, s.in);
    for (int rows : row_counts) {
      std::vector<float> x(static_cast<size_t>(rows) * s.in), y(static_cast<size_t>(rows) * s.out);
      for (float& v : x) v = uniform(rng);
      // Two untimed calls first; then each call finds the weights where the previous one left them
      // (in L3 when they fit), which favours small shapes over a forward pass's order.
      for (int r = 0; r < 2; ++r) attnlab::linear_packed(x.data(), rows, packed, b.data(), y.data());
      std::vector<double> times;
      for (int r = 0; r < repeats; ++r) {
        const auto t0 = Clock::now();
        attnlab::linear_packed(x.data(), rows, packed, b.data(), y.data());
        times.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
      }
      std::sort(times.begin(), times.end());
      const double flops = 2.0 * rows * s.in * s.out;
      report["shapes"].push_back({{"shape", s.name},
                                  {"rows", rows},
                                  {"best_us", times.front() * 1e6},
                                  {"median_us", times[times.size() / 2] * 1e6},
                                  {"gflops_best", flops / times.front() / 1e9},
                                  {"gflops_median", flops / times[times.size() / 2] / 1e9}});
    }
  }
  std::printf("%s\n", report.dump(1).c_str());
  return 0;
} catch (const std::exception& e) {
  return attnlab::bench::fail("attnlab_gemm_bench", e);
}
