// BPE: tokenizers' BpeBuilder::build (merge table), BPE::merge_word (characters, unk, byte fallback) and
// Word::merge_all (its priority queue of merges by rank, stale entries skipped), plus its word cache.
#include "text/bpe.h"

#include <algorithm>
#include <array>
#include <bit>
#include <climits>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "attnlab/error.h"
#include "core/utf8.h"
#include "text/json_fields.h"

namespace attnlab {
namespace {

using nlohmann::json;

constexpr int kMaxId = INT_MAX - 1;  // ids are ints and id + 1 must be one too

// A value from a file, quoted for a message: JSON string syntax (control characters escaped, invalid
// UTF-8 replaced), cut at 80 bytes so a hostile megabyte token does not become the message.
std::string quote(std::string_view s) {
  std::string cut(s.substr(0, 80));
  while (!cut.empty() && cut.size() < s.size() && (static_cast<unsigned char>(cut.back()) & 0xC0) == 0x80)
    cut.pop_back();  // do not end inside a character
  std::string q = json(cut).dump(-1, ' ', false, json::error_handler_t::replace);
  if (cut.size() < s.size()) q += "... (" + std::to_string(s.size()) + " bytes)";
  return q;
}

uint64_t load_bytes(const char* p, size_t n) {  // n <= 8
  uint64_t v = 0;
  std::memcpy(&v, p, n);
  return v;
}

// A fast string hash (multiply-mix over 8-byte words); the maps below are keyed by vocabulary strings
// that a stranger wrote, so the mixing must not let equal-prefix tokens collide in bulk.
uint64_t hash_bytes(std::string_view s) {
  constexpr uint64_t kMul = 0x9E3779B97F4A7C15ull;
  uint64_t h = 0x243F6A8885A308D3ull ^ (s.size() * kMul);
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    h ^= load_bytes(s.data() + i, 8);
    h *= kMul;
    h ^= h >> 29;
  }
  if (i < s.size()) {
    h ^= load_bytes(s.data() + i, s.size() - i);
    h *= kMul;
    h ^= h >> 29;
  }
  h *= 0xBF58476D1CE4E5B9ull;
  return h ^ (h >> 32);
}

size_t table_size_for(size_t n) {
  size_t cap = 16;
  while (cap < n * 2) cap <<= 1;  // load factor <= 1/2: probes stay short
  return cap;
}

// String -> id, open addressing; keys live in one arena.
class TokenMap {
 public:
  void reserve(size_t n) { slots_.assign(table_size_for(n), Slot{}); }
  size_t size() const { return size_; }

  int find(std::string_view key) const { return find_hashed(key, hash_bytes(key)); }
  // Calls f(key, id) for every entry, in no particular order.
  template <typename F>
  void for_each(F&& f) const {
    for (const Slot& s : slots_)
      if (s.id >= 0) f(std::string_view(arena_.data() + s.offset, s.len), s.id);
  }
  void insert_or_assign(std::string_view key, int id) { insert_hashed(key, hash_bytes(key), id); }
  void prefetch(uint64_t h) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[h & (slots_.size() - 1)]);
  }
  int find_hashed(std::string_view key, uint64_t h) const {
    if (slots_.empty()) return -1;
    const size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.id < 0) return -1;
      if (s.hash == static_cast<uint32_t>(h >> 32) && s.len == key.size() &&
          std::memcmp(arena_.data() + s.offset, key.data(), key.size()) == 0)
        return s.id;
    }
  }
  // Later wins, as collecting into tokenizers' AHashMap.
  void insert_hashed(std::string_view key, uint64_t h, int id) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    const size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      if (s.id < 0) {
        if (arena_.size() + key.size() > UINT32_MAX) throw Error("BPE vocabulary over 4 GB of strings", kExitInput);
        s = {static_cast<uint32_t>(arena_.size()), static_cast<uint32_t>(key.size()), id,
             static_cast<uint32_t>(h >> 32)};
        arena_.append(key);
        ++size_;
        return;
      }
      if (s.hash == static_cast<uint32_t>(h >> 32) && s.len == key.size() &&
          std::memcmp(arena_.data() + s.offset, key.data(), key.size()) == 0) {
        s.id = id;
        return;
      }
    }
  }

 private:
  struct Slot {
    uint32_t offset = 0, len = 0;
    int32_t id = -1;  // -1: empty
    uint32_t hash = 0;
  };
  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 16 : old.size() * 2, Slot{});
    const size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.id < 0) continue;
      size_t i = hash_bytes(std::string_view(arena_.data() + s.offset, s.len)) & mask;
      while (slots_[i].id >= 0) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }
  std::vector<Slot> slots_;
  std::string arena_;
  size_t size_ = 0;
};

