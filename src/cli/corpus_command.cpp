// `attnlab corpus`: many texts through one model, one JSON line per text and per-head statistics over
// the corpus; `--shard i/N` splits a corpus over Slurm array tasks, `attnlab corpus merge` joins them.
//
// Files of a run with --out DIR (a shard writes them into DIR/shard-<i>-of-<N>/ instead):
//   results.jsonl        the lines --jsonl prints, in input order
//   head_stats.csv       per-head token-weighted means over the corpus
//   head_scores.csv      --reduce heads: the head scores' token-weighted means
//   token_attention.csv  per layer, the attention each vocabulary token receives, most first
//   head_stats_<stat>.png/.svg   layer x head grids
//   aggregate.json       the exact totals merge reads; written last, it marks the run finished
// Everything is written into a hidden directory beside the result and moved into place at the end, so
// a killed run leaves no partial results, and a rerun skips a finished shard.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "attnlab/batching.h"
#include "attnlab/corpus.h"
#include "attnlab/error.h"
#include "attnlab/figure.h"
#include "cli/commands.h"
#include "cli/session.h"

namespace attnlab::cli {
namespace {

namespace fs = std::filesystem;
using FilePtr = std::unique_ptr<std::FILE, int (*)(std::FILE*)>;

struct CorpusArgs {
  std::string input;
  std::string model;
  std::string reduce = "head-stats";
  std::string input_format = "auto";
  std::string out;
  std::string shard;
  bool jsonl = false;
  bool totals = false;
  bool no_truncate = false;
  long long batch_size = 0;  // no count limit: the token budget alone, as CorpusOptions
  long long batch_tokens = static_cast<long long>(kDefaultBatchTokens);
};

struct MergeArgs {
  std::vector<std::string> dirs;
  std::string out;
};

// ---- Files.

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read " + path.string(), kExitIo);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const fs::path& path, std::string_view text) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw Error("cannot write " + path.string() + ": " + std::strerror(errno), kExitIo);
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  if (std::fclose(f) != 0 || !ok) throw Error("cannot write " + path.string() + ": " + std::strerror(errno), kExitIo);
}

void make_dirs(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) throw Error("cannot create directory " + dir.string() + ": " + ec.message(), kExitIo);
}

// A hidden directory beside the outputs, removed unless its contents were moved into place.
class StagingDir {
 public:
  StagingDir(const fs::path& parent, const std::string& what) {
    char host[256] = "host";
    gethostname(host, sizeof host - 1);
    path_ = parent / ("." + what + ".partial-" + host + "-" + std::to_string(getpid()));
    std::error_code ec;
    fs::remove_all(path_, ec);
    make_dirs(path_);
  }
  ~StagingDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  StagingDir(const StagingDir&) = delete;
  StagingDir& operator=(const StagingDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void move_into_place(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::rename(from, to, ec);
  if (ec) throw Error("cannot move " + from.string() + " to " + to.string() + ": " + ec.message(), kExitIo);
}

// Everything but results.jsonl, into `dir`.
void write_aggregates(const fs::path& dir, const CorpusTotals& totals, const CorpusSettings& settings) {
  write_file(dir / "head_stats.csv", head_stats_csv(totals));
  write_file(dir / "token_attention.csv", token_attention_csv(totals));
  if (settings.reductions & kReduceHeads) write_file(dir / "head_scores.csv", head_scores_csv(totals));
  if (totals.texts() > 0)
    for (int k = 0; k < kNumHeadStats; ++k)
      for (ImageFormat format : {ImageFormat::kPng, ImageFormat::kSvg})
        save_figure(head_stats_figure(totals, k, settings.model),
                    dir / ("head_stats_" + std::string(totals.stat_names()[static_cast<size_t>(k)]) +
                           (format == ImageFormat::kPng ? ".png" : ".svg")),
                    format);
  write_file(dir / "aggregate.json", totals.to_json(settings));
}

// A staged run into its place: a shard's directory is renamed whole; files for DIR itself one by one,
// aggregate.json (the mark of a finished run) last.
void publish(const fs::path& staged, const fs::path& target, bool whole_directory) {
  if (whole_directory) {
    move_into_place(staged, target);
    return;
  }
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(staged)) files.push_back(e.path());
  std::sort(files.begin(), files.end(), [](const fs::path& a, const fs::path& b) {
    return (a.filename() == "aggregate.json") < (b.filename() == "aggregate.json") ||
           ((a.filename() == "aggregate.json") == (b.filename() == "aggregate.json") && a < b);
  });
  for (const fs::path& f : files) move_into_place(f, target / f.filename());
}

// ---- Shards.

std::string shard_dir_name(int shard, int shards) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "shard-%05d-of-%05d", shard, shards);
  return buf;
}

