// The regular expressions of tokenizer.json (Split and Replace patterns, ByteLevel's GPT-2 split),
// matched as tokenizers matches them (its SysRegex: Oniguruma's find_iter over UTF-8 text).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace attnlab {

class Regex {
 public:
  // Compiles `pattern` (Oniguruma/Perl syntax as tokenizer.json writes it). Throws attnlab::Error
  // (kExitInput) naming `what` (e.g. "tokenizer.json: pre_tokenizer.pretokenizers[0].pattern.Regex")
  // and the pattern when it does not compile or uses a construct this engine refuses.
  Regex(std::string_view pattern, std::string_view what);
  // Which matcher serves find_all. kAuto: the hand-written one where it is known to be identical and
  // faster (see regex.cpp), PCRE2 otherwise. The others force one, for tests and benchmarks;
  // kHandWritten throws attnlab::Error for a pattern no hand-written matcher knows.
  enum class Engine { kAuto, kPcre2, kHandWritten };
  Regex(std::string_view pattern, std::string_view what, Engine engine);
  Regex(const Regex&) = default;
  Regex& operator=(const Regex&) = default;
  Regex(Regex&&) noexcept = default;
  Regex& operator=(Regex&&) noexcept = default;
  ~Regex();

  // Appends every non-overlapping match in `text` (valid UTF-8), left to right, as byte ranges
  // [start, end), exactly the (start, end) pairs tokenizers' SysRegex::find_iter yields (empty matches
  // included, as Oniguruma gives them). Safe to call from many threads at once. Throws attnlab::Error
  // (kExitInput) naming the pattern when the engine gives up (its match or depth limit: a
  // catastrophic pattern), never runs unbounded; likewise when `text` is not valid UTF-8.
  void find_all(std::string_view text, std::vector<std::pair<size_t, size_t>>& out) const;

  const std::string& pattern() const;
  // True when a hand-written matcher serves this pattern instead of the general engine.
  bool hand_written() const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

}  // namespace attnlab
