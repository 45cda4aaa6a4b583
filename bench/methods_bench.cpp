// attnlab's side of the attribution-method benchmark (bench/methods_bench.py drives it; `make bench`):
// seconds per sentence of analyze() (forward pass included) for each method, best of the rounds.
//   attnlab_methods_bench --model DIR --inputs inputs.json [--threads 2] [--rounds 3]
// inputs.json: {"texts": [...], "methods": ["rollout", ...]}; prints {"<method>": seconds, ...}.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "attnlab/analysis.h"
#include "attnlab/error.h"
#include "bench_args.h"

using attnlab::bench::arg;

int main(int argc, char** argv) try {
  attnlab::EngineOptions options;
  options.threads = std::stoi(arg(argc, argv, "--threads", "2"));
  const attnlab::Engine engine = attnlab::Engine::open(arg(argc, argv, "--model", ""), options);
  const int rounds = std::stoi(arg(argc, argv, "--rounds", "3"));
  std::ifstream in(arg(argc, argv, "--inputs", ""));
  const nlohmann::json inputs = nlohmann::json::parse(in);
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
} catch (const attnlab::Error& e) {
  std::fprintf(stderr, "attnlab_methods_bench: error: %s\n", e.what());
  return e.exit_code();
}
