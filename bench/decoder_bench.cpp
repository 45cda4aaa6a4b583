// attnlab's side of the decoder benchmark (bench/decoder_bench.py puts it beside transformers' eager fp32
// LlamaForCausalLM, output_attentions=True; issue 32 "Speed"): Engine::run on fixed token ids through the
// public API, every attention kept (Result::attentions) and the last position's logits computed
// (Result::logits), one warm-up pass, then `rounds` timed passes.
//
//   attnlab_decoder_bench --model DIR|FILE.gguf --tokens N [--rounds 5] [--threads 2] [--dequantize]
//
// The ids are ids[i] = (i * 7919 + 13) % vocab_size, i = 0..N-1: the same generator as decoder_bench.py's
// transformers side (both derive them; no file passes between them). Prints one JSON object:
//   {"tokens": N, "seconds": [...], "load_seconds": ..., "threads": T, "isa": "...",
//    "ids_sum": ..., "attention_sum": ..., "logits_sample": [...], "argmax": ..., "peak_rss_kb": ...}
// (peak_rss_kb: the process's VmHWM at the end, weights and the largest pass included).
// attention_sum (every probability of the warm-up pass added up: layers x heads x N when each row sums to
// 1), logits_sample (the last position's logits at ids k * vocab / 8, k = 0..7) and argmax let the driver
// check that both sides computed the same thing.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include "attnlab/engine.h"
#include "attnlab/error.h"
#include "bench_args.h"

namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kUsage =
    "usage: attnlab_decoder_bench --model DIR|FILE.gguf --tokens N [--rounds 5] [--threads 2] [--dequantize]\n"
    "  Engine::run on ids[i] = (i * 7919 + 13) % vocab_size (every attention, last-position logits):\n"
    "  one warm-up pass, then prints {\"tokens\": N, \"seconds\": [...], ...} of `rounds` timed passes\n";

// The benchmark's token ids; decoder_bench.py's bench_ids() is the same formula.
std::vector<int> bench_ids(int n, int vocab) {
  std::vector<int> ids(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) ids[static_cast<size_t>(i)] = static_cast<int>((static_cast<long long>(i) * 7919 + 13) % vocab);
  return ids;
}

// A JSON number, or null when not finite (a broken pass must not make the whole line unparsable).
std::string num(double v, const char* fmt = "%.9g") {
  if (!std::isfinite(v)) return "null";
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

// Reads one value of each output, so no pass can be skipped as unused.
double touch(const attnlab::Result& r) {
  double t = 0;
  const std::span<const float> att = r.attentions.view().span();
  if (!att.empty()) t += att.back();
  const std::span<const float> logits = r.last_logits();
  if (!logits.empty()) t += logits.front();
  return t;
}

// VmHWM of /proc/self/status in kB (0 where unreadable).
long peak_rss_kb() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return 0;
  char line[256];
  long kb = 0;
  while (std::fgets(line, sizeof line, f))
    if (std::sscanf(line, "VmHWM: %ld kB", &kb) == 1) break;
  std::fclose(f);
  return kb;
}

}  // namespace

int main(int argc, char** argv) try {
  using attnlab::bench::arg;
  attnlab::bench::help(argc, argv, kUsage);
  const std::string model = attnlab::bench::required(argc, argv, "--model", kUsage);
  const int tokens = std::stoi(attnlab::bench::required(argc, argv, "--tokens", kUsage));
  const int rounds = std::stoi(arg(argc, argv, "--rounds", "5"));
  if (tokens < 1 || rounds < 1) {
    std::fprintf(stderr, "attnlab_decoder_bench: --tokens and --rounds must be at least 1\n%s", kUsage);
    return 2;
  }
  attnlab::EngineOptions options;
  options.threads = std::stoi(arg(argc, argv, "--threads", "2"));
  for (int i = 1; i < argc; ++i)
    if (std::string(argv[i]) == "--dequantize") options.dequantize = true;

  const auto t_load = Clock::now();
  const attnlab::Engine engine = attnlab::Engine::open(model, options);
  const double load_seconds = std::chrono::duration<double>(Clock::now() - t_load).count();
  const attnlab::ModelInfo& info = engine.info();

  const std::vector<int> ids = bench_ids(tokens, info.vocab_size);
  long long ids_sum = 0;
  for (int id : ids) ids_sum += id;
  const attnlab::Encoding enc = engine.encode_ids(ids);

  // Warm-up: also the pass whose outputs are checked (attention rows sum to 1; logits against transformers'),
  // released before the timed passes (at 2048 tokens its attentions are 4.5 GB).
  double attention_sum = 0;
  std::vector<float> sample;
  long argmax = 0;
  volatile double sink = 0;
  {
    const attnlab::Result warm = engine.run(enc);
    const std::span<const float> logits = warm.last_logits();
    if (warm.attentions.empty() || logits.empty()) {
      std::fprintf(stderr, "attnlab_decoder_bench: %s returned no attentions or no logits\n", model.c_str());
      return 1;
    }
    for (float p : warm.attentions.view().span()) attention_sum += p;
    for (size_t k = 0; k < 8; ++k) sample.push_back(logits[k * logits.size() / 8]);
    argmax = std::max_element(logits.begin(), logits.end()) - logits.begin();
    sink = touch(warm);
  }

  std::vector<double> seconds;
  for (int r = 0; r < rounds; ++r) {
    const auto t0 = Clock::now();
    const attnlab::Result out = engine.run(enc);
    seconds.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    if (out.attentions.empty() || out.logits.empty()) return 1;
    sink = sink + touch(out);
  }

  std::printf("{\"tokens\": %d, \"seconds\": [", tokens);
  for (size_t i = 0; i < seconds.size(); ++i) std::printf("%s%.9f", i ? ", " : "", seconds[i]);
  std::printf("], \"load_seconds\": %.6f, \"threads\": %d, \"isa\": \"%s\", \"ids_sum\": %lld, "
              "\"attention_sum\": %s, \"logits_sample\": [",
              load_seconds, options.threads, attnlab::isa_name().c_str(), ids_sum, num(attention_sum, "%.6f").c_str());
  for (size_t i = 0; i < sample.size(); ++i) std::printf("%s%s", i ? ", " : "", num(static_cast<double>(sample[i])).c_str());
  std::printf("], \"argmax\": %ld, \"touch\": %s, \"peak_rss_kb\": %ld}\n", argmax, num(sink).c_str(), peak_rss_kb());
  return 0;
} catch (const std::exception& e) {
  return attnlab::bench::fail("attnlab_decoder_bench", e);
}