int parse_count(const std::string& text, const std::string& what) {
  int v = 0;
  size_t used = 0;
  try {
    v = std::stoi(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size()) throw Error(what + ": expected a whole number, got '" + text + "'", kExitUsage);
  return v;
}

// --shard i/N, else a Slurm array task's place in its array, else 0/1.
std::pair<int, int> choose_shard(const std::string& flag) {
  int shard = 0, shards = 1;
  if (!flag.empty()) {
    const size_t slash = flag.find('/');
    if (slash == std::string::npos) throw Error("--shard: expected i/N such as 0/8, got '" + flag + "'", kExitUsage);
    shard = parse_count(flag.substr(0, slash), "--shard");
    shards = parse_count(flag.substr(slash + 1), "--shard");
  } else if (const char* id = std::getenv("SLURM_ARRAY_TASK_ID"), *count = std::getenv("SLURM_ARRAY_TASK_COUNT");
             id && count) {
    const char* min = std::getenv("SLURM_ARRAY_TASK_MIN");
    const char* step = std::getenv("SLURM_ARRAY_TASK_STEP");
    const int first = min ? parse_count(min, "SLURM_ARRAY_TASK_MIN") : 0;
    const int stride = step ? parse_count(step, "SLURM_ARRAY_TASK_STEP") : 1;
    shards = parse_count(count, "SLURM_ARRAY_TASK_COUNT");
    shard = (parse_count(id, "SLURM_ARRAY_TASK_ID") - first) / std::max(stride, 1);
    if (shards < 1 || shard < 0 || shard >= shards)
      throw Error("SLURM_ARRAY_TASK_ID " + std::string(id) + " is not one of " + std::to_string(shards) +
                      " evenly spaced array tasks from " + std::to_string(first) + "; pass --shard i/N",
                  kExitUsage);
    return {shard, shards};
  }
  if (shards < 1 || shard < 0 || shard >= shards)
    throw Error("--shard " + flag + ": need 0 <= i < N", kExitUsage);
  return {shard, shards};
}

// ---- Progress on stderr: a bar redrawn in place on a terminal, a line every 10 s elsewhere.

class Progress {
 public:
  explicit Progress(long long total) : total_(total), tty_(isatty(STDERR_FILENO) == 1) {}

  void update(long long texts, long long tokens) {
    const Clock::time_point now = Clock::now();
    if (now - last_ < (tty_ ? std::chrono::milliseconds(100) : std::chrono::milliseconds(10000))) return;
    last_ = now;
    const std::string line = status(texts, tokens, now);
    if (tty_) std::fprintf(stderr, "\r%s\033[K", line.c_str());
    else std::fprintf(stderr, "attnlab: corpus: %s\n", line.c_str());
    std::fflush(stderr);
    drawn_ = tty_;
  }

  void finish(long long texts, long long tokens, long long failed) {
    const double s = seconds(Clock::now());
    if (drawn_) std::fputs("\r\033[K", stderr);
    std::fprintf(stderr, "attnlab: corpus: %lld texts (%lld tokens) in %.1f s, %.1f texts/s, %.0f tokens/s; %lld failed\n",
                 texts, tokens, s, s > 0 ? static_cast<double>(texts) / s : 0.0,
                 s > 0 ? static_cast<double>(tokens) / s : 0.0, failed);
  }

 private:
  using Clock = std::chrono::steady_clock;
  double seconds(Clock::time_point now) const { return std::chrono::duration<double>(now - start_).count(); }

  std::string status(long long texts, long long tokens, Clock::time_point now) const {
    const double s = seconds(now), rate = s > 0 ? static_cast<double>(texts) / s : 0.0;
    char buf[256];
    std::string out;
    if (total_ > 0) {
      const double frac = std::min(1.0, static_cast<double>(texts) / static_cast<double>(total_));
      const int width = 24, filled = static_cast<int>(frac * width);
      out = (tty_ ? "[" + std::string(filled, '#') + std::string(width - filled, ' ') + "] " : "");
      std::snprintf(buf, sizeof buf, "%3.0f%% %lld/%lld texts", frac * 100, texts, total_);
    } else {
      std::snprintf(buf, sizeof buf, "%lld texts", texts);
    }
    out += buf;
    std::snprintf(buf, sizeof buf, ", %.1f texts/s, %.0f tokens/s", rate, s > 0 ? static_cast<double>(tokens) / s : 0.0);
    out += buf;
    if (total_ > 0 && rate > 0) {
      const long long eta = std::llround(static_cast<double>(std::max(0LL, total_ - texts)) / rate);
      std::snprintf(buf, sizeof buf, ", ETA %lld:%02lld", eta / 60, eta % 60);
      out += buf;
    }
    return out;
  }

  long long total_;
  bool tty_;
  bool drawn_ = false;
  Clock::time_point start_ = Clock::now(), last_ = start_;
};

// ---- attnlab corpus.

CorpusSettings settings_for(const CorpusArgs& a, const std::string& model, unsigned reductions, int shard, int shards) {
  CorpusSettings s;
  s.model = model;
  s.input = a.input;
  if (a.input != "-") {
    std::error_code ec;
    const fs::path abs = fs::absolute(a.input, ec);
    if (!ec) s.input = abs.lexically_normal().string();
    if (fs::is_regular_file(a.input, ec)) {
      s.input_bytes = static_cast<long long>(fs::file_size(a.input, ec));
      s.input_mtime_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             fs::last_write_time(a.input, ec).time_since_epoch())
                             .count();
    }
  }
  s.input_format = a.input_format;
  s.reductions = reductions;
  s.truncate = !a.no_truncate;
  s.shard = shard;
  s.shards = shards;
  return s;
}

