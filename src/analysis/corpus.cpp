// Corpus runs: input lines, per-layer reductions, exact totals and their files (see attnlab/corpus.h).
#include "attnlab/corpus.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <exception>
#include <nlohmann/json.hpp>

#include "attnlab/error.h"
#include "attnlab/json_writer.h"
#include "core/thread_pool.h"

namespace attnlab {

// ---------------------------------------------------------------------------------------------------
// Input.

CorpusFormat corpus_format_from_name(std::string_view name) {
  if (name == "auto") return CorpusFormat::kAuto;
  if (name == "text") return CorpusFormat::kText;
  if (name == "jsonl") return CorpusFormat::kJsonl;
  throw Error("unknown input format '" + std::string(name) + "'; expected auto, text or jsonl", kExitUsage);
}

namespace {

constexpr size_t kReadChunk = size_t{1} << 16;

bool is_blank(std::string_view s) {
  return s.find_first_not_of(" \t\r\n\v\f") == std::string_view::npos;
}

std::string where(long long line) { return "line " + std::to_string(line + 1) + ": "; }

}  // namespace

CorpusReader::CorpusReader(std::FILE* in, std::string name, CorpusFormat format)
    : in_(in), name_(std::move(name)), format_(format) {}

// One line without its '\n' into `line`; a line past kMaxCorpusLineBytes is read to its end but not
// kept (too_long). False at the end of the input.
bool CorpusReader::read_line(std::string& line, bool& too_long) {
  line.clear();
  too_long = false;
  bool any = false;
  char chunk[kReadChunk];
  for (;;) {
    // getc up to the newline: fgets would lose the bytes after a NUL.
    int c;
    size_t got = 0;
    while (got < kReadChunk && (c = std::getc(in_)) != EOF) {
      any = true;
      if (c == '\n') break;
      chunk[got++] = static_cast<char>(c);
    }
    if (!too_long) {
      if (line.size() + got > kMaxCorpusLineBytes) {
        too_long = true;
        line.clear();
        line.shrink_to_fit();
      } else {
        line.append(chunk, got);
      }
    }
    if (got < kReadChunk) break;  // a newline or the end
  }
  if (std::ferror(in_)) throw Error("cannot read " + name_ + ": " + std::strerror(errno), kExitIo);
  return any;
}

bool CorpusReader::next(CorpusRecord& r) {
  std::string line;
  bool too_long = false;
  for (;; ++line_) {
    if (!read_line(line, too_long)) return false;
    if (line_ == 0 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);  // UTF-8 byte order mark
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (too_long || !is_blank(line)) break;
  }
  r = CorpusRecord{};
  r.line = line_++;
  r.index = index_++;
  r.id = std::to_string(r.line);
  if (format_ == CorpusFormat::kAuto && !too_long)
    format_ = line[line.find_first_not_of(" \t")] == '{' ? CorpusFormat::kJsonl : CorpusFormat::kText;
  if (too_long) {
    r.error = where(r.line) + "longer than " + std::to_string(kMaxCorpusLineBytes >> 20) + " MiB";
    return true;
  }
  if (format_ != CorpusFormat::kJsonl) {
    r.text = std::move(line);
    return true;
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(line);
  } catch (const nlohmann::json::parse_error& e) {
    r.error = where(r.line) + "not valid JSON (at byte " + std::to_string(e.byte) + ")";
    return true;
  }
  if (!j.is_object()) {
    r.error = where(r.line) + "expected a JSON object {\"id\", \"text\", \"pair\"}, got " + j.type_name();
    return true;
  }
  if (const auto id = j.find("id"); id != j.end()) {
    if (!id->is_string() && !id->is_number()) {
      r.error = where(r.line) + "\"id\" must be a string or a number, got " + id->type_name();
      return true;
    }
    r.id = id->dump();
  }
  const auto text = j.find("text");
  if (text == j.end() || !text->is_string()) {
    r.error = where(r.line) + "\"text\" must be a string, got " + (text == j.end() ? "nothing" : text->type_name());
    return true;
  }
  r.text = text->get<std::string>();
  if (const auto pair = j.find("pair"); pair != j.end() && !pair->is_null()) {
    if (!pair->is_string()) {
      r.error = where(r.line) + "\"pair\" must be a string or null, got " + pair->type_name();
      return true;
    }
    r.pair = pair->get<std::string>();
  }
  return true;
}

long long count_corpus_records(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return -1;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return -1;
  long long count = 0;
  bool blank = true;
  char buf[kReadChunk];
  size_t got;
  while ((got = std::fread(buf, 1, sizeof buf, f)) > 0) {
    for (size_t i = 0; i < got; ++i) {
      const char c = buf[i];
      if (c == '\n') {
        count += !blank;
        blank = true;
      } else if (!std::strchr(" \t\r\v\f", c) || c == '\0') {
        blank = false;
      }
    }
  }
  count += !blank;
  std::fclose(f);
  return count;
}

// ---------------------------------------------------------------------------------------------------
// Reductions.

namespace {
constexpr std::pair<std::string_view, CorpusReduction> kReductions[] = {
    {"head-stats", kReduceHeadStats}, {"cls-row", kReduceClsRow}, {"rollout-cls", kReduceRolloutCls},
    {"heads", kReduceHeads}};
}

unsigned parse_corpus_reductions(std::string_view list) {
  unsigned set = 0;
  size_t start = 0;
  while (start <= list.size()) {
    const size_t comma = std::min(list.find(',', start), list.size());
    const std::string_view name = list.substr(start, comma - start);
    const auto it = std::find_if(std::begin(kReductions), std::end(kReductions),
                                 [&](const auto& r) { return r.first == name; });
    if (it == std::end(kReductions)) {
      std::string known;
      for (const auto& r : kReductions) known += (known.empty() ? "" : ", ") + std::string(r.first);
      throw Error("--reduce: unknown reduction '" + std::string(name) + "'; expected a comma-separated list of " +
                      known,
                  kExitUsage);
    }
    set |= it->second;
    start = comma + 1;
  }
  return set;
}

std::string corpus_reduction_list(unsigned reductions) {
  std::string out;
  for (const auto& r : kReductions)
    if (reductions & r.second) out.append(out.empty() ? "" : ",").append(r.first);
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Exact sums: 128-bit integers of 2^-64 units.

namespace {

__extension__ typedef __int128 Int128;
__extension__ typedef unsigned __int128 UInt128;

Int128 join(std::uint64_t lo, std::uint64_t hi) { return static_cast<Int128>((static_cast<UInt128>(hi) << 64) | lo); }

}  // namespace

void ExactSum::add(double v) {
  if (!(std::abs(v) < 0x1p62))
    throw Error("ExactSum: addend " + std::to_string(v) + " is not a finite number below 2^62");
  // v * 2^64 is exact (a power of two); nearbyint rounds half to even in the default rounding mode.
  const auto units = static_cast<Int128>(std::nearbyint(v * 0x1p64));
  const auto total = static_cast<UInt128>(join(lo_, hi_) + units);
  lo_ = static_cast<std::uint64_t>(total);
  hi_ = static_cast<std::uint64_t>(total >> 64);
}

void ExactSum::add(const ExactSum& other) {
  const auto total = static_cast<UInt128>(join(lo_, hi_) + join(other.lo_, other.hi_));
  lo_ = static_cast<std::uint64_t>(total);
  hi_ = static_cast<std::uint64_t>(total >> 64);
}

double ExactSum::value() const {
  // The 128-bit integer converts with one rounding (to nearest, half to even); the scaling is exact.
  return std::ldexp(static_cast<double>(join(lo_, hi_)), -64);
}

std::string ExactSum::to_string() const {
  const Int128 v = join(lo_, hi_);
  UInt128 mag = v < 0 ? static_cast<UInt128>(-(v + 1)) + 1 : static_cast<UInt128>(v);
  std::string digits;
  do {
    digits.push_back(static_cast<char>('0' + static_cast<int>(mag % 10)));
    mag /= 10;
  } while (mag != 0);
  if (v < 0) digits.push_back('-');
  return {digits.rbegin(), digits.rend()};
}

ExactSum ExactSum::from_string(std::string_view text, const std::string& what) {
  const bool negative = !text.empty() && text[0] == '-';
  const std::string_view digits = text.substr(negative ? 1 : 0);
  const UInt128 limit = static_cast<UInt128>(1) << 127;  // |INT128_MIN|
  UInt128 mag = 0;
  bool ok = !digits.empty() && digits.size() <= 39;
  for (char c : digits) {
    if (c < '0' || c > '9') ok = false;
    if (!ok) break;
    mag = mag * 10 + static_cast<unsigned>(c - '0');
    if (mag > limit) ok = false;
  }
  if (!ok || (!negative && mag == limit))
    throw Error(what + ": expected a decimal 128-bit integer, got '" + std::string(text.substr(0, 48)) + "'",
                kExitInput);
  const UInt128 bits = negative ? ~mag + 1 : mag;
  ExactSum s;
  s.lo_ = static_cast<std::uint64_t>(bits);
  s.hi_ = static_cast<std::uint64_t>(bits >> 64);
  return s;
}

// ---------------------------------------------------------------------------------------------------
// Totals.

namespace {

// ["cls", "sep", ...]: the order of head_sums in aggregate.json.
nlohmann::json names_json(HeadStatNames names) {
  nlohmann::json j = nlohmann::json::array();
  for (std::string_view n : names) j.push_back(std::string(n));
  return j;
}

}  // namespace

CorpusTotals::CorpusTotals(int layers, int heads, bool causal)
    : layers_(layers),
      heads_(heads),
      causal_(causal),
      head_sums_(static_cast<size_t>(layers) * heads * kNumHeadStats) {}

void CorpusTotals::add_head_scores(const HeadScores& scores) {
  const size_t count = static_cast<size_t>(layers_) * heads_;
  if (scores.layers != layers_ || scores.heads != heads_)
    throw Error("CorpusTotals::add_head_scores: scores of " + std::to_string(scores.layers) + " x " +
                std::to_string(scores.heads) + " heads for " + std::to_string(layers_) + " x " + std::to_string(heads_));
  if (score_sums_.empty()) {
    score_sums_.resize((kNumHeadScores - 1) * count);
    score_tokens_.assign((kNumHeadScores - 1) * count, 0);
  }
  const double weight = scores.tokens;
  for (size_t k = 0; k + 1 < static_cast<size_t>(kNumHeadScores); ++k)
    for (size_t q = 0; q < count; ++q) {
      const double v = scores.scores[k][q];
      if (!std::isfinite(v)) continue;
      score_sums_[k * count + q].add(weight * v);
      score_tokens_[k * count + q] += scores.tokens;
    }
}

HeadScores CorpusTotals::head_score_means() const {
  HeadScores out;
  out.layers = layers_;
  out.heads = heads_;
  out.tokens = static_cast<int>(std::min<long long>(tokens_, 0x7fffffff));
  if (score_sums_.empty()) return out;
  const size_t count = static_cast<size_t>(layers_) * heads_;
  out.scores.assign(kNumHeadScores, {});
  for (size_t k = 0; k + 1 < static_cast<size_t>(kNumHeadScores); ++k) {
    out.scores[k].resize(count);
    for (size_t q = 0; q < count; ++q) {
      const long long n = score_tokens_[k * count + q];
      out.scores[k][q] = n > 0 ? score_sums_[k * count + q].value() / static_cast<double>(n) : std::nan("");
    }
  }
  return out;
}

void CorpusTotals::add_text(const Encoding& input, std::span<const HeadStats> heads, std::span<const double> received) {
  const size_t n = input.size(), layers = static_cast<size_t>(layers_);
  if (heads.size() != head_sums_.size() / kNumHeadStats || received.size() != layers * n)
    throw Error("CorpusTotals::add_text: got " + std::to_string(heads.size()) + " heads and " +
                std::to_string(received.size()) + " received values for " + std::to_string(n) + " tokens");
  ++texts_;
  tokens_ += static_cast<long long>(n);
  truncated_ += input.truncated;
  const double weight = static_cast<double>(n);
  for (size_t i = 0; i < heads.size(); ++i)
    for (int k = 0; k < kNumHeadStats; ++k) head_sums_[i * kNumHeadStats + k].add(weight * head_stat(heads[i], k));
  for (size_t j = 0; j < n; ++j) {
    TokenTotals& t = by_token_[input.input_ids[j]];
    if (t.received.empty()) {
      t.token = input.tokens[j];
      t.received.resize(layers);
    }
    ++t.count;
    for (size_t l = 0; l < layers; ++l) t.received[l].add(received[l * n + j]);
  }
}

void CorpusTotals::merge(const CorpusTotals& other) {
  if (other.layers_ != layers_ || other.heads_ != heads_)
    throw Error("cannot merge totals of " + std::to_string(other.layers_) + " layers x " +
                    std::to_string(other.heads_) + " heads into " + std::to_string(layers_) + " x " +
                    std::to_string(heads_),
                kExitInput);
  if (other.causal_ != causal_)
    throw Error("cannot merge totals of head statistics " + names_json(other.stat_names()).dump() + " into " +
                    names_json(stat_names()).dump() + " (a decoder's and an encoder's)",
                kExitInput);
  texts_ += other.texts_;
  failed_ += other.failed_;
  tokens_ += other.tokens_;
  truncated_ += other.truncated_;
  for (size_t i = 0; i < head_sums_.size(); ++i) head_sums_[i].add(other.head_sums_[i]);
  if (!other.score_sums_.empty()) {
    if (score_sums_.empty()) {
      score_sums_.resize(other.score_sums_.size());
      score_tokens_.assign(other.score_tokens_.size(), 0);
    }
    for (size_t i = 0; i < score_sums_.size(); ++i) {
      score_sums_[i].add(other.score_sums_[i]);
      score_tokens_[i] += other.score_tokens_[i];
    }
  }
  for (const auto& [id, theirs] : other.by_token_) {
    TokenTotals& t = by_token_[id];
    if (t.received.empty()) {
      t.token = theirs.token;
      t.received.resize(static_cast<size_t>(layers_));
    }
    t.count += theirs.count;
    for (size_t l = 0; l < t.received.size(); ++l) t.received[l].add(theirs.received[l]);
  }
}

std::vector<HeadStats> CorpusTotals::head_means() const {
  std::vector<HeadStats> out(head_sums_.size() / kNumHeadStats);
  if (tokens_ == 0) return out;
  const double tokens = static_cast<double>(tokens_);
  for (size_t i = 0; i < out.size(); ++i) {
    const ExactSum* s = &head_sums_[i * kNumHeadStats];
    out[i] = {s[0].value() / tokens, s[1].value() / tokens, s[2].value() / tokens, s[3].value() / tokens,
              s[4].value() / tokens, s[5].value() / tokens, s[6].value() / tokens};
  }
  return out;
}

std::vector<CorpusTotals::TokenMean> CorpusTotals::token_means() const {
  std::vector<TokenMean> out;
  out.reserve(by_token_.size() * static_cast<size_t>(layers_));
  for (int l = 0; l < layers_; ++l) {
    const size_t first = out.size();
    for (const auto& [id, t] : by_token_)
      out.push_back({l, id, t.token, t.count, t.received[static_cast<size_t>(l)].value() / static_cast<double>(t.count)});
    std::sort(out.begin() + static_cast<long>(first), out.end(), [](const TokenMean& a, const TokenMean& b) {
      return a.mean != b.mean ? a.mean > b.mean : a.id < b.id;
    });
  }
  return out;
}

std::string CorpusTotals::to_json(const CorpusSettings& s) const {
  nlohmann::json j;
  j["format"] = "attnlab corpus totals";
  j["version"] = 1;
  j["settings"] = {{"model", s.model},
                   {"input", s.input},
                   {"input_bytes", s.input_bytes},
                   {"input_mtime_ns", s.input_mtime_ns},
                   {"input_format", s.input_format},
                   {"reduce", corpus_reduction_list(s.reductions)},
                   {"truncate", s.truncate},
                   {"shard", s.shard},
                   {"shards", s.shards}};
  j["layers"] = layers_;
  j["heads"] = heads_;
  j["head_stat_names"] = names_json(stat_names());
  j["texts"] = texts_;
  j["failed"] = failed_;
  j["tokens"] = tokens_;
  j["truncated"] = truncated_;
  nlohmann::json sums = nlohmann::json::array();
  for (const ExactSum& v : head_sums_) sums.push_back(v.to_string());
  j["head_sums"] = std::move(sums);
  if (!score_sums_.empty()) {  // kReduceHeads: [score][layer * heads + head], score names in order
    nlohmann::json names = nlohmann::json::array(), ssum = nlohmann::json::array();
    for (int k = 0; k + 1 < kNumHeadScores; ++k) names.push_back(std::string(kHeadScoreNames[k]));
    for (const ExactSum& v : score_sums_) ssum.push_back(v.to_string());
    j["head_score_names"] = std::move(names);
    j["head_score_sums"] = std::move(ssum);
    j["head_score_tokens"] = score_tokens_;
  }
  nlohmann::json tokens = nlohmann::json::array();
  for (const auto& [id, t] : by_token_) {
    nlohmann::json received = nlohmann::json::array();
    for (const ExactSum& v : t.received) received.push_back(v.to_string());
    tokens.push_back({id, t.token, t.count, std::move(received)});
  }
  j["token_totals"] = std::move(tokens);
  // Invalid UTF-8 cannot reach here (token strings come from the tokenizer), but replace rather than throw.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

CorpusTotals CorpusTotals::from_json(std::string_view text, const std::string& name, CorpusSettings& s) {
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    if (j.at("format") != "attnlab corpus totals" || j.at("version") != 1)
      throw Error(name + ": not an attnlab corpus totals file (version 1)", kExitInput);
    const nlohmann::json& st = j.at("settings");
    s.model = st.at("model").get<std::string>();
    s.input = st.at("input").get<std::string>();
    s.input_bytes = st.at("input_bytes").get<long long>();
    s.input_mtime_ns = st.at("input_mtime_ns").get<long long>();
    s.input_format = st.at("input_format").get<std::string>();
    s.reductions = st.at("reduce").get<std::string>().empty() ? 0u : parse_corpus_reductions(st.at("reduce").get<std::string>());
    s.truncate = st.at("truncate").get<bool>();
    s.shard = st.at("shard").get<int>();
    s.shards = st.at("shards").get<int>();
    const int layers = j.at("layers").get<int>(), heads = j.at("heads").get<int>();
    if (layers <= 0 || heads <= 0 || layers > 4096 || heads > 4096 || s.shards < 1 || s.shard < 0 || s.shard >= s.shards)
      throw Error(name + ": layers, heads or shard out of range", kExitInput);
    // Files written before the names were recorded are an encoder's.
    bool causal = false;
    if (j.contains("head_stat_names")) {
      const nlohmann::json& names = j.at("head_stat_names");
      causal = names == names_json(head_stat_names(true));
      if (!causal && names != names_json(head_stat_names(false)))
        throw Error(name + ": head_stat_names " + names.dump() + " are neither an encoder's " +
                        names_json(head_stat_names(false)).dump() + " nor a decoder's " +
                        names_json(head_stat_names(true)).dump(),
                    kExitInput);
    }
    CorpusTotals t(layers, heads, causal);
    t.texts_ = j.at("texts").get<long long>();
    t.failed_ = j.at("failed").get<long long>();
    t.tokens_ = j.at("tokens").get<long long>();
    t.truncated_ = j.at("truncated").get<long long>();
    const nlohmann::json& sums = j.at("head_sums");
    if (sums.size() != t.head_sums_.size())
      throw Error(name + ": head_sums has " + std::to_string(sums.size()) + " values, expected " +
                      std::to_string(t.head_sums_.size()) + " (layers x heads x 7)",
                  kExitInput);
    for (size_t i = 0; i < sums.size(); ++i)
      t.head_sums_[i] = ExactSum::from_string(sums[i].get<std::string>(), name + ": head_sums[" + std::to_string(i) + "]");
    if (j.contains("head_score_sums")) {
      nlohmann::json names = nlohmann::json::array();
      for (int k = 0; k + 1 < kNumHeadScores; ++k) names.push_back(std::string(kHeadScoreNames[k]));
      const size_t want = static_cast<size_t>(kNumHeadScores - 1) * layers * heads;
      const nlohmann::json& ssum = j.at("head_score_sums");
      const nlohmann::json& stok = j.at("head_score_tokens");
      if (j.at("head_score_names") != names || ssum.size() != want || stok.size() != want)
        throw Error(name + ": head_score_names must be " + names.dump() + " with " + std::to_string(want) +
                        " head_score_sums and head_score_tokens",
                    kExitInput);
      for (size_t i = 0; i < want; ++i) {
        t.score_sums_.push_back(ExactSum::from_string(ssum[i].get<std::string>(), name + ": head_score_sums[" + std::to_string(i) + "]"));
        const long long n = stok[i].get<long long>();
        if (n < 0 || n > t.tokens_) throw Error(name + ": head_score_tokens[" + std::to_string(i) + "] out of range", kExitInput);
        t.score_tokens_.push_back(n);
      }
    }
    for (const nlohmann::json& e : j.at("token_totals")) {
      TokenTotals tt;
      tt.token = e.at(1).get<std::string>();
      tt.count = e.at(2).get<long long>();
      const nlohmann::json& received = e.at(3);
      if (received.size() != static_cast<size_t>(layers) || tt.count <= 0)
        throw Error(name + ": token_totals entry for id " + e.at(0).dump() + " needs a positive count and " +
                        std::to_string(layers) + " sums",
                    kExitInput);
      for (const nlohmann::json& v : received)
        tt.received.push_back(ExactSum::from_string(v.get<std::string>(), name + ": token_totals"));
      t.by_token_[e.at(0).get<int>()] = std::move(tt);
    }
    return t;
  } catch (const nlohmann::json::exception& e) {
    throw Error(name + ": malformed corpus totals: " + e.what(), kExitInput);
  }
}

std::vector<double> attention_received(const ArrayView<3>& attention) {
  const size_t heads = attention.shape[0], n = attention.shape[1];
  std::vector<double> out(n, 0.0);
  for (size_t h = 0; h < heads; ++h)
    for (size_t i = 0; i < n; ++i) {
      const float* row = attention.data + (h * n + i) * n;
      for (size_t j = 0; j < n; ++j) out[j] += row[j];
    }
  if (heads * n > 0)
    for (double& v : out) v /= static_cast<double>(heads * n);
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Files.

namespace {

// The shortest text that reads back to the same double (what Python's repr() reads back exactly).
std::string shortest(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[32];
  return {buf, std::to_chars(buf, buf + sizeof buf, v).ptr};
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

std::string head_stats_csv(const CorpusTotals& totals) {
  // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on "," + std::string temporaries.
  std::string out = "layer,head";
  for (std::string_view name : totals.stat_names()) out.append(",").append(name);
  out += ",tokens\n";
  const std::vector<HeadStats> means = totals.head_means();
  const size_t heads = static_cast<size_t>(totals.heads());
  for (size_t i = 0; i < means.size(); ++i) {
    out.append(std::to_string(i / heads)).append(",").append(std::to_string(i % heads));
    for (int k = 0; k < kNumHeadStats; ++k)
      out.append(",").append(totals.tokens() ? shortest(head_stat(means[i], k)) : std::string());
    out.append(",").append(std::to_string(totals.tokens())).append("\n");
  }
  return out;
}

std::string head_scores_csv(const CorpusTotals& totals) {
  const HeadScores means = totals.head_score_means();
  if (means.scores.empty()) return {};
  std::string out = "layer,head";
  for (int k = 0; k + 1 < kNumHeadScores; ++k) out.append(",").append(kHeadScoreNames[k]);
  out += ",tokens\n";
  const size_t heads = static_cast<size_t>(totals.heads()), count = static_cast<size_t>(totals.layers()) * heads;
  for (size_t i = 0; i < count; ++i) {
    out.append(std::to_string(i / heads)).append(",").append(std::to_string(i % heads));
    for (int k = 0; k + 1 < kNumHeadScores; ++k) {
      const double v = means.scores[static_cast<size_t>(k)][i];
      out.append(",").append(std::isfinite(v) ? shortest(v) : std::string());
    }
    out.append(",").append(std::to_string(totals.tokens())).append("\n");
  }
  return out;
}

std::string token_attention_csv(const CorpusTotals& totals) {
  std::string out = "layer,rank,token,id,count,mean_received\n";
  int layer = -1, rank = 0;
  for (const CorpusTotals::TokenMean& t : totals.token_means()) {
    rank = t.layer == layer ? rank + 1 : 1;
    layer = t.layer;
    out += std::to_string(t.layer) + "," + std::to_string(rank) + "," + csv_field(t.token) + "," +
           std::to_string(t.id) + "," + std::to_string(t.count) + "," + shortest(t.mean) + "\n";
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Running.

CorpusRunner::CorpusRunner(const Engine& engine, CorpusOptions options, LineSink sink)
    : engine_(engine),
      options_(options),
      sink_(std::move(sink)),
      totals_(engine.info().num_layers, engine.info().num_heads, engine.info().causal) {}

void CorpusRunner::add(CorpusRecord record) {
  Pending p;
  p.record = std::move(record);
  p.error = p.record.error;
  if (p.error.empty()) {
    try {
      std::optional<std::string_view> pair;
      if (p.record.pair) pair = *p.record.pair;
      p.encoding = engine_.encode(p.record.text, pair, options_.truncation);
    } catch (const Error& e) {
      p.error = where(p.record.line) + e.what();
    }
  }
  p.record.text = std::string();  // the encoding is all a batch keeps
  p.record.pair.reset();
  // Error records count as texts of no tokens: they bound the records held, and leave the pass as it is.
  const size_t n = p.error.empty() ? p.encoding.size() : 0;
  if (options_.batch.starts_new_batch(batch_.size(), batch_tokens_, n)) run_batch();
  batch_tokens_ += n;
  batch_.push_back(std::move(p));
}

void CorpusRunner::finish() {
  if (!batch_.empty()) run_batch();
}

void CorpusRunner::run_inputs(std::span<Pending* const> inputs) {
  std::vector<Encoding> encodings;
  encodings.reserve(inputs.size());
  for (Pending* p : inputs) encodings.push_back(std::move(p->encoding));
  const bool cls_row = options_.reductions & kReduceClsRow;
  // Rollout grows layer by layer: two [n, n] matrices per input of the batch, never [layers, heads, n, n].
  std::vector<RolloutBuilder> rollouts;
  if (options_.reductions & kReduceRolloutCls) rollouts.resize(inputs.size());
  const bool scoring = options_.reductions & kReduceHeads;
  const ModelInfo& info = engine_.info();
  HeadScoreOptions score_options;
  score_options.causal = info.causal;
  score_options.windows = info.windows;
  auto start_scoring = [&](size_t i) {
    if (scoring)
      inputs[i]->scoring = std::make_unique<HeadScoreAccumulator>(info.num_layers, info.num_heads,
                                                                  encodings[i].input_ids, score_options);
  };
  for (size_t i = 0; i < inputs.size(); ++i) start_scoring(i);
  // One layer of input i, reduced: its head statistics, the attention each token receives, the [CLS]
  // rows, the next rollout step.
  std::vector<int> layer_of(inputs.size(), 0);  // the next layer each input's views bring
  auto reduce = [&](size_t i, const ArrayView<3>& attention) {
    if (!rollouts.empty()) rollouts[i].add_layer(attention);
    Pending& p = *inputs[i];
    if (p.scoring) p.scoring->add(AttentionRows{static_cast<int>(i), layer_of[i]++, 0, attention});
    const std::vector<HeadStats> stats = layer_head_stats(attention, encodings[i]);
    p.heads.insert(p.heads.end(), stats.begin(), stats.end());
    const std::vector<double> received = attention_received(attention);
    p.received.insert(p.received.end(), received.begin(), received.end());
    if (cls_row) {
      const size_t n = attention.shape[1];
      for (size_t h = 0; h < attention.shape[0]; ++h)
        p.cls_row.insert(p.cls_row.end(), attention.data + h * n * n, attention.data + h * n * n + n);
    }
  };
  // What a failed pass reduced of input i, forgotten (before it is rerun alone, and when it failed).
  auto forget = [&](size_t i) {
    Pending& p = *inputs[i];
    p.heads.clear();
    p.received.clear();
    p.cls_row.clear();
    p.rollout_cls.clear();
    if (!rollouts.empty()) rollouts[i] = RolloutBuilder();
    layer_of[i] = 0;
    p.scoring.reset();
    start_scoring(i);
  };
  // Every input's view of a layer, reduced in parallel where the engine delivers them. Reduced one
  // by one on the calling thread, the statistics' logarithms and sums held up the kernel threads for
  // a quarter of a MiniLM corpus run.
  RunOptions run;
  run.attentions = false;
  run.last_hidden = false;
  run.on_layer = [&](std::span<const LayerView> views) {
    parallel_for(static_cast<int>(views.size()), [&](int k) {
      const LayerView& v = views[static_cast<size_t>(k)];
      reduce(static_cast<size_t>(v.input), v.attention);
    });
  };
  const std::vector<BatchOutcome> outcomes = run_batches(engine_, encodings, run, options_.batch, forget);
  for (size_t i = 0; i < inputs.size(); ++i) {
    Pending& p = *inputs[i];
    p.encoding = std::move(encodings[i]);
    if (outcomes[i].ok()) {
      if (p.scoring) {
        p.scores = p.scoring->result();
        p.scoring.reset();
      }
      if (!rollouts.empty()) {
        const Attribution r = rollouts[i].result();
        const std::span<const float> row = r.row(0);
        p.rollout_cls.assign(row.begin(), row.end());
      }
      continue;
    }
    forget(i);
    try {
      std::rethrow_exception(outcomes[i].error);
    } catch (const Error& e) {  // anything else (out of memory alone) ends the run
      p.error = where(p.record.line) + e.what();
    }
  }
}

void CorpusRunner::run_batch() {
  std::vector<Pending*> inputs;
  for (Pending& p : batch_)
    if (p.error.empty()) inputs.push_back(&p);
  if (!inputs.empty()) run_inputs(inputs);
  const size_t layers = static_cast<size_t>(totals_.layers()), heads = static_cast<size_t>(totals_.heads());
  const HeadStatNames names = totals_.stat_names();
  for (Pending& p : batch_) {
    JsonWriter w;
    w.begin_object().key("id").raw_number(p.record.id);
    if (!p.error.empty()) {
      w.key("error").value(p.error).end_object();
      totals_.add_failure();
      sink_(w.str(), false);
      continue;
    }
    const Encoding& enc = p.encoding;
    w.key("tokens").strings(enc.tokens);
    if (enc.truncated) w.key("truncated").value(true);
    if (options_.reductions & kReduceHeadStats) {
      w.key("head-stats").begin_array();
      for (size_t l = 0; l < layers; ++l) {
        w.begin_array();
        for (size_t h = 0; h < heads; ++h) {
          w.begin_object();
          for (int k = 0; k < kNumHeadStats; ++k)
            w.key(names[k]).raw_number(shortest(head_stat(p.heads[l * heads + h], k)));
          w.end_object();
        }
        w.end_array();
      }
      w.end_array();
    }
    if (options_.reductions & kReduceClsRow) w.key("cls-row").floats(p.cls_row, {layers, heads, enc.size()});
    if (options_.reductions & kReduceRolloutCls) w.key("rollout-cls").floats(p.rollout_cls);
    if (options_.reductions & kReduceHeads) {
      w.key("heads").begin_object();
      for (int k = 0; k + 1 < kNumHeadScores; ++k) {
        w.key(kHeadScoreNames[k]).begin_array();
        for (size_t l = 0; l < layers; ++l) {
          w.begin_array();
          for (size_t h = 0; h < heads; ++h) {
            const double v = p.scores.scores[static_cast<size_t>(k)][l * heads + h];
            if (std::isfinite(v)) w.raw_number(shortest(v));
            else w.null();
          }
          w.end_array();
        }
        w.end_array();
      }
      w.end_object();
    }
    w.end_object();
    totals_.add_text(enc, p.heads, p.received);
    if (options_.reductions & kReduceHeads) totals_.add_head_scores(p.scores);
    sink_(w.str(), true);
  }
  batch_.clear();
  batch_tokens_ = 0;
}

}  // namespace attnlab