struct MergeValue {
  uint32_t rank;
  int32_t new_id;
};

// (id_a, id_b) -> (rank, new id), open addressing on the packed pair.
class MergeMap {
 public:
  void reserve(size_t n) {
    slots_.assign(table_size_for(n), Slot{});
    shift_ = 64 - static_cast<int>(std::countr_zero(slots_.size()));
  }
  size_t size() const { return size_; }
  static uint64_t key(int a, int b) { return (static_cast<uint64_t>(a) << 32) | static_cast<uint32_t>(b); }

  void prefetch(int a, int b) const { __builtin_prefetch(&slots_[index(key(a, b))]); }
  const MergeValue* find(int a, int b) const {
    const uint64_t k = key(a, b);
    const size_t mask = slots_.size() - 1;
    for (size_t i = index(k);; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.key == k) return &s.value;
      if (s.key == kEmpty) return nullptr;
    }
  }
  void insert_or_assign(int a, int b, MergeValue v) {
    const uint64_t k = key(a, b);
    const size_t mask = slots_.size() - 1;
    for (size_t i = index(k);; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      if (s.key == kEmpty) ++size_;
      if (s.key == kEmpty || s.key == k) {
        s = {k, v};
        return;
      }
    }
  }

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};  // ids are < 2^31: never a real key
  struct Slot {
    uint64_t key = kEmpty;
    MergeValue value{};
  };
  size_t index(uint64_t k) const { return static_cast<size_t>((k * 0x9E3779B97F4A7C15ull) >> shift_); }
  std::vector<Slot> slots_;
  int shift_ = 60;
  size_t size_ = 0;
};

// tokenizers' Symbol: prev / next link the live symbols; len 0 marks one merged into its left neighbour.
struct Symbol {
  int32_t id;
  int32_t prev;
  int32_t next;
  uint32_t len;
};

// tokenizers' Merge in its min-heap: lowest rank first, then lowest position. Entries with equal keys
// are the same merge at the same place, so the order among them cannot matter.
struct QueuedMerge {
  uint32_t rank;
  int32_t pos;
  int32_t new_id;
  int32_t left, right;  // the pair it was queued for: unchanged, it is still valid without a lookup
  bool operator>(const QueuedMerge& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
};

// Reused per thread: a word costs no allocation once these have grown.
struct Scratch {
  std::vector<Symbol> symbols;
  std::vector<QueuedMerge> queue;
  std::string piece;
};
Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

void add_symbol(std::vector<Symbol>& w, int id, size_t len) {
  const auto n = static_cast<int32_t>(w.size());
  if (n > 0) w.back().next = n;
  w.push_back({id, n - 1, -1, static_cast<uint32_t>(len)});
}

}  // namespace

// tokenizers' word cache (DEFAULT_CACHE_CAPACITY, MAX_LENGTH): words shorter than 256 bytes, filled
// until 10,000 entries and never evicted. Sharded so threads rarely meet on one lock.
struct Bpe::Cache {
  static constexpr size_t kShards = 16;
  static constexpr size_t kMaxWordBytes = 256;
  size_t capacity_per_shard = 0;
  struct Shard {
    std::mutex mu;
    TokenMap words;                                     // word -> index into `spans`
    std::vector<std::pair<uint32_t, uint32_t>> spans;   // (first, count) in `symbols`
    std::vector<std::pair<int32_t, uint32_t>> symbols;  // (id, byte length)
  };
  // The top bits pick the shard; TokenMap indexes its slots with the low ones.
  Shard& shard(uint64_t h) { return shards[(h >> 56) % kShards]; }
  std::array<Shard, kShards> shards;
};