Error failures_error(long long failed, long long texts) {
  return Error(std::to_string(failed) + " of " + std::to_string(failed + texts) +
                   " inputs failed; their error records ({\"id\", \"error\"}) are in the output",
               kExitInput);
}

void write_line(std::FILE* f, std::string_view line, const std::string& name) {
  if (std::fwrite(line.data(), 1, line.size(), f) != line.size() || std::fputc('\n', f) == EOF)
    throw Error("cannot write " + name, kExitIo);
}

void run_corpus(const CorpusArgs& a) {
  if (a.input.empty()) throw Error("corpus: INPUT is required (a file, or - for standard input)", kExitUsage);
  const unsigned reductions = parse_corpus_reductions(a.reduce);
  const CorpusFormat format = corpus_format_from_name(a.input_format);
  const auto [shard, shards] = choose_shard(a.shard);

  std::FILE* in = stdin;
  FilePtr owned(nullptr, std::fclose);
  if (a.input != "-") {
    owned.reset(std::fopen(a.input.c_str(), "rb"));
    if (!owned) throw Error("cannot open " + a.input + ": " + std::strerror(errno), kExitIo);
    in = owned.get();
  }
  const std::string input_name = a.input == "-" ? "standard input" : a.input;

  // Where the files go, and whether this shard already ran.
  fs::path out_dir, target;
  if (!a.out.empty()) {
    out_dir = a.out;
    make_dirs(out_dir);
    target = shards > 1 ? out_dir / shard_dir_name(shard, shards) : out_dir;
  }
  EngineOptions engine_options;
  std::optional<Engine> engine;
  std::string model_name;
  if (!a.out.empty() && fs::exists(target / "aggregate.json")) {
    // A finished run: compare what it was asked with what this one is (the model's name needs no weights).
    engine_options.tokenizer_only = true;
    model_name = open_engine(a.model, engine_options).info().name;
    CorpusSettings done;
    const CorpusTotals totals = CorpusTotals::from_json(read_file(target / "aggregate.json"),
                                                        (target / "aggregate.json").string(), done);
    const CorpusSettings want = settings_for(a, model_name, reductions, shard, shards);
    if (!(done == want))
      throw Error((target / "aggregate.json").string() + " is a finished run of other settings (model " + done.model +
                      ", input " + done.input + ", --reduce " + corpus_reduction_list(done.reductions) +
                      ", shard " + std::to_string(done.shard) + "/" + std::to_string(done.shards) +
                      "); choose another --out or remove it",
                  kExitUsage);
    std::fprintf(stderr, "attnlab: corpus: %s is finished (%lld texts); skipping it\n", target.c_str(), totals.texts());
    if (totals.failed() > 0) throw failures_error(totals.failed(), totals.texts());
    return;
  }
  engine_options.tokenizer_only = false;
  engine.emplace(open_engine(a.model, engine_options));
  model_name = engine->info().name;
  const CorpusSettings settings = settings_for(a, model_name, reductions, shard, shards);

  std::optional<StagingDir> staging;
  FilePtr results(nullptr, std::fclose);
  fs::path results_path;
  if (!a.out.empty()) {
    staging.emplace(out_dir, shard_dir_name(shard, shards));
    results_path = staging->path() / "results.jsonl";
    results.reset(std::fopen(results_path.c_str(), "wb"));
    if (!results) throw Error("cannot write " + results_path.string() + ": " + std::strerror(errno), kExitIo);
  }

  long long total = a.input == "-" ? -1 : count_corpus_records(a.input);
  if (total > 0) total = total / shards + (total % shards > shard ? 1 : 0);
  Progress progress(total);
  long long lines = 0;
  CorpusOptions options;
  options.reductions = reductions;
  options.batch = {static_cast<size_t>(a.batch_size), static_cast<size_t>(a.batch_tokens)};
  options.truncation.truncate = !a.no_truncate;
  const CorpusRunner* running = nullptr;  // set below; the sink only runs inside its calls
  CorpusRunner runner(*engine, options, [&](std::string_view line, bool /*ok*/) {
    if (a.jsonl) {
      // One line at a time, flushed: what RDD.pipe, GNU parallel and shell pipelines read.
      write_line(stdout, line, "standard output");
      if (std::fflush(stdout) != 0) throw Error("cannot write to standard output", kExitIo);
    }
    if (results) write_line(results.get(), line, results_path.string());
    progress.update(++lines, running->totals().tokens());
  });
  running = &runner;
  CorpusReader reader(in, input_name, format);
  CorpusRecord record;
  while (reader.next(record))
    if (record.index % shards == shard) runner.add(std::move(record));
  runner.finish();
  const CorpusTotals& totals = runner.totals();
  progress.finish(totals.texts(), totals.tokens(), totals.failed());

  if (results) {
    if (std::fclose(results.release()) != 0) throw Error("cannot write " + results_path.string(), kExitIo);
    write_aggregates(staging->path(), totals, settings);
    publish(staging->path(), target, shards > 1);
    std::fprintf(stderr, "attnlab: corpus: wrote %s\n", target.c_str());
  }
  if (a.totals) write_stdout(totals.to_json(settings));
  else if (!a.jsonl && a.out.empty()) write_stdout(head_stats_csv(totals));
  if (totals.failed() > 0) throw failures_error(totals.failed(), totals.texts());
}

