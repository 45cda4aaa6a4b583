// attnlab's side of the benchmark (bench/run.py runs it next to PyTorch + transformers):
// forward-pass latency with all attentions, corpus throughput, and the machine's limits
// (DRAM read bandwidth, peak sgemm rate). Prints one JSON object on stdout.
//
//   attnlab_bench --model DIR --inputs inputs.json [--threads 2] [--repeats 20] [--no-bf16]
//   attnlab_bench --machine            # bandwidth and GEMM peak only
#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <immintrin.h>
#include <nlohmann/json.hpp>
#include <numeric>
#include <string>
#include <vector>

#include "attnlab/error.h"
#include "bench_args.h"
#include "core/cpu.h"
#include "core/float_buffer.h"
#include "core/thread_pool.h"
#include "fma_ceiling.h"
#include "model/transformer.h"
#include "ops/packed_linear.h"
#include "text/bert_tokenizer.h"

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Sums for the bandwidth probe: 32 floats per step in four 8-wide accumulators (AVX2 CPUs), or
// eight independent scalar chains the compiler vectorises with SSE.
__attribute__((target("avx2"))) float sum_avx2(const float* p, size_t n) {
  __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    a0 = _mm256_add_ps(a0, _mm256_loadu_ps(p + i));
    a1 = _mm256_add_ps(a1, _mm256_loadu_ps(p + i + 8));
    a2 = _mm256_add_ps(a2, _mm256_loadu_ps(p + i + 16));
    a3 = _mm256_add_ps(a3, _mm256_loadu_ps(p + i + 24));
  }
  float out[8];
  _mm256_storeu_ps(out, _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
  return std::accumulate(out, out + 8, 0.0f);
}
float sum_scalar(const float* p, size_t n) {
  float acc[8] = {};
  for (size_t i = 0; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; ++l) acc[l] += p[i + l];
  return std::accumulate(acc, acc + 8, 0.0f);
}

// Read bandwidth: sum a 1 GiB buffer (far larger than any cache) split over the pool's threads.
double read_bandwidth_gbs() {
  // A FloatBuffer this large is on 2 MB pages, like the packed weights (fewer TLB misses): the
  // floor should be the best the machine reads, not a figure the kernel beats with larger pages.
  const size_t n = (size_t{1} << 30) / sizeof(float);
  attnlab::FloatBuffer buf(n, 1.0f);
  std::vector<double> times;
  const int threads = attnlab::num_threads();
  const bool avx2 = attnlab::isa_supported(attnlab::Isa::kAvx2);
  volatile float sink = 0;
  for (int rep = 0; rep < 5; ++rep) {
    std::vector<float> partial(static_cast<size_t>(threads), 0.0f);
    const auto t0 = Clock::now();
    attnlab::parallel_for(threads, [&](int t) {
      const size_t begin = n / threads * t, end = t == threads - 1 ? n : n / threads * (t + 1);
      partial[t] = avx2 ? sum_avx2(&buf[begin], end - begin) : sum_scalar(&buf[begin], end - begin);
    });
    times.push_back(seconds_since(t0));
    sink = sink + partial[0];
  }
  return static_cast<double>(n * sizeof(float)) / *std::min_element(times.begin(), times.end()) / 1e9;
}

// Peak GEMM rates at a bert-base-sized product (512 x 768 -> 3072) with the pool's thread count:
// OpenBLAS sgemm and attnlab's packed kernel; the better of the two is the compute floor's rate.
double gemm_peak_gflops() {
  const int m = 512, k = 768, n = 3072;
  std::vector<float> a(static_cast<size_t>(m) * k, 0.5f), b(static_cast<size_t>(k) * n, 0.25f), c(static_cast<size_t>(m) * n);
  double best = 1e9;
  for (int rep = 0; rep < 10; ++rep) {
    const auto t0 = Clock::now();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f, a.data(), k, b.data(), k, 0.0f, c.data(), n);
    best = std::min(best, seconds_since(t0));
  }
  return 2.0 * m * n * k / best / 1e9;
}

double packed_peak_gflops() {
  const int m = 512, k = 768, n = 3072;
  std::vector<float> a(static_cast<size_t>(m) * k, 0.5f), b(static_cast<size_t>(k) * n, 0.25f), c(static_cast<size_t>(m) * n);
  const attnlab::PackedWeight w = attnlab::pack_weight(b.data(), n, k);
  double best = 1e9;
  for (int rep = 0; rep < 10; ++rep) {
    const auto t0 = Clock::now();
    attnlab::linear_packed(a.data(), m, w, nullptr, c.data());
    best = std::min(best, seconds_since(t0));
  }
  return 2.0 * m * n * k / best / 1e9;
}

constexpr const char* kUsage =
    "usage: attnlab_bench --model DIR --inputs inputs.json [--threads 2] [--repeats 20] [--no-bf16]\n"
    "       attnlab_bench --machine   (read bandwidth, GEMM peak and FMA ceilings only)\n"
    "  inputs.json: {\"latency\": {name: [token ids]}, \"corpus\": [texts]} (bench/run.py writes it);\n"
    "  prints one JSON object: latency per input, corpus throughput, --bf16 latency and error\n";

}  // namespace