struct Bpe::Impl {
  std::string where;  // "tokenizer.json: model"
  BpeOptions options;
  TokenMap vocab;
  MergeMap merges;
  // id -> string: a vector when ids are dense enough, else a map (one id of 2^31 - 2 must not allocate
  // two billion strings).
  std::vector<std::string> id_dense;
  std::vector<bool> id_dense_set;
  std::unordered_map<int, std::string> id_sparse;
  size_t max_token_bytes = 0;
  int unk_id = -1;
  std::array<int32_t, 256> byte_ids{};  // "<0xNN>" ids, -1 when absent
  // Ids of the single-character pieces of the Basic Multilingual Plane, by the piece's variant: with
  // (not first) the prefix, with (last) the suffix. One variant when there is neither.
  static constexpr size_t kFastChars = 0x10000;
  std::vector<int32_t> char_ids;  // [variant * kFastChars + cp]; variant = (!first) | (last << 1), or 0
  bool affixes = false;           // a prefix or a suffix: four variants
  bool skip_merges = false;       // dropout 1

  const std::string* token(int id) const {
    if (id >= 0 && static_cast<size_t>(id) < id_dense.size()) return id_dense_set[id] ? &id_dense[id] : nullptr;
    auto it = id_sparse.find(id);
    return it == id_sparse.end() ? nullptr : &it->second;
  }

  // The vocabulary id of the character c at w[i] with the prefix / suffix it gets; -1 if none.
  int piece_id(std::string_view w, size_t i, const Utf8Step& c, bool first, bool last, std::string& buf) const {
    const size_t variant = affixes ? (first ? 0 : 1) | (last ? 2 : 0) : 0;
    if (c.valid && c.code_point < kFastChars) return char_ids[variant * kFastChars + c.code_point];
    const size_t len = c.length;
    buf.clear();
    if (!first) buf += options.continuing_subword_prefix;
    buf.append(w.substr(i, len));
    if (last) buf += options.end_of_word_suffix;
    return vocab.find(buf);
  }

  [[noreturn]] void unk_missing(std::string_view word) const {
    throw Error(where + ": unk_token " + quote(*options.unk_token) + " is not in the vocabulary (needed for " +
                    quote(word) + "; tokenizers: Unk token not found in the vocabulary)",
                kExitInput);
  }

  // BPE::merge_word up to the merges: one symbol per character, unknown ones as unk or byte tokens.
  void split_word(std::string_view w, std::vector<Symbol>& word, std::string& buf) const {
    word.clear();
    bool pending = false;  // tokenizers' `unk: Option<(id, len)>`
    int pending_id = -1;
    size_t pending_len = 0;
    for (size_t i = 0; i < w.size();) {
      // Input is valid UTF-8 upstream (a Rust &str); here a maximal invalid sequence counts as one
      // character rather than reading past the end.
      const auto b0 = static_cast<unsigned char>(w[i]);
      const Utf8Step c = b0 < 0x80 ? Utf8Step{b0, 1, true} : decode_utf8_at(w, i);
      const size_t len = c.length;
      const bool first = i == 0, last = i + len == w.size();
      const int id = piece_id(w, i, c, first, last, buf);
      if (id >= 0) {
        if (pending) add_symbol(word, pending_id, pending_len), pending = false;
        add_symbol(word, id, len);
        i += len;
        continue;
      }
      if (options.byte_fallback) {
        // The bytes of the piece as looked up, prefix and suffix included, each of length 1. A pending
        // unk stays pending: tokenizers adds it after these byte tokens.
        buf.clear();
        if (!first) buf += options.continuing_subword_prefix;
        buf.append(w.substr(i, len));
        if (last) buf += options.end_of_word_suffix;
        bool all = true;
        for (char byte : buf) all = all && byte_ids[static_cast<unsigned char>(byte)] >= 0;
        if (all) {
          for (char byte : buf) add_symbol(word, byte_ids[static_cast<unsigned char>(byte)], 1);
          i += len;
          continue;
        }
      }
      if (options.unk_token) {
        if (pending && options.fuse_unk) {
          pending_len += len;
        } else {
          if (pending) add_symbol(word, pending_id, pending_len);
          if (unk_id < 0) unk_missing(w);
          pending = true, pending_id = unk_id, pending_len = len;
        }
      }
      // No unk token: the character is dropped, and the offsets after it shift (tokenizers does the same).
      i += len;
    }
    if (pending) add_symbol(word, pending_id, pending_len);
  }