// ---- attnlab corpus merge.

struct Part {
  fs::path dir;
  CorpusSettings settings;
  CorpusTotals totals;
};

std::vector<Part> find_parts(const fs::path& dir) {
  std::vector<fs::path> dirs;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().filename().string().rfind("shard-", 0) == 0 && fs::exists(e.path() / "aggregate.json"))
      dirs.push_back(e.path());
  if (ec) throw Error("cannot read directory " + dir.string() + ": " + ec.message(), kExitIo);
  std::sort(dirs.begin(), dirs.end());
  if (dirs.empty() && fs::exists(dir / "aggregate.json")) dirs.push_back(dir);
  if (dirs.empty())
    throw Error(dir.string() + ": no finished corpus run in it (aggregate.json, or shard-*/aggregate.json)", kExitInput);
  std::vector<Part> parts;
  for (const fs::path& d : dirs) {
    Part p;
    p.dir = d;
    p.totals = CorpusTotals::from_json(read_file(d / "aggregate.json"), (d / "aggregate.json").string(), p.settings);
    parts.push_back(std::move(p));
  }
  return parts;
}

// One line of `f` without its '\n' into `line`; false at the end.
bool next_line(std::FILE* f, std::string& line) {
  line.clear();
  int c;
  while ((c = std::getc(f)) != EOF && c != '\n') line.push_back(static_cast<char>(c));
  return c == '\n' || !line.empty();
}