int main(int argc, char** argv) try {
  using attnlab::bench::arg;
  using attnlab::bench::flag;
  attnlab::bench::help(argc, argv, kUsage);
  const int threads = std::stoi(arg(argc, argv, "--threads", "2"));
  attnlab::set_num_threads(threads);
  openblas_set_num_threads(threads);
  nlohmann::json result;
  result["threads"] = threads;
  result["isa"] = attnlab::isa_name(attnlab::active_isa());  // kernel build in use ($ATTNLAB_ISA forces one)
  if (flag(argc, argv, "--machine")) {
    result["read_bandwidth_gbs"] = read_bandwidth_gbs();
    result["openblas_sgemm_gflops"] = gemm_peak_gflops();
    result["attnlab_gemm_gflops"] = packed_peak_gflops();
    result["gemm_peak_gflops"] = std::max(result["openblas_sgemm_gflops"].get<double>(), result["attnlab_gemm_gflops"].get<double>());
    result["fma_peak_gflops"] = attnlab::bench::fma_ceiling_gflops(256);
    result["fma_peak_gflops_512"] = attnlab::bench::fma_ceiling_gflops(512);
    std::printf("%s\n", result.dump().c_str());
    return 0;
  }
  const std::string model_dir = attnlab::bench::required(argc, argv, "--model", kUsage);
  const int repeats = std::stoi(arg(argc, argv, "--repeats", "20"));
  const auto inputs = attnlab::bench::read_json(attnlab::bench::required(argc, argv, "--inputs", kUsage));

  const auto t_load = Clock::now();
  const attnlab::TransformerModel model = attnlab::load_model(model_dir);
  const attnlab::BertTokenizer tokenizer = attnlab::BertTokenizer::from_directory(model_dir);
  result["load_seconds"] = seconds_since(t_load);

  // Latency: one forward pass returning every attention matrix, on fixed token ids.
  nlohmann::json latency = nlohmann::json::object();
  for (const auto& [name, ids_json] : inputs["latency"].items()) {
    const auto ids = ids_json.get<std::vector<int>>();
    const std::vector<int> types(ids.size(), 0);
    (void)attnlab::forward(model, ids, types);  // warm-up
    std::vector<double> times;
    const int reps = ids.size() > 256 ? std::max(3, repeats / 4) : repeats;
    for (int r = 0; r < reps; ++r) {
      const auto t0 = Clock::now();
      const auto out = attnlab::forward(model, ids, types);
      times.push_back(seconds_since(t0));
      if (out.attentions.empty()) return 1;
    }
    latency[name] = {{"median_ms", median(times) * 1e3}, {"min_ms", *std::min_element(times.begin(), times.end()) * 1e3}};
  }
  result["latency"] = latency;

  // Throughput: tokenize + forward for every sentence of the corpus, 32 sentences per packed batch
  // (no padding work), every attention matrix returned.
  const auto corpus = inputs["corpus"].get<std::vector<std::string>>();
  const auto t0 = Clock::now();
  size_t checksum = 0;
  constexpr size_t kBatch = 32;
  for (size_t i = 0; i < corpus.size(); i += kBatch) {
    std::vector<attnlab::Encoding> batch;
    for (size_t j = i; j < std::min(corpus.size(), i + kBatch); ++j)
      batch.push_back(tokenizer.encode(corpus[j], std::nullopt, model.spec.max_positions));
    for (const auto& out : attnlab::forward_batch(model, batch)) checksum += out.attentions.view().size();
  }
  const double corpus_s = seconds_since(t0);
  // Reduced precision (--bf16): the notebook sentence's latency and the attention error it causes
  // (--no-bf16 skips it, e.g. to profile the float32 passes alone).
  if (!flag(argc, argv, "--no-bf16")) {
    const attnlab::TransformerModel half = attnlab::load_model(model_dir, attnlab::LoadOptions{true});
    std::string name = inputs["latency"].begin().key();
    for (const auto& [key, value] : inputs["latency"].items())
      if (key.find("notebook") != std::string::npos) name = key;
    const auto ids = inputs["latency"][name].get<std::vector<int>>();
    const std::vector<int> types(ids.size(), 0);
    const auto ref = attnlab::forward(model, ids, types);
    (void)attnlab::forward(half, ids, types);
    std::vector<double> times;
    attnlab::Result out;
    for (int r = 0; r < repeats; ++r) {
      const auto t1 = Clock::now();
      out = attnlab::forward(half, ids, types);
      times.push_back(seconds_since(t1));
    }
    double max_err = 0;
    const auto got = out.attentions.view().span(), want = ref.attentions.view().span();
    for (size_t i = 0; i < got.size(); ++i) max_err = std::max(max_err, static_cast<double>(std::abs(got[i] - want[i])));
    result["bf16"] = {{"input", name}, {"median_ms", median(times) * 1e3},
                      {"min_ms", *std::min_element(times.begin(), times.end()) * 1e3},
                      {"max_attention_error_vs_fp32", max_err}};
  }
  result["corpus"] = {{"sentences", corpus.size()}, {"seconds", corpus_s},
                      {"sentences_per_second", static_cast<double>(corpus.size()) / corpus_s},
                      {"attention_floats", checksum}};
  std::printf("%s\n", result.dump().c_str());
  return 0;
} catch (const std::exception& e) {
  return attnlab::bench::fail("attnlab_bench", e);
}