  // Word::merge_all without dropout.
  void merge_all(std::vector<Symbol>& sym, std::vector<QueuedMerge>& queue) const {
    if (skip_merges || sym.size() < 2) return;
    queue.clear();
    // The first lookups are independent: start their (likely cache-missing) loads together.
    for (size_t i = 0; i + 1 < sym.size(); ++i) merges.prefetch(sym[i].id, sym[i + 1].id);
    for (size_t i = 0; i + 1 < sym.size(); ++i)
      if (const MergeValue* m = merges.find(sym[i].id, sym[i + 1].id))
        queue.push_back({m->rank, static_cast<int32_t>(i), m->new_id, sym[i].id, sym[i + 1].id});
    const auto cmp = std::greater<QueuedMerge>();
    std::make_heap(queue.begin(), queue.end(), cmp);
    const auto n = static_cast<int32_t>(sym.size());
    while (!queue.empty()) {
      std::pop_heap(queue.begin(), queue.end(), cmp);
      const QueuedMerge top = queue.back();
      queue.pop_back();
      Symbol& cur = sym[top.pos];
      if (cur.len == 0 || cur.next == -1) continue;  // merged away, or the last symbol
      const int32_t next_pos = cur.next;
      const Symbol right = sym[next_pos];
      // A stale entry: the pair here changed since it was queued. tokenizers then looks the new pair up
      // and compares the new id only.
      if (cur.id != top.left || right.id != top.right) {
        const MergeValue* now = merges.find(cur.id, right.id);
        if (now == nullptr || now->new_id != top.new_id) continue;
      }
      cur.id = top.new_id;
      cur.len += right.len;
      cur.next = right.next;
      sym[next_pos].len = 0;
      if (right.next > -1 && right.next < n) sym[right.next].prev = top.pos;
      // The two new pairs' lookups are independent: start both loads before either.
      const bool has_next = cur.next > -1 && cur.next < n;
      if (cur.prev >= 0) merges.prefetch(sym[cur.prev].id, cur.id);
      if (has_next) merges.prefetch(cur.id, sym[cur.next].id);
      if (cur.prev >= 0) {
        if (const MergeValue* m = merges.find(sym[cur.prev].id, cur.id)) {
          queue.push_back({m->rank, cur.prev, m->new_id, sym[cur.prev].id, cur.id});
          std::push_heap(queue.begin(), queue.end(), cmp);
        }
      }
      if (has_next) {
        if (const MergeValue* m = merges.find(cur.id, sym[cur.next].id)) {
          queue.push_back({m->rank, top.pos, m->new_id, cur.id, sym[cur.next].id});
          std::push_heap(queue.begin(), queue.end(), cmp);
        }
      }
    }
    sym.erase(std::remove_if(sym.begin(), sym.end(), [](const Symbol& s) { return s.len == 0; }), sym.end());
  }
};

