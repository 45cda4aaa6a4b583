// tokenizers' post-processors (see processors.h): parsing as its serde derive does, processing as
// process_encodings + Encoding::merge do, quirks included.
#include "text/processors.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <utility>
#include <variant>
#include <vector>

#include "attnlab/error.h"
#include "core/utf8.h"

namespace attnlab {
using nlohmann::json;

namespace {

// A (String, u32) pair: sep and cls of Bert/RobertaProcessing.
struct SpecialPair {
  std::string token;
  int id = 0;
};

struct RobertaProc {
  SpecialPair sep, cls;
  bool trim_offsets = true;
  bool add_prefix_space = true;
};

struct BertProc {
  SpecialPair sep, cls;
};

// use_regex only matters to the pre-tokenizer; as a post-processor ByteLevel only trims offsets.
struct ByteLevelProc {
  bool add_prefix_space = true;
  bool trim_offsets = true;
};

// Piece::Sequence { id, type_id } or Piece::SpecialToken { id, type_id }.
struct Piece {
  bool is_sequence = true;
  size_t sequence = 0;  // 0 for $A, 1 for $B
  std::string special;  // key into special_tokens
  int type_id = 0;
};

struct SpecialTokenIds {
  std::vector<int> ids;
  std::vector<std::string> tokens;
};

struct TemplateProc {
  std::vector<Piece> single, pair;
  std::map<std::string, SpecialTokenIds> special_tokens;
};

struct SequenceProc {
  std::vector<PostProcessor::Node> processors;
};

}  // namespace

struct PostProcessor::Node {
  std::variant<RobertaProc, BertProc, ByteLevelProc, TemplateProc, SequenceProc> kind;
  std::string path;  // where it sits in tokenizer.json, for messages: "post_processor.processors[1]"
};

namespace {

std::string quote(std::string_view s) { return "\"" + printable_line(s) + "\""; }

// ---------------------------------------------------------------------------------------------------------
// Parsing. serde's untagged enum tries each variant and keeps the first that deserializes; a variant that
// does not fit throws Mismatch, which the dispatcher catches to try the next one.

struct Mismatch {
  std::string path;
  std::string what;
  bool fatal = false;  // not a misfit of this variant but input no variant can take: no further tries
};

[[noreturn]] void mismatch(const std::string& path, std::string what) { throw Mismatch{path, std::move(what)}; }

std::string type_name(const json& j) {
  if (j.is_number_float()) return "a float";
  if (j.is_number()) return "an integer";
  if (j.is_boolean()) return "a boolean";
  if (j.is_null()) return "null";
  if (j.is_string()) return "a string";
  if (j.is_array()) return "an array";
  return "an object";
}

// A struct's fields: from an object by name, or (serde's visit_seq, which derived structs also accept)
// from an array holding exactly one element per field, in declaration order. Missing fields are errors:
// none of these structs has serde defaults except ByteLevel's use_regex, read separately.
std::vector<const json*> struct_fields(const json& j, std::initializer_list<const char*> names,
                                       const std::string& path) {
  std::vector<const json*> out;
  if (j.is_object()) {
    for (const char* name : names) {
      auto it = j.find(name);
      if (it == j.end()) mismatch(path, std::string("missing field \"") + name + "\"");
      out.push_back(&*it);
    }
  } else if (j.is_array()) {
    if (j.size() != names.size())
      mismatch(path, "as an array it needs exactly " + std::to_string(names.size()) + " elements, has " +
                         std::to_string(j.size()));
    for (const auto& e : j) out.push_back(&e);
  } else {
    mismatch(path, "expected an object, got " + type_name(j));
  }
  return out;
}

std::string field_path(const json& j, const std::string& path, const char* name, size_t index) {
  return j.is_object() ? path + "." + name : path + "[" + std::to_string(index) + "]";
}

bool get_bool(const json& j, const std::string& path) {
  if (!j.is_boolean()) mismatch(path, "expected a boolean, got " + type_name(j));
  return j.get<bool>();
}

std::string get_string(const json& j, const std::string& path) {
  if (!j.is_string()) mismatch(path, "expected a string, got " + type_name(j));
  return j.get<std::string>();
}

// serde's u32: a JSON integer in [0, 2^32 - 1] (2.0 is a float and does not fit). Ids and type ids are
// ints here, so the top half of that range is refused too.
int get_u32(const json& j, const std::string& path) {
  if (j.is_number_unsigned()) {
    const auto v = j.get<uint64_t>();
    if (v > UINT32_MAX) mismatch(path, "expected an unsigned 32-bit integer, got " + j.dump());
    if (v > static_cast<uint64_t>(INT_MAX))
      mismatch(path, j.dump() + " is above " + std::to_string(INT_MAX) + ", the largest id attnlab handles");
    return static_cast<int>(v);
  }
  if (j.is_number_integer()) mismatch(path, "expected an unsigned 32-bit integer, got " + j.dump());
  mismatch(path, "expected an unsigned 32-bit integer, got " + type_name(j));
}

// (String, u32): an array of exactly two.
SpecialPair get_special_pair(const json& j, const std::string& path) {
  if (!j.is_array()) mismatch(path, "expected [token, id], got " + type_name(j));
  if (j.size() != 2) mismatch(path, "expected [token, id], got an array of " + std::to_string(j.size()));
  return SpecialPair{get_string(j[0], path + "[0]"), get_u32(j[1], path + "[1]")};
}

// The internally tagged types (impl_serde_type!) require "type" to name them exactly.
void require_type(const json& j, const char* name, const std::string& path) {
  if (!j.is_object()) mismatch(path, "expected an object, got " + type_name(j));
  auto it = j.find("type");
  if (it == j.end()) mismatch(path, std::string("missing field \"type\" (\"") + name + "\")");
  if (!it->is_string() || it->get<std::string>() != name)
    mismatch(path + ".type", std::string("expected \"") + name + "\", got " +
                                 (it->is_string() ? quote(it->get<std::string>()) : type_name(*it)));
}

RobertaProc parse_roberta(const json& j, const std::string& path) {
  const auto f = struct_fields(j, {"sep", "cls", "trim_offsets", "add_prefix_space"}, path);
  RobertaProc p;
  p.sep = get_special_pair(*f[0], field_path(j, path, "sep", 0));
  p.cls = get_special_pair(*f[1], field_path(j, path, "cls", 1));
  p.trim_offsets = get_bool(*f[2], field_path(j, path, "trim_offsets", 2));
  p.add_prefix_space = get_bool(*f[3], field_path(j, path, "add_prefix_space", 3));
  return p;
}

BertProc parse_bert(const json& j, const std::string& path) {
  const auto f = struct_fields(j, {"sep", "cls"}, path);
  return BertProc{get_special_pair(*f[0], field_path(j, path, "sep", 0)),
                  get_special_pair(*f[1], field_path(j, path, "cls", 1))};
}

ByteLevelProc parse_byte_level(const json& j, const std::string& path) {
  require_type(j, "ByteLevel", path);
  const auto f = struct_fields(j, {"add_prefix_space", "trim_offsets"}, path);
  ByteLevelProc p;
  p.add_prefix_space = get_bool(*f[0], path + ".add_prefix_space");
  p.trim_offsets = get_bool(*f[1], path + ".trim_offsets");
  if (auto it = j.find("use_regex"); it != j.end()) get_bool(*it, path + ".use_regex");  // #[serde(default)]
  return p;
}

// Piece, an externally tagged enum: {"Sequence": {"id": "A", "type_id": 0}} or
// {"SpecialToken": {"id": "[CLS]", "type_id": 0}}.
Piece parse_piece(const json& j, const std::string& path) {
  if (!j.is_object() || j.size() != 1)
    mismatch(path, "expected {\"Sequence\": {...}} or {\"SpecialToken\": {...}}, got " +
                       (j.is_object() ? "an object with " + std::to_string(j.size()) + " keys" : type_name(j)));
  const std::string variant = j.begin().key();
  const json& body = j.begin().value();
  const std::string p = path + "." + variant;
  Piece piece;
  if (variant == "Sequence") {
    const auto f = struct_fields(body, {"id", "type_id"}, p);
    const std::string id = get_string(*f[0], field_path(body, p, "id", 0));
    if (id != "A" && id != "B") mismatch(field_path(body, p, "id", 0), "expected \"A\" or \"B\", got " + quote(id));
    piece.is_sequence = true;
    piece.sequence = id == "A" ? 0 : 1;
    piece.type_id = get_u32(*f[1], field_path(body, p, "type_id", 1));
  } else if (variant == "SpecialToken") {
    const auto f = struct_fields(body, {"id", "type_id"}, p);
    piece.is_sequence = false;
    piece.special = get_string(*f[0], field_path(body, p, "id", 0));
    piece.type_id = get_u32(*f[1], field_path(body, p, "type_id", 1));
  } else {
    mismatch(path, "unknown piece " + quote(variant) + " (expected \"Sequence\" or \"SpecialToken\")");
  }
  return piece;
}

std::vector<Piece> parse_template(const json& j, const std::string& path) {
  if (!j.is_array()) mismatch(path, "expected an array of pieces, got " + type_name(j));
  std::vector<Piece> out;
  for (size_t i = 0; i < j.size(); ++i) out.push_back(parse_piece(j[i], path + "[" + std::to_string(i) + "]"));
  return out;
}

TemplateProc parse_template_processing(const json& j, const std::string& path) {
  // TemplateProcessingDeserializer: the three fields, no defaults, "type" not checked, no validation
  // (the builder's checks do not run on deserialization).
  const auto f = struct_fields(j, {"single", "pair", "special_tokens"}, path);
  TemplateProc t;
  t.single = parse_template(*f[0], field_path(j, path, "single", 0));
  t.pair = parse_template(*f[1], field_path(j, path, "pair", 1));
  const std::string sp = field_path(j, path, "special_tokens", 2);
  const json& specials = *f[2];
  if (!specials.is_object()) mismatch(sp, "expected an object of special tokens, got " + type_name(specials));
  for (const auto& [key, value] : specials.items()) {
    const std::string kp = sp + "." + key;
    const auto g = struct_fields(value, {"id", "ids", "tokens"}, kp);
    get_string(*g[0], field_path(value, kp, "id", 0));  // unused: templates look tokens up by the map key
    SpecialTokenIds s;
    const std::string ip = field_path(value, kp, "ids", 1), tp = field_path(value, kp, "tokens", 2);
    if (!g[1]->is_array()) mismatch(ip, "expected an array of ids, got " + type_name(*g[1]));
    for (size_t i = 0; i < g[1]->size(); ++i) s.ids.push_back(get_u32((*g[1])[i], ip + "[" + std::to_string(i) + "]"));
    if (!g[2]->is_array()) mismatch(tp, "expected an array of strings, got " + type_name(*g[2]));
    for (size_t i = 0; i < g[2]->size(); ++i)
      s.tokens.push_back(get_string((*g[2])[i], tp + "[" + std::to_string(i) + "]"));
    t.special_tokens[key] = std::move(s);
  }
  return t;
}

PostProcessor::Node parse_node(const json& j, const std::string& path, int depth);

// serde_json refuses JSON nested more than 128 deep, and each Sequence nests two levels (the object and
// its "processors" array) inside tokenizer.json's top object: tokenizers 0.23 reads 62 nested Sequences
// around a ByteLevel and refuses 63. (Exactly where depends on what is innermost; this bounds recursion.)
constexpr int kMaxSequenceDepth = 62;

SequenceProc parse_sequence(const json& j, const std::string& path, int depth) {
  require_type(j, "Sequence", path);
  if (depth >= kMaxSequenceDepth)
    throw Mismatch{path,
                   "Sequence post-processors nested more than " + std::to_string(kMaxSequenceDepth) +
                       " deep (beyond serde_json's recursion limit, so tokenizers cannot read it either)",
                   true};
  const auto f = struct_fields(j, {"processors"}, path);
  const json& list = *f[0];
  if (!list.is_array()) mismatch(path + ".processors", "expected an array of post-processors, got " + type_name(list));
  SequenceProc s;
  for (size_t i = 0; i < list.size(); ++i)
    s.processors.push_back(parse_node(list[i], path + ".processors[" + std::to_string(i) + "]", depth + 1));
  return s;
}

// PostProcessorWrapper: #[serde(untagged)], Roberta before Bert so that a RobertaProcessing is not read
// as a BertProcessing; serde checks the "type" of neither (nor of TemplateProcessing).
PostProcessor::Node parse_node(const json& j, const std::string& path, int depth) {
  static constexpr const char* kNames[] = {"RobertaProcessing", "BertProcessing", "ByteLevel", "TemplateProcessing",
                                           "Sequence"};
  std::vector<Mismatch> failures;
  auto attempt = [&](auto parse) -> std::optional<PostProcessor::Node> {
    try {
      return PostProcessor::Node{parse(j, path), path};
    } catch (Mismatch& m) {
      if (m.fatal) throw;
      failures.push_back(std::move(m));
      return std::nullopt;
    }
  };
  if (auto n = attempt(parse_roberta)) return *n;
  if (auto n = attempt(parse_bert)) return *n;
  if (auto n = attempt(parse_byte_level)) return *n;
  if (auto n = attempt(parse_template_processing)) return *n;
  if (auto n = attempt([depth](const json& x, const std::string& p) { return parse_sequence(x, p, depth); }))
    return *n;

  // No variant fits. Say why the one "type" names does not; without a known type, say that.
  if (!j.is_object() && !j.is_array()) mismatch(path, "expected an object, got " + type_name(j));
  const auto type = j.is_object() ? j.find("type") : j.end();
  if (j.is_object() && type != j.end() && type->is_string()) {
    const std::string name = type->get<std::string>();
    for (size_t i = 0; i < std::size(kNames); ++i)
      if (name == kNames[i]) throw failures[i];
    mismatch(path + ".type", "unknown post-processor type " + quote(name) +
                                 " (tokenizers has RobertaProcessing, BertProcessing, ByteLevel, "
                                 "TemplateProcessing and Sequence)");
  }
  mismatch(path, "no \"type\", and the fields fit none of tokenizers' post-processors");
}

// Checks that tokenizers does not make but that the encoding needs.
void validate(const PostProcessor::Node& n, const std::string& source) {
  if (const auto* t = std::get_if<TemplateProc>(&n.kind)) {
    for (const auto& [key, s] : t->special_tokens)
      if (s.ids.size() != s.tokens.size())
        throw Error(source + ": " + n.path + ".special_tokens." + printable_line(key) + ": " +
                        std::to_string(s.ids.size()) + " ids but " + std::to_string(s.tokens.size()) +
                        " tokens (tokenizers would build an encoding whose tokens and ids do not line up)",
                    kExitInput);
  } else if (const auto* s = std::get_if<SequenceProc>(&n.kind)) {
    for (const auto& child : s->processors) validate(child, source);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Processing. Enc is tokenizers' Encoding: the token vectors plus sequence_ranges, from which the
// sequence ids are derived only at the end (Encoding::get_sequence_ids).

struct Enc {
  TokenEncoding e;
  std::map<size_t, std::pair<size_t, size_t>> ranges;  // sequence id -> [begin, end) of tokens
  std::optional<std::string_view> text;                 // the original text its offsets index
};

void set_sequence_id(Enc& enc, size_t id) { enc.ranges[id] = {0, enc.e.size()}; }

void set_type_ids(Enc& enc, int type_id) { enc.e.type_ids.assign(enc.e.size(), type_id); }

Enc special_encoding(const std::vector<int>& ids, const std::vector<std::string>& tokens, int type_id) {
  Enc s;
  for (size_t i = 0; i < ids.size(); ++i) s.e.push(ids[i], tokens[i], Offsets{0, 0}, type_id, 1, -1, -1);
  return s;
}

// Encoding::merge(encodings, growing_offsets = false): concatenation, each sequence range shifted; a
// later encoding's range for the same sequence id replaces an earlier one (HashMap::extend).
Enc merge(std::vector<Enc>& encs) {
  Enc out;
  for (Enc& sub : encs) {
    const size_t base = out.e.size();
    for (const auto& [id, r] : sub.ranges) out.ranges[id] = {base + r.first, base + r.second};
    for (size_t i = 0; i < sub.e.size(); ++i) out.e.push_from(sub.e, i);
  }
  return out;
}

// Encoding::get_sequence_ids: no ranges means one sequence covering everything; otherwise ids 0 ..
// ranges.size() - 1 in turn paint their range, and an id without a range paints all tokens.
std::vector<int> sequence_ids(const Enc& enc) {
  const size_t n = enc.e.size();
  std::vector<int> out(n, -1);
  const size_t sequences = enc.ranges.empty() ? 1 : enc.ranges.size();
  for (size_t id = 0; id < sequences; ++id) {
    auto it = enc.ranges.find(id);
    const auto [begin, end] = it == enc.ranges.end() ? std::pair<size_t, size_t>{0, n} : it->second;
    for (size_t i = begin; i < end && i < n; ++i) out[i] = static_cast<int>(id);
  }
  return out;
}

// Rust's char::is_whitespace (Unicode White_Space).
bool is_white_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

// 'Ġ' (U+0120) is the byte-level alphabet's space.
bool is_trimmed(char32_t c) { return c == 0x120 || is_white_space(c); }

// Offset arithmetic in tokenizers' units: characters of the original text (its Python binding) or bytes.
struct Units {
  std::optional<std::string_view> text;

  // min(pos + n, limit) in units.
  size_t forward(size_t pos, size_t n, size_t limit) const {
    if (!text) return std::min(pos + n, limit);
    for (size_t k = 0; k < n && pos < limit; ++k) pos += decode_utf8_at(*text, pos).length;
    return std::min(pos, limit);
  }
  // pos - n in units, or nullopt when pos < n (fewer than n units before pos).
  std::optional<size_t> backward(size_t pos, size_t n) const {
    if (!text) return pos >= n ? std::optional<size_t>(pos - n) : std::nullopt;
    for (size_t k = 0; k < n; ++k) {
      if (pos == 0) return std::nullopt;
      --pos;
      while (pos > 0 && (static_cast<unsigned char>((*text)[pos]) & 0xC0) == 0x80) --pos;
    }
    return pos;
  }
};

// byte_level.rs process_offsets: trims each token's offsets by its leading and trailing spaces, except
// the one space add_prefix_space put before the first token.
void process_offsets(Enc& enc, bool add_prefix_space) {
  const Units units{enc.text};
  for (size_t i = 0; i < enc.e.size(); ++i) {
    const std::u32string chars = decode_utf8_lossy(enc.e.tokens[i]);
    size_t leading = 0, trailing = 0;
    while (leading < chars.size() && is_trimmed(chars[leading])) ++leading;
    while (trailing < chars.size() && is_trimmed(chars[chars.size() - 1 - trailing])) ++trailing;
    if (leading == 0 && trailing == 0) continue;
    Offsets& o = enc.e.offsets[i];
    if (leading > 0) {
      // "is first": offsets starting at 0 also count, for pre-tokenized input.
      const bool is_first = i == 0 || o.start == 0;
      if (is_first && add_prefix_space && leading == 1) leading = 0;
      o.start = units.forward(o.start, leading, o.end);
    }
    if (trailing > 0)
      if (auto end = units.backward(o.end, trailing)) o.end = std::max(*end, o.start);
  }
}

// [first] + tokens + [last] of Bert/RobertaProcessing: the inner tokens keep ids, tokens, offsets and
// words but are marked not special, and the new encoding's only range is sequence `sequence` over them.
Enc wrap(const Enc& enc, const SpecialPair* first, const SpecialPair& last, int first_type, int last_type,
         size_t sequence) {
  Enc out;
  out.text = enc.text;
  if (first) out.e.push(first->id, first->token, Offsets{0, 0}, first_type, 1, -1, -1);
  for (size_t i = 0; i < enc.e.size(); ++i) {
    out.e.push_from(enc.e, i);
    out.e.special_tokens_mask.back() = 0;
  }
  out.e.push(last.id, last.token, Offsets{0, 0}, last_type, 1, -1, -1);
  const size_t begin = first ? 1 : 0;
  out.ranges[sequence] = {begin, out.e.size() - 1};
  return out;
}

std::vector<Enc> run(const PostProcessor::Node& node, std::vector<Enc> encs, bool add_special_tokens,
                     const std::string& source);

std::vector<Enc> run_roberta(const RobertaProc& p, std::vector<Enc> encs, bool add_special_tokens) {
  if (p.trim_offsets)
    for (Enc& e : encs) process_offsets(e, p.add_prefix_space);
  for (Enc& e : encs) set_type_ids(e, 0);  // "Roberta is weird, and every encoding is type_id=0."
  if (!add_special_tokens) return encs;
  std::vector<Enc> out;
  for (size_t i = 0; i < encs.size(); ++i)
    out.push_back(i == 0 ? wrap(encs[i], &p.cls, p.sep, 0, 0, 0) : wrap(encs[i], &p.sep, p.sep, 0, 0, 1));
  return out;
}

std::vector<Enc> run_bert(const BertProc& p, std::vector<Enc> encs, bool add_special_tokens) {
  if (!add_special_tokens) return encs;
  std::vector<Enc> out;
  for (size_t i = 0; i < encs.size(); ++i)
    out.push_back(i == 0 ? wrap(encs[i], &p.cls, p.sep, 0, 0, 0) : wrap(encs[i], nullptr, p.sep, 0, 1, 1));
  return out;
}

std::vector<Enc> run_byte_level(const ByteLevelProc& p, std::vector<Enc> encs) {
  if (p.trim_offsets)
    for (Enc& e : encs) process_offsets(e, p.add_prefix_space);
  // After a TemplateProcessing in a Sequence, these are the template's pieces, and piece i becomes
  // "sequence" i: tokenizers does exactly that.
  for (size_t i = 0; i < encs.size(); ++i) set_sequence_id(encs[i], i);
  return encs;
}

// template.rs apply_template: one encoding per piece, merged by the caller.
std::vector<Enc> run_template(const TemplateProc& t, std::vector<Enc> encs, bool add_special_tokens,
                              const std::string& where) {
  if (encs.size() != 1 && encs.size() != 2)
    throw Error(where + ": a TemplateProcessing given " + std::to_string(encs.size()) +
                    " encodings by the processors before it: refused, as tokenizers cannot encode it either (its apply_template panics there)",
                kExitInput);
  const bool pair = encs.size() == 2;
  const std::vector<Piece>& pieces = pair ? t.pair : t.single;
  std::vector<Enc> out;
  for (size_t k = 0; k < pieces.size(); ++k) {
    const Piece& piece = pieces[k];
    const std::string piece_path = where + (pair ? ".pair[" : ".single[") + std::to_string(k) + "]";
    if (piece.is_sequence) {
      if (piece.sequence >= encs.size())
        throw Error(piece_path + ": $B in the template for a single sequence (tokenizers panics: index out of "
                                 "bounds)",
                    kExitInput);
      Enc& e = encs[piece.sequence];  // tokenizers mutates the input encoding, then clones it
      set_type_ids(e, piece.type_id);
      set_sequence_id(e, piece.sequence);
      out.push_back(e);
    } else if (add_special_tokens) {
      auto it = t.special_tokens.find(piece.special);
      if (it == t.special_tokens.end())
        throw Error(piece_path + ": special token " + quote(piece.special) +
                        " is not in special_tokens (tokenizers panics: no entry found for key)",
                    kExitInput);
      out.push_back(special_encoding(it->second.ids, it->second.tokens, piece.type_id));
    }
  }
  return out;
}

std::vector<Enc> run(const PostProcessor::Node& node, std::vector<Enc> encs, bool add_special_tokens,
                     const std::string& source) {
  return std::visit(
      [&](const auto& p) -> std::vector<Enc> {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, RobertaProc>) {
          return run_roberta(p, std::move(encs), add_special_tokens);
        } else if constexpr (std::is_same_v<T, BertProc>) {
          return run_bert(p, std::move(encs), add_special_tokens);
        } else if constexpr (std::is_same_v<T, ByteLevelProc>) {
          return run_byte_level(p, std::move(encs));
        } else if constexpr (std::is_same_v<T, TemplateProc>) {
          return run_template(p, std::move(encs), add_special_tokens, source + ": " + node.path);
        } else {
          for (const auto& child : p.processors) encs = run(child, std::move(encs), add_special_tokens, source);
          return encs;
        }
      },
      node.kind);
}

size_t added(const PostProcessor::Node& node, bool is_pair) {
  return std::visit(
      [&](const auto& p) -> size_t {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, RobertaProc>) {
          return is_pair ? 4 : 2;
        } else if constexpr (std::is_same_v<T, BertProc>) {
          return is_pair ? 3 : 2;
        } else if constexpr (std::is_same_v<T, ByteLevelProc>) {
          return 0;
        } else if constexpr (std::is_same_v<T, TemplateProc>) {
          // count_added: a special token missing from special_tokens counts 0.
          size_t n = 0;
          for (const Piece& piece : is_pair ? p.pair : p.single) {
            if (piece.is_sequence) continue;
            auto it = p.special_tokens.find(piece.special);
            if (it != p.special_tokens.end()) n += it->second.ids.size();
          }
          return n;
        } else {
          size_t n = 0;
          for (const auto& child : p.processors) n += added(child, is_pair);
          return n;
        }
      },
      node.kind);
}

// The model's encoding of one sequence, checked, with the fields tokenizers sets reset.
Enc input(TokenEncoding e, std::optional<std::string_view> text, const char* name) {
  const size_t n = e.ids.size();
  if (e.tokens.size() != n || e.offsets.size() != n || e.special_tokens_mask.size() != n || e.word_ids.size() != n)
    throw Error(std::string("PostProcessor::process: encoding ") + name + " has vectors of different lengths");
  if (text)
    for (const Offsets& o : e.offsets)
      if (o.start > o.end || o.end > text->size())
        throw Error(std::string("PostProcessor::process: encoding ") + name + " has offsets [" +
                    std::to_string(o.start) + ", " + std::to_string(o.end) + ") outside its text of " +
                    std::to_string(text->size()) + " bytes");
  e.type_ids.assign(n, 0);
  e.sequence_ids.assign(n, -1);
  return Enc{std::move(e), {}, text};
}

}  // namespace

PostProcessor::PostProcessor() = default;

PostProcessor PostProcessor::from_json(const json& j, const std::string& source) {
  PostProcessor p;
  p.source_ = source;
  if (j.is_null()) return p;
  try {
    auto node = std::make_shared<Node>(parse_node(j, "post_processor", 0));
    validate(*node, source);
    p.root_ = std::move(node);
  } catch (const Mismatch& m) {
    throw Error(source + ": " + m.path + ": " + m.what, kExitInput);
  }
  return p;
}

size_t PostProcessor::added_tokens(bool is_pair) const { return root_ ? added(*root_, is_pair) : 0; }

TokenEncoding PostProcessor::process(TokenEncoding a, std::optional<TokenEncoding> b, bool add_special_tokens,
                                     const std::optional<SequenceTexts>& texts) const {
  std::vector<Enc> encs;
  encs.push_back(input(std::move(a), texts ? std::optional<std::string_view>(texts->a) : std::nullopt, "a"));
  if (b) encs.push_back(input(std::move(*b), texts ? std::optional<std::string_view>(texts->b) : std::nullopt, "b"));

  Enc result;
  if (!root_) {
    // default_process: a single encoding is returned as it is (no sequence range: all of it is sequence
    // 0); a pair gets sequence ids 0 and 1 and is merged. The type ids are encode()'s: 0, and 1 for the pair.
    if (encs.size() == 1) {
      TokenEncoding e = std::move(encs[0].e);
      e.sequence_ids.assign(e.size(), 0);
      return e;
    }
    set_type_ids(encs[1], 1);
    for (size_t i = 0; i < encs.size(); ++i) set_sequence_id(encs[i], i);
    result = merge(encs);
  } else {
    // PostProcessor::process: sequence i gets sequence id i and type id i, then process_encodings.
    for (size_t i = 0; i < encs.size(); ++i) {
      set_sequence_id(encs[i], i);
      set_type_ids(encs[i], static_cast<int>(i));
    }
    std::vector<Enc> out = run(*root_, std::move(encs), add_special_tokens, source_);
    result = merge(out);
  }
  result.e.sequence_ids = sequence_ids(result);
  return std::move(result.e);
}

}  // namespace attnlab
