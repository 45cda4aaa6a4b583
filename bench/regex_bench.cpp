// The pre-tokenizer regexes (text/regex.h) single-threaded: PCRE2's JIT against the hand-written matcher
// for each known pattern, on a deterministic corpus of mixed English, code, digits, CJK, Arabic and
// emoji, in alternating runs (so drift in the machine's speed hits both alike).
//   attnlab_regex_bench [--mb 4] [--rounds 5]
// prints one JSON line per pattern: MB/s of each run per engine, and whether both found the same matches.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "attnlab/error.h"
#include "bench_args.h"
#include "text/regex.h"

using attnlab::Regex;
using attnlab::bench::arg;

constexpr const char* kUsage =
    "usage: attnlab_regex_bench [--mb 4] [--rounds 5]\n"
    "  find_all of the GPT-2, Llama 3 and Qwen2 pre-tokenizer patterns over a generated corpus of MB\n"
    "  megabytes, PCRE2 JIT and hand-written matcher alternately ROUNDS times; prints MB/s per run\n";

namespace {

// xorshift64*: the same corpus on every machine.
struct Rng {
  uint64_t s = 0x9E3779B97F4A7C15ULL;
  uint64_t next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 0x2545F4914F6CDD1DULL;
  }
  size_t below(size_t n) { return static_cast<size_t>(next() % n); }
};

std::string corpus(size_t bytes) {
  const std::vector<std::string> english = {"the",     "of",    "and",   "attention", "transformer", "model",
                                            "layer",   "head",  "token", "is",        "it's",        "don't",
                                            "they'll", "I'm",   "we've", "you're",    "she'd",       "HELLO",
                                            "World",   "naïve", "café",  "résumé",    "Straße"};
  const std::vector<std::string> code = {"def forward(self, x):\n",
                                         "    return torch.softmax(q @ k.T / math.sqrt(d), dim=-1)\n",
                                         "for (size_t i = 0; i < n; ++i) {\n",
                                         "\tsum += a[i] * b[i];\n",
                                         "}\n",
                                         "#include <vector>\n",
                                         "if (x != nullptr && y->z) { return -1; }\n",
                                         "    // TODO: handle the edge case\n"};
  const std::vector<std::string> other = {"注意力机制是一种",
                                          "自然言語処理の研究",
                                          "ひらがなとカタカナ",
                                          "한국어 문장입니다",
                                          "مرحبا بالعالم",
                                          "नमस्ते दुनिया",
                                          "Привет, мир",
                                          "👋",
                                          "👨‍👩‍👧‍👦",
                                          "🎉🎉",
                                          "❤️",
                                          "2024",
                                          "3.14159",
                                          "1,000,000",
                                          "42",
                                          "  ",
                                          "\n\n",
                                          "\r\n",
                                          "\t",
                                          "...",
                                          "!?",
                                          "—",
                                          "“quoted”",
                                          "(parenthesized)",
                                          "e\u0301"};
  Rng rng;
  std::string text;
  text.reserve(bytes + 64);
  while (text.size() < bytes) {
    const size_t kind = rng.below(10);
    if (kind < 6) {
      text += english[rng.below(english.size())];
    } else if (kind < 8) {
      text += code[rng.below(code.size())];
    } else {
      text += other[rng.below(other.size())];
    }
    text += rng.below(8) == 0 ? (rng.below(2) ? ".\n" : ", ") : " ";
  }
  return text;
}

double mb_per_s(const Regex& re, const std::string& text, std::vector<std::pair<size_t, size_t>>& out) {
  out.clear();
  const auto t0 = std::chrono::steady_clock::now();
  re.find_all(text, out);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return static_cast<double>(text.size()) / 1e6 / s;
}

std::string list(const std::vector<double>& v) {
  std::string s;
  for (double x : v) s += (s.empty() ? "" : ", ") + std::to_string(x);
  return "[" + s + "]";
}

}  // namespace

int main(int argc, char** argv) try {
  attnlab::bench::help(argc, argv, kUsage);
  const double mb = std::stod(arg(argc, argv, "--mb", "4"));
  const int rounds = std::stoi(arg(argc, argv, "--rounds", "5"));
  const std::string text = corpus(static_cast<size_t>(mb * 1e6));
  const std::vector<std::pair<const char*, const char*>> patterns = {
      {"gpt2", R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)"},
      {"llama3",
       R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)"},
      {"qwen2",
       R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)"}};
  for (const auto& [name, pattern] : patterns) {
    const Regex pcre2(pattern, name, Regex::Engine::kPcre2), hand(pattern, name, Regex::Engine::kHandWritten);
    std::vector<std::pair<size_t, size_t>> a, b;
    std::vector<double> pcre2_mbs, hand_mbs;
    (void)mb_per_s(pcre2, text, a);  // warm-up: JIT stack, class tables, page faults
    (void)mb_per_s(hand, text, b);
    for (int r = 0; r < rounds; ++r) {
      pcre2_mbs.push_back(mb_per_s(pcre2, text, a));
      hand_mbs.push_back(mb_per_s(hand, text, b));
    }
    std::printf(
        "{\"pattern\": \"%s\", \"bytes\": %zu, \"matches\": %zu, \"identical\": %s, \"pcre2_jit_mb_s\": %s, "
        "\"hand_mb_s\": %s}\n",
        name, text.size(), a.size(), a == b ? "true" : "false", list(pcre2_mbs).c_str(), list(hand_mbs).c_str());
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
  return 1;
}