namespace {

using VocabView = std::vector<std::pair<std::string_view, int>>;
using MergesView = std::vector<std::pair<std::string_view, std::string_view>>;

// The constructor's work. `merge_index` (may be null) gives each merge's index in the file when it
// differs from its rank (legacy "#version" lines are skipped), so errors point at the right entry.
std::shared_ptr<const Bpe::Impl> build(const VocabView& vocab, const MergesView& merges, BpeOptions options,
                                       std::string where, const std::vector<size_t>* merge_index) {
  using Impl = Bpe::Impl;
  auto impl = std::make_shared<Impl>();
  Impl& m = *impl;
  m.where = std::move(where);
  if (!(options.dropout == 0.0f || options.dropout == 1.0f)) {
    if (!(options.dropout >= 0.0f && options.dropout <= 1.0f))
      throw Error(m.where + ".dropout: " + std::to_string(options.dropout) +
                      " is not between 0 and 1 (tokenizers: Dropout should be between 0 and 1, inclusive)",
                  kExitInput);
    throw Error(m.where + ".dropout: " + std::to_string(options.dropout) +
                    ": BPE dropout drops merges at random; attnlab is deterministic and takes only null, 0 or 1",
                kExitInput);
  }
  m.skip_merges = options.dropout == 1.0f;
  m.options = std::move(options);

  m.vocab.reserve(vocab.size());
  int max_id = -1;
  for (const auto& [token, id] : vocab) {
    if (id < 0 || id > kMaxId)
      throw Error(m.where + ".vocab[" + quote(token) + "]: id " + std::to_string(id) + " is not in [0, " +
                      std::to_string(kMaxId) + "]",
                  kExitInput);
    m.vocab.insert_or_assign(token, id);
    max_id = std::max(max_id, id);
    m.max_token_bytes = std::max(m.max_token_bytes, token.size());
  }
  // Reverse map from the entries that survived (a later duplicate string replaced the earlier id).
  const bool dense = max_id < 0 || static_cast<size_t>(max_id) < 2 * vocab.size() + 1024;
  if (dense) {
    m.id_dense.resize(static_cast<size_t>(max_id + 1));
    m.id_dense_set.assign(static_cast<size_t>(max_id + 1), false);
  }
  for (const auto& [token, id] : vocab) {
    if (m.vocab.find(token) != id) continue;
    if (dense) {
      if (!m.id_dense_set[id]) m.id_dense[id] = std::string(token), m.id_dense_set[id] = true;
    } else {
      m.id_sparse.try_emplace(id, std::string(token));
    }
  }

  // BpeBuilder::build: the merged token is a + b without the prefix's length of bytes, cut from b
  // whether or not b starts with the prefix.
  const size_t prefix_len = m.options.continuing_subword_prefix.size();
  m.merges.reserve(merges.size());
  if (merges.size() > UINT32_MAX) throw Error(m.where + ".merges: more than 2^32 merges", kExitInput);
  // In blocks: the hashes of a, b and the merged token are known from the strings alone, so their
  // (cache-missing) vocabulary slots are fetched together before any lookup waits on one.
  constexpr size_t kBlock = 32;
  std::array<std::string, kBlock> merged;
  std::array<uint64_t, 3 * kBlock> hashes;
  for (size_t base = 0; base < merges.size(); base += kBlock) {
    const size_t count = std::min(kBlock, merges.size() - base);
    for (size_t k = 0; k < count; ++k) {
      const auto [a, b] = merges[base + k];
      merged[k].assign(a).append(b.substr(std::min(prefix_len, b.size())));
      hashes[3 * k] = hash_bytes(a);
      hashes[3 * k + 1] = hash_bytes(b);
      hashes[3 * k + 2] = hash_bytes(merged[k]);
      for (size_t j = 0; j < 3; ++j) m.vocab.prefetch(hashes[3 * k + j]);
    }
    for (size_t k = 0; k < count; ++k) {
      const size_t rank = base + k;
      // Named references, not a structured binding: clang 14 cannot capture those in the lambda.
      const auto& a = merges[rank].first;
      const auto& b = merges[rank].second;
      auto fail = [&](const std::string& what) -> void {
        const size_t index = merge_index ? (*merge_index)[rank] : rank;
        throw Error(m.where + ".merges[" + std::to_string(index) + "]: [" + quote(a) + ", " + quote(b) + "]: " + what,
                    kExitInput);
      };
      const int a_id = m.vocab.find_hashed(a, hashes[3 * k]);
      if (a_id < 0) fail(quote(a) + " is not in the vocabulary");
      const int b_id = m.vocab.find_hashed(b, hashes[3 * k + 1]);
      if (b_id < 0) fail(quote(b) + " is not in the vocabulary");
      if (b.size() < prefix_len)  // tokenizers panics here
        fail(quote(b) + " is shorter than continuing_subword_prefix " + quote(m.options.continuing_subword_prefix));
      // Longer than every entry: tokenizers panics on its buffer; not in the vocabulary either way.
      const int new_id = merged[k].size() <= m.max_token_bytes ? m.vocab.find_hashed(merged[k], hashes[3 * k + 2]) : -1;
      if (new_id < 0) fail("the merged token " + quote(merged[k]) + " is not in the vocabulary");
      m.merges.insert_or_assign(a_id, b_id, {static_cast<uint32_t>(rank), new_id});
    }
  }

  m.unk_id = m.options.unk_token ? m.vocab.find(*m.options.unk_token) : -1;
  for (int b = 0; b < 256; ++b) {
    static const char* kHex = "0123456789ABCDEF";
    const char code[] = {'<', '0', 'x', kHex[b >> 4], kHex[b & 15], '>'};
    m.byte_ids[b] = m.vocab.find(std::string_view(code, 6));
  }
  // The single-character table, from the vocabulary's own entries (no lookups): a token is the piece of
  // code point cp in variant v when it is v's prefix + cp + v's suffix.
  const std::string& prefix = m.options.continuing_subword_prefix;
  const std::string& suffix = m.options.end_of_word_suffix;
  m.affixes = !prefix.empty() || !suffix.empty();
  const size_t variants = m.affixes ? 4 : 1;
  m.char_ids.assign(variants * Impl::kFastChars, -1);
  m.vocab.for_each([&](std::string_view t, int id) {
    for (size_t v = 0; v < variants; ++v) {
      const std::string_view pre = v & 1 ? std::string_view(prefix) : std::string_view();
      const std::string_view suf = v & 2 ? std::string_view(suffix) : std::string_view();
      if (t.size() <= pre.size() + suf.size() || t.compare(0, pre.size(), pre) != 0 ||
          t.compare(t.size() - suf.size(), suf.size(), suf) != 0)
        continue;
      const std::string_view mid = t.substr(pre.size(), t.size() - pre.size() - suf.size());
      const Utf8Step c = decode_utf8_at(mid, 0);
      if (c.valid && c.length == mid.size() && c.code_point < Impl::kFastChars)
        m.char_ids[v * Impl::kFastChars + c.code_point] = id;
    }
  });
  return impl;
}

}  // namespace

