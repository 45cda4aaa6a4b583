// `attnlab tokenize`: a text, a pair or a whole corpus through a model's tokenizer (--model, as the engine
// tokenizes for a forward pass) or through any tokenizer.json (--tokenizer, exactly as Hugging Face
// tokenizers encodes it, offsets included).
#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "attnlab/corpus.h"
#include "attnlab/error.h"
#include "attnlab/json_writer.h"
#include "attnlab/result_json.h"
#include "attnlab/text_format.h"
#include "attnlab/tokenizer.h"
#include "cli/commands.h"
#include "cli/session.h"

namespace attnlab::cli {
namespace {

struct TokenizeOptions {
  std::string model;
  std::string tokenizer;
  std::string text;
  bool has_text = false;  // TEXT given (it may be the empty string)
  std::optional<std::string> pair;
  std::string input;
  std::string format = "auto";
  bool json = false;
  bool no_truncate = false;
  bool no_special_tokens = false;
  int threads = 0;
};

void write_offsets(JsonWriter& w, const TokenizedText& t) {
  w.begin_array();
  for (const auto& [s, e] : t.offsets) {
    w.begin_array().value(static_cast<long long>(s)).value(static_cast<long long>(e)).end_array();
  }
  w.end_array();
}

void write_nullable_ints(JsonWriter& w, const std::vector<int>& v) {
  w.begin_array();
  for (int x : v) x < 0 ? w.null() : w.value(x);
  w.end_array();
}

std::string python_offsets(const TokenizedText& t) {
  std::string out = "[";
  for (size_t i = 0; i < t.offsets.size(); ++i)
    out += (i ? ", (" : "(") + std::to_string(t.offsets[i].first) + ", " + std::to_string(t.offsets[i].second) + ")";
  return out + "]";
}

std::string python_ints(const std::vector<int>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + std::to_string(v[i]);
  return out + "]";
}

std::optional<std::string> read_pair(const TokenizeOptions& o) {
  if (!o.pair) return std::nullopt;
  if (*o.pair == "-" && o.text == "-") throw Error("TEXT and --pair cannot both read standard input", kExitUsage);
  return read_text_argument(*o.pair);
}

void run_with_model(const TokenizeOptions& o) {
  if (!o.input.empty()) throw Error("--input needs --tokenizer (a tokenizer.json); --model tokenizes one text", kExitUsage);
  EngineOptions options;
  options.tokenizer_only = true;
  const Engine engine = open_engine(o.model, options);
  const std::string text = read_text_argument(o.text);
  const std::optional<std::string> pair = read_pair(o);
  const Encoding enc = encode_text(engine, text, pair, truncate_unless(o.no_truncate));
  if (o.json) {
    JsonWriter w;
    w.begin_object().key("model").value(engine.info().name);
    write_encoding_json(w, enc);
    w.end_object();
    write_stdout(w.str() + "\n");
    return;
  }
  write_stdout("Tokens: " + python_list_repr(enc.tokens) + "\ninput_ids: " + python_ints(enc.input_ids) +
               "\ntoken_type_ids: " + python_ints(enc.token_type_ids) + "\n");
}

void run_one_text(const TokenizeOptions& o, const HfTokenizer& tok) {
  const std::string text = read_text_argument(o.text);
  const std::optional<std::string> pair = read_pair(o);
  const TokenizedText t = tok.encode(text, pair, !o.no_special_tokens);
  if (o.json) {
    JsonWriter w;
    w.begin_object().key("tokenizer").value(tok.path());
    w.key("tokens").strings(t.tokens).key("input_ids").ints(t.input_ids).key("token_type_ids").ints(t.token_type_ids);
    w.key("offsets");
    write_offsets(w, t);
    w.key("special_tokens_mask").ints(t.special_tokens_mask).key("word_ids");
    write_nullable_ints(w, t.word_ids);
    // The roles tokenizer_config.json gives special tokens: {"bos_token": {"content", "id"}, ...}.
    w.key("special_tokens").begin_object();
    for (const SpecialTokenRole& s : tok.special_tokens()) {
      w.key(s.role).begin_object().key("content").value(s.content).key("id");
      s.id < 0 ? w.null() : w.value(s.id);
      w.end_object();
    }
    w.end_object();
    w.end_object();
    write_stdout(w.str() + "\n");
    return;
  }
  write_stdout("Tokens: " + python_list_repr(t.tokens) + "\ninput_ids: " + python_ints(t.input_ids) +
               "\ntoken_type_ids: " + python_ints(t.token_type_ids) + "\noffsets: " + python_offsets(t) +
               "\nspecial_tokens_mask: " + python_ints(t.special_tokens_mask) + "\n");
}

// One JSON line per record, in input order; records are encoded `threads` at a time in chunks.
void run_corpus(const TokenizeOptions& o, const HfTokenizer& tok) {
  std::FILE* in = stdin;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> owned(nullptr, std::fclose);
  if (o.input != "-") {
    owned.reset(std::fopen(o.input.c_str(), "rb"));
    if (!owned) throw Error(o.input + ": cannot open for reading", kExitIo);
    in = owned.get();
  }
  CorpusReader reader(in, o.input == "-" ? "standard input" : o.input, corpus_format_from_name(o.format));
  const int threads = o.threads > 0 ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  const bool add_special = !o.no_special_tokens;
  constexpr size_t kChunk = 1024;
  std::vector<CorpusRecord> records;
  std::vector<std::string> lines;
  bool more = true;
  while (more) {
    records.clear();
    while (records.size() < kChunk) {
      CorpusRecord r;
      if (!reader.next(r)) {
        more = false;
        break;
      }
      records.push_back(std::move(r));
    }
    lines.assign(records.size(), std::string());
    auto work = [&](size_t first, size_t step) {
      for (size_t i = first; i < records.size(); i += step) {
        const CorpusRecord& r = records[i];
        JsonWriter w;
        w.begin_object().key("id").raw_number(r.id);
        if (!r.error.empty()) {
          w.key("error").value(r.error).end_object();
        } else {
          try {
            const TokenizedText t = r.pair ? tok.encode(r.text, std::string_view(*r.pair), add_special)
                                           : tok.encode(r.text, std::nullopt, add_special);
            w.key("tokens").strings(t.tokens).key("input_ids").ints(t.input_ids).key("offsets");
            write_offsets(w, t);
            if (r.pair) w.key("token_type_ids").ints(t.token_type_ids);
            w.end_object();
          } catch (const Error& e) {
            JsonWriter err;
            err.begin_object().key("id").raw_number(r.id).key("error").value(e.what()).end_object();
            lines[i] = err.str() + "\n";
            continue;
          }
        }
        lines[i] = w.str() + "\n";
      }
    };
    const size_t n_threads = std::min<size_t>(static_cast<size_t>(threads), std::max<size_t>(1, records.size()));
    std::vector<std::thread> pool;
    for (size_t t = 1; t < n_threads; ++t) pool.emplace_back(work, t, n_threads);
    work(0, n_threads);
    for (auto& th : pool) th.join();
    std::string out;
    for (const std::string& l : lines) out += l;
    write_stdout(out);
  }
}

void run_tokenize(const TokenizeOptions& o) {
  if (!o.tokenizer.empty() && !o.model.empty())
    throw Error("--tokenizer and --model cannot both be given: choose one", kExitUsage);
  if (o.input.empty() != o.has_text)
    throw Error(o.input.empty() ? "give a TEXT to tokenize, or --input FILE|- for one text per line"
                                : "give either TEXT or --input, not both",
                kExitUsage);
  if (!o.input.empty() && o.pair) throw Error("--pair goes with TEXT; with --input give pairs as JSON lines {\"text\", \"pair\"}", kExitUsage);
  if (o.tokenizer.empty()) {
    if (o.no_special_tokens) throw Error("--no-special-tokens needs --tokenizer", kExitUsage);
    run_with_model(o);
    return;
  }
  const HfTokenizer tok = HfTokenizer::open(o.tokenizer);
  if (o.input.empty())
    run_one_text(o, tok);
  else
    run_corpus(o, tok);
}

}  // namespace

void add_tokenize_command(CLI::App& app) {
  auto o = std::make_shared<TokenizeOptions>();
  CLI::App* t = app.add_subcommand(
      "tokenize",
      "Tokenize text as a model's tokenizer does (--model: BERT, exactly as BertTokenizerFast), or through\n"
      "any tokenizer.json (--tokenizer: exactly as Hugging Face tokenizers encodes it, with character\n"
      "offsets as its Python binding reports them). --input tokenizes a corpus: one JSON line per text.");
  t->add_option("--model,-m", o->model,
                "Model directory (Hugging Face layout) or Hub id such as bert-base-uncased. Default: "
                "bert-base-uncased from the Hugging Face cache, else the offline all-MiniLM-L6-v2");
  t->add_option("--tokenizer", o->tokenizer,
                "A tokenizer.json (or a directory holding one); needs no model weights");
  CLI::Option* text = t->add_option("TEXT", o->text, "Text to tokenize; '-' reads it from standard input");
  t->add_option("--pair", o->pair, "Second segment of a pair (the post-processor's pair template); '-' reads stdin");
  t->add_option("--input", o->input,
                "With --tokenizer: tokenize every text of FILE ('-': standard input), text lines or JSON lines "
                "{\"id\", \"text\", \"pair\"?} as `corpus` reads them; prints {\"id\", \"tokens\", \"input_ids\", "
                "\"offsets\"} per text, in order");
  t->add_option("--format", o->format, "--input format: auto, text or jsonl")->capture_default_str();
  t->add_option("--threads", o->threads, "--input: threads encoding texts (default: every core)")
      ->check(CLI::Range(0, 1024));
  t->add_flag("--json", o->json,
              "Print one JSON object: tokens, input_ids, token_type_ids (and with --tokenizer offsets, "
              "special_tokens_mask, word_ids, and the special tokens' roles from tokenizer_config.json)");
  t->add_flag("--no-special-tokens", o->no_special_tokens,
              "With --tokenizer: encode without the post-processor's special tokens (add_special_tokens=False)");
  t->add_flag("--no-truncate", o->no_truncate,
              "With --model: refuse inputs longer than max_position_embeddings instead of truncating them");
  t->callback([o, text] {
    o->has_text = text->count() > 0;
    run_tokenize(*o);
  });
}

}  // namespace attnlab::cli