// The shards of one run, results interleaved back into input order (record k is in shard k mod N).
void append_results(const std::vector<const Part*>& group, std::FILE* out, const std::string& out_name) {
  std::vector<FilePtr> ins;
  for (const Part* p : group) {
    const fs::path path = p->dir / "results.jsonl";
    ins.emplace_back(std::fopen(path.c_str(), "rb"), std::fclose);
    if (!ins.back()) throw Error("cannot read " + path.string(), kExitIo);
  }
  std::string line;
  for (size_t k = 0;; k = (k + 1) % ins.size()) {
    if (!next_line(ins[k].get(), line)) {
      for (size_t rest = 0; rest < ins.size(); ++rest)
        if (next_line(ins[rest].get(), line))
          throw Error((group[rest]->dir / "results.jsonl").string() + " has more lines than shard " +
                          std::to_string(group[k]->settings.shard) + " allows; not shards of one run",
                      kExitInput);
      return;
    }
    write_line(out, line, out_name);
  }
}

void run_merge(const MergeArgs& m) {
  if (m.out.empty() && m.dirs.size() != 1)
    throw Error("corpus merge: --out DIR is required when merging more than one directory", kExitUsage);
  const fs::path out_dir = m.out.empty() ? fs::path(m.dirs[0]) : fs::path(m.out);
  std::vector<Part> parts;
  for (const std::string& d : m.dirs)
    for (Part& p : find_parts(d)) parts.push_back(std::move(p));

  // Shards of one run share every setting but the shard index; each must be there exactly once.
  std::vector<std::vector<const Part*>> groups;
  for (const Part& p : parts) {
    if (p.settings.model != parts[0].settings.model)
      throw Error("cannot merge runs of different models: " + parts[0].settings.model + " (" +
                      parts[0].dir.string() + ") and " + p.settings.model + " (" + p.dir.string() + ")",
                  kExitInput);
    auto same_run = [&](const std::vector<const Part*>& g) {
      CorpusSettings a = g[0]->settings, b = p.settings;
      a.shard = b.shard = 0;
      return a == b;
    };
    auto it = std::find_if(groups.begin(), groups.end(), same_run);
    if (it == groups.end()) groups.push_back({&p});
    else it->push_back(&p);
  }
  for (auto& g : groups) {
    std::sort(g.begin(), g.end(), [](const Part* a, const Part* b) { return a->settings.shard < b->settings.shard; });
    const int shards = g[0]->settings.shards;
    std::string missing;
    for (size_t i = 0; i + 1 < g.size(); ++i)
      if (g[i]->settings.shard == g[i + 1]->settings.shard)
        throw Error(g[i]->dir.string() + " and " + g[i + 1]->dir.string() + " are the same shard of one run",
                    kExitInput);
    for (int s = 0, i = 0; s < shards; ++s) {
      if (i < static_cast<int>(g.size()) && g[static_cast<size_t>(i)]->settings.shard == s) ++i;
      else missing += (missing.empty() ? "" : ", ") + std::to_string(s);
    }
    if (!missing.empty())
      throw Error("shards " + missing + " of " + std::to_string(shards) + " of the run in " +
                      g[0]->dir.parent_path().string() + " are not finished (no aggregate.json)",
                  kExitInput);
  }

  CorpusTotals totals(parts[0].totals.layers(), parts[0].totals.heads(), parts[0].totals.causal());
  for (const Part& p : parts) totals.merge(p.totals);
  CorpusSettings settings = groups[0][0]->settings;
  settings.shard = 0;
  settings.shards = 1;
  if (groups.size() > 1) {
    settings.input = "(merged)";
    settings.input_bytes = settings.input_mtime_ns = -1;
  }

  make_dirs(out_dir);
  StagingDir staging(out_dir, "merge");
  const fs::path results_path = staging.path() / "results.jsonl";
  {
    FilePtr results(std::fopen(results_path.c_str(), "wb"), std::fclose);
    if (!results) throw Error("cannot write " + results_path.string(), kExitIo);
    for (const auto& g : groups) append_results(g, results.get(), results_path.string());
    if (std::fclose(results.release()) != 0) throw Error("cannot write " + results_path.string(), kExitIo);
  }
  write_aggregates(staging.path(), totals, settings);
  publish(staging.path(), out_dir, /*whole_directory=*/false);
  std::fprintf(stderr, "attnlab: corpus merge: %zu parts, %lld texts (%lld tokens); wrote %s\n", parts.size(),
               totals.texts(), totals.tokens(), out_dir.c_str());
}

}  // namespace