Bpe::Bpe(const std::vector<std::pair<std::string, int>>& vocab,
         const std::vector<std::pair<std::string, std::string>>& merges, BpeOptions options, std::string where)
    : Bpe(build(VocabView(vocab.begin(), vocab.end()), MergesView(merges.begin(), merges.end()), std::move(options),
                std::move(where), nullptr)) {}

Bpe::Bpe(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)), cache_(std::make_shared<Cache>()) {
  const size_t capacity = impl_->options.cache_capacity;
  cache_->capacity_per_shard = capacity == 0 ? 0 : (capacity + Cache::kShards - 1) / Cache::kShards;
}

Bpe Bpe::from_json(const json& model, const std::string& source) {
  using json_fields::Where;
  const Where w{source, "model"};
  if (!model.is_object()) w.fail("expected an object, found " + std::string(model.type_name()));
  BpeOptions options;
  auto opt_string = [&](const char* key) -> std::optional<std::string> {
    const json* v = json_fields::optional(model, key);
    if (v == nullptr) return std::nullopt;
    return json_fields::as_string(*v, w.key(key));
  };
  auto opt_bool = [&](const char* key) {
    const json* v = json_fields::optional(model, key);
    return v != nullptr && json_fields::as_bool(*v, w.key(key));
  };
  if (const json* t = json_fields::optional(model, "type")) {
    if (!t->is_string() || t->get_ref<const std::string&>() != "BPE")
      w.key("type").fail("expected \"BPE\", found " + quote(t->dump()));
  }
  if (const json* d = json_fields::optional(model, "dropout")) {
    if (!d->is_number()) w.key("dropout").fail("expected a number or null, found " + std::string(d->type_name()));
    // tokenizers reads an f32: a value that rounds to 0 or 1 is 0 or 1.
    options.dropout = static_cast<float>(d->get<double>());
    if (!(options.dropout == 0.0f || options.dropout == 1.0f)) {
      if (!(options.dropout >= 0.0f && options.dropout <= 1.0f))
        w.key("dropout").fail(d->dump() +
                              " is not between 0 and 1 (tokenizers: Dropout should be between 0 and 1, inclusive)");
      w.key("dropout").fail(
          d->dump() + ": BPE dropout drops merges at random; attnlab is deterministic and takes only null, 0 or 1");
    }
  }
  options.unk_token = opt_string("unk_token");
  options.continuing_subword_prefix = opt_string("continuing_subword_prefix").value_or("");
  options.end_of_word_suffix = opt_string("end_of_word_suffix").value_or("");
  options.fuse_unk = opt_bool("fuse_unk");
  options.byte_fallback = opt_bool("byte_fallback");
  options.ignore_merges = opt_bool("ignore_merges");

  auto vit = model.find("vocab");
  auto mit = model.find("merges");
  if (vit == model.end() || mit == model.end())
    w.fail(std::string("missing field '") + (vit == model.end() ? "vocab" : "merges") +
           "' (tokenizers: Missing vocab/merges)");
  const json& jv = *vit;
  if (!jv.is_object()) w.key("vocab").fail("expected an object of token: id, found " + std::string(jv.type_name()));
  VocabView vocab;  // views into `model`, alive until build() is done
  vocab.reserve(jv.size());
  for (auto it = jv.begin(); it != jv.end(); ++it) {
    const json& id = it.value();
    const bool ok = (id.is_number_unsigned() && id.get<uint64_t>() <= static_cast<uint64_t>(kMaxId)) ||
                    (id.is_number_integer() && id.get<int64_t>() >= 0 && id.get<int64_t>() <= kMaxId);
    if (!ok)
      w.key("vocab").fail(quote(it.key()) + ": expected an integer id in [0, " + std::to_string(kMaxId) + "], found " +
                          (id.is_number() ? id.dump() : std::string(id.type_name())));
    vocab.emplace_back(std::string_view(it.key()), id.get<int>());
  }

  // merges: all ["a", "b"] pairs, or all "a b" strings (tokenizers' untagged MergeType: Tuple, then Legacy).
  const json& jm = *mit;
  const Where mw = w.key("merges");
  if (!jm.is_array())
    mw.fail("expected an array of [\"a\", \"b\"] pairs or \"a b\" strings, found " + std::string(jm.type_name()));
  MergesView merges;
  std::vector<size_t> index;  // merges[k] is jm[index[k]]
  merges.reserve(jm.size());
  index.reserve(jm.size());
  const bool legacy = !jm.empty() && jm.front().is_string();
  for (size_t i = 0; i < jm.size(); ++i) {
    const json& e = jm[i];
    if (legacy) {
      if (!e.is_string())
        mw.index(i).fail("expected a string like the merges before it (the two forms cannot be mixed), found " +
                         std::string(e.type_name()));
      const std::string& line = e.get_ref<const std::string&>();
      if (line.rfind("#version", 0) == 0) continue;  // merges.txt's header, skipped wherever it is
      const size_t sp = line.find(' ');
      if (sp == std::string::npos || line.find(' ', sp + 1) != std::string::npos)
        mw.index(i).fail(quote(line) +
                         " is not two tokens separated by one space (tokenizers: Merges text file invalid)");
      merges.emplace_back(std::string_view(line).substr(0, sp), std::string_view(line).substr(sp + 1));
      index.push_back(i);
    } else {
      if (!e.is_array() || e.size() != 2 || !e[0].is_string() || !e[1].is_string())
        mw.index(i).fail(
            "expected a pair of strings [\"a\", \"b\"]" +
            std::string(e.is_string() ? " like the merges before it (the two forms cannot be mixed)" : "") +
            ", found " + (e.is_array() ? "an array of " + std::to_string(e.size()) : std::string(e.type_name())));
      merges.emplace_back(e[0].get_ref<const std::string&>(), e[1].get_ref<const std::string&>());
      index.push_back(i);
    }
  }
  return Bpe(build(vocab, merges, std::move(options), source + ": model", &index));
}

