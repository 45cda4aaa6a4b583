// attnlab's side of the attribution-method benchmark (bench/methods_bench.py drives it; `make bench`):
// seconds per sentence of analyze() (forward pass included) for each method, best of the rounds.
//   attnlab_methods_bench --model DIR --inputs inputs.json [--threads 2] [--rounds 3]
// inputs.json: {"texts": [...], "methods": ["rollout", ...]}; prints {"<method>": seconds, ...}.
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "attnlab/analysis.h"
#include "attnlab/error.h"
#include "bench_args.h"

using attnlab::bench::arg;

constexpr const char* kUsage =
    "usage: attnlab_methods_bench --model DIR --inputs inputs.json [--threads 2] [--rounds 3]\n"
    "  inputs.json: {\"texts\": [...], \"methods\": [\"rollout\", ...]}; prints {\"<method>\": seconds, ...}\n";

int main(int argc, char** argv) try {
  attnlab::bench::help(argc, argv, kUsage);
  attnlab::EngineOptions options;
  options.threads = std::stoi(arg(argc, argv, "--threads", "2"));
  const std::string model = attnlab::bench::required(argc, argv, "--model", kUsage);
  const int rounds = std::stoi(arg(argc, argv, "--rounds", "3"));
  const nlohmann::json inputs = attnlab::bench::read_json(attnlab::bench::required(argc, argv, "--inputs", kUsage));
  const attnlab::Engine engine = attnlab::Engine::open(model, options);
  std::vector<attnlab::Encoding> encodings;
  for (const auto& t : inputs.at("texts")) encodings.push_back(engine.encode(t.get<std::string>()));
  nlohmann::json out;
  for (const auto& name : inputs.at("methods")) {
    const attnlab::Method method = attnlab::parse_method(name.get<std::string>());
    (void)attnlab::analyze(engine, encodings[0], method);  // warm-up
    double best = 1e300;
    for (int r = 0; r < rounds; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      for (const attnlab::Encoding& e : encodings) (void)attnlab::analyze(engine, e, method);
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      best = std::min(best, s / static_cast<double>(encodings.size()));
    }
    out[name.get<std::string>()] = best;
  }
  std::printf("%s\n", out.dump().c_str());
  return 0;
} catch (const std::exception& e) {
  return attnlab::bench::fail("attnlab_methods_bench", e);
}