void add_corpus_command(CLI::App& app) {
  auto a = std::make_shared<CorpusArgs>();
  CLI::App* c = app.add_subcommand(
      "corpus",
      "Run a model over a corpus: one JSON line per text (--jsonl) and per-head statistics over all of it\n"
      "(Clark et al. 2019), in bounded memory; --shard splits it over Slurm array tasks, 'corpus merge'\n"
      "joins the shards' results exactly");
  c->add_option("INPUT", a->input,
                "Text file with one text per line, or JSON lines {\"id\", \"text\", \"pair\"?}; '-' reads "
                "standard input. Blank lines are skipped; ids default to the 0-based line number");
  c->add_option("--model,-m", a->model,
                "Model directory (Hugging Face layout) or Hub id. Default: bert-base-uncased from the Hugging "
                "Face cache, else the offline all-MiniLM-L6-v2");
  c->add_option("--reduce", a->reduce,
                "What each line carries, comma-separated: head-stats ([layers][heads]{cls, sep, punct, self, "
                "prev, next, entropy}; a causal decoder's bos, eos instead of cls, sep: attention to the bos "
                "token, or to the first token when the tokenizer adds no bos, and to eos), cls-row "
                "([layers][heads][n], the [CLS] row of every head), rollout-cls ([n], the [CLS] row of attention "
                "rollout), heads ({score: [layers][heads]}: attnlab heads' sink, previous_token, duplicate_token, "
                "induction, their _excl forms, self, local_window, entropy; head_scores.csv holds their "
                "token-weighted means)")
      ->capture_default_str();
  c->add_flag("--jsonl", a->jsonl,
              "Print one JSON line per input in input order, flushed per line, nothing else on stdout; an "
              "input that fails gives {\"id\", \"error\"} and the run goes on (exit code 3 at the end)");
  c->add_flag("--totals", a->totals,
              "Print only the run's exact totals at the end, as one JSON line on stdout (aggregate.json's "
              "format: integer sums of 2^-64 units, which add exactly in any order), instead of the CSV: what a "
              "pipeline that joins parts reads, e.g. Spark's RDD.pipe in examples/spark_head_stats.py")
      ->excludes("--jsonl");
  c->add_option("--out", a->out,
                "Write results.jsonl, head_stats.csv, token_attention.csv, layer x head figures (PNG, SVG) "
                "and aggregate.json into DIR (a shard: into DIR/shard-<i>-of-<N>/); a finished run is skipped");
  c->add_option("--shard", a->shard,
                "Run only shard i of N (0-based): the inputs whose index among the non-blank lines is i mod N. "
                "Default: from SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT when set, else 0/1");
  c->add_option("--batch-size", a->batch_size,
                "Pack texts into forward passes of at most this many texts (0: no count limit, only --batch-tokens)")
      ->check(CLI::Range(0LL, 1LL << 24))
      ->capture_default_str();
  c->add_option("--batch-tokens", a->batch_tokens,
                "Pack texts into forward passes of at most this many tokens (a longer text runs alone)")
      ->check(CLI::Range(1LL, 1LL << 24))
      ->capture_default_str();
  c->add_option("--input-format", a->input_format,
                "auto (JSONL when the first non-blank line starts with '{'), text or jsonl")
      ->capture_default_str();
  c->add_flag("--no-truncate", a->no_truncate,
              "Inputs longer than max_position_embeddings become error records instead of being truncated");

  auto m = std::make_shared<MergeArgs>();
  CLI::App* merge = c->add_subcommand(
      "merge",
      "Join finished runs and shards (each DIR: a run's --out, holding aggregate.json or shard-*/) into the "
      "files one run over all their inputs writes, with the same numbers");
  merge->add_option("DIR", m->dirs, "Directories of finished runs or shards")->required();
  merge->add_option("--out", m->out, "Where to write (default: the DIR, when there is one)");
  merge->callback([m] { run_merge(*m); });
  c->callback([a, merge] {
    if (!merge->parsed()) run_corpus(*a);
  });
}

}  // namespace attnlab::cli