void Bpe::tokenize(std::string_view sequence, std::vector<ModelToken>& out) const {
  if (sequence.empty()) return;
  const Impl& m = *impl_;
  if (m.options.ignore_merges && !m.skip_merges) {
    const int id = m.vocab.find(sequence);
    if (id >= 0) {
      out.push_back({id, std::string(sequence), {0, sequence.size()}});
      return;
    }
  }
  Scratch& s = scratch();
  auto emit = [&](int id, size_t start, size_t len) {
    const std::string* t = m.token(id);
    out.push_back({id, t ? *t : std::string(), {start, start + len}});
  };

  // tokenizers caches only on its dropout-free path; results are the same either way.
  Cache::Shard* shard = nullptr;
  uint64_t h = 0;
  if (!m.skip_merges && cache_->capacity_per_shard > 0 && sequence.size() < Cache::kMaxWordBytes) {
    h = hash_bytes(sequence);
    shard = &cache_->shard(h);
    bool hit = false;
    {
      std::lock_guard<std::mutex> lock(shard->mu);
      const int k = shard->words.find_hashed(sequence, h);
      if (k >= 0) {
        hit = true;
        const auto [first, count] = shard->spans[k];
        s.symbols.clear();
        for (uint32_t j = first; j < first + count; ++j)
          s.symbols.push_back({shard->symbols[j].first, 0, 0, shard->symbols[j].second});
      }
    }
    if (hit) {
      size_t pos = 0;
      for (const Symbol& sym : s.symbols) emit(sym.id, pos, sym.len), pos += sym.len;
      return;
    }
  }
  m.split_word(sequence, s.symbols, s.piece);
  m.merge_all(s.symbols, s.queue);
  size_t pos = 0;
  for (const Symbol& sym : s.symbols) emit(sym.id, pos, sym.len), pos += sym.len;
  if (shard != nullptr) {
    std::lock_guard<std::mutex> lock(shard->mu);
    // Another thread may have added the word meanwhile: same symbols, keep the first.
    if (shard->spans.size() < cache_->capacity_per_shard && shard->words.find_hashed(sequence, h) < 0) {
      shard->words.insert_hashed(sequence, h, static_cast<int>(shard->spans.size()));
      shard->spans.emplace_back(static_cast<uint32_t>(shard->symbols.size()), static_cast<uint32_t>(s.symbols.size()));
      for (const Symbol& sym : s.symbols) shard->symbols.emplace_back(sym.id, sym.len);
    }
  }
}

int Bpe::token_to_id(std::string_view token) const { return impl_->vocab.find(token); }
const std::string* Bpe::id_to_token(int id) const { return impl_->token(id); }
size_t Bpe::vocab_size() const { return impl_->vocab.size(); }
size_t Bpe::merges_size() const { return impl_->merges.size(); }
const BpeOptions& Bpe::options() const { return impl_->options; }

}  // namespace attnlab
