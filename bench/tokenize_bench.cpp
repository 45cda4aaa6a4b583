// attnlab's side of the tokenizer benchmark (bench/tokenize_bench.py): every line of a corpus encoded
// through a tokenizer.json (HfTokenizer, offsets included, as tokenizers' encode_batch computes them) or
// through a BERT model directory's tokenizer (the engine's), on N threads, timed without loading.
//   attnlab_tokenize_bench (--tokenizer FILE | --bert-dir DIR) --input CORPUS [--threads 1] [--rounds 3]
// prints one JSON line: {"texts", "tokens", "seconds": [per round]}.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "attnlab/tokenizer.h"
#include "bench_args.h"
#include "text/bert_tokenizer.h"

using attnlab::bench::arg;

constexpr const char* kUsage =
    "usage: attnlab_tokenize_bench (--tokenizer FILE | --bert-dir DIR) --input CORPUS [--threads 1] [--rounds 3]\n"
    "  encodes every non-empty line of CORPUS ROUNDS times on THREADS threads; prints seconds per round\n";

int main(int argc, char** argv) try {
  attnlab::bench::help(argc, argv, kUsage);
  const std::string tokenizer = arg(argc, argv, "--tokenizer", "");
  const std::string bert_dir = arg(argc, argv, "--bert-dir", "");
  const std::string input = attnlab::bench::required(argc, argv, "--input", kUsage);
  const int threads = std::stoi(arg(argc, argv, "--threads", "1"));
  const int rounds = std::stoi(arg(argc, argv, "--rounds", "3"));
  if (tokenizer.empty() == bert_dir.empty()) {
    std::fprintf(stderr, "%s: give one of --tokenizer or --bert-dir\n%s", argv[0], kUsage);
    return 2;
  }
  std::vector<std::string> texts;
  std::ifstream in(input);
  if (!in) throw std::runtime_error(input + ": cannot read");
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) texts.push_back(line);

  std::optional<attnlab::HfTokenizer> hf;
  std::optional<attnlab::BertTokenizer> bert;
  if (!tokenizer.empty()) hf = attnlab::HfTokenizer::open(tokenizer);
  else bert = attnlab::BertTokenizer::from_directory(bert_dir);

  std::vector<double> seconds;
  size_t tokens = 0;
  for (int r = 0; r < rounds; ++r) {
    std::atomic<size_t> next{0}, count{0};
    auto work = [&] {
      size_t local = 0;
      for (size_t i; (i = next.fetch_add(1)) < texts.size();)
        local += hf ? hf->encode(texts[i]).size() : bert->encode(texts[i]).size();
      count += local;
    };
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back(work);
    work();
    for (auto& th : pool) th.join();
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    tokens = count;
  }
  nlohmann::json out = {{"texts", texts.size()}, {"tokens", tokens}, {"threads", threads}, {"seconds", seconds}};
  std::printf("%s\n", out.dump().c_str());
  return 0;
} catch (const std::exception& e) {
  return attnlab::bench::fail(argv[0], e);
}
