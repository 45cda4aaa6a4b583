// Corpus runs (include/attnlab/corpus.h, `attnlab corpus`): input lines, exact sums, the JSON line
// contract, corpus means against numpy's, shards merged equal to one run, reruns, errors.
// Fixtures: tools/make_head_stats_fixtures.py -> tests/fixtures/head_stats/<model>.json ("corpus").
#include "attnlab/corpus.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>

#include "../cli/cli_run.h"
#include "../support/fixtures.h"
#include "../support/out_of_vocab_model.h"
#include "../support/temp_dir.h"
#include "attnlab/error.h"

namespace attnlab {
namespace {

namespace fs = std::filesystem;
using testing::expect_run;
using testing::kTiny;
using testing::run_cli;
using testing::TempDir;

std::vector<CorpusRecord> read_all(const std::string& bytes, CorpusFormat format = CorpusFormat::kAuto) {
  std::FILE* f = fmemopen(const_cast<char*>(bytes.data()), bytes.size(), "rb");
  if (bytes.empty()) f = std::fopen("/dev/null", "rb");
  CorpusReader reader(f, "test input", format);
  std::vector<CorpusRecord> out;
  CorpusRecord r;
  while (reader.next(r)) out.push_back(r);
  std::fclose(f);
  return out;
}

std::string read(const fs::path& p) { return testing::read_text(p.string()); }

testing::ProcessOptions stdin_from(const fs::path& file) {
  testing::ProcessOptions o;
  o.stdin_file = file;
  return o;
}
testing::ProcessOptions stdin_text(const std::string& text) {
  testing::ProcessOptions o;
  o.stdin_text = text;
  return o;
}
// The environment of Slurm array task `id` of `count` tasks numbered from `min`.
testing::ProcessOptions slurm_task(int id, int count, int min) {
  testing::ProcessOptions o;
  o.env = {{"SLURM_ARRAY_TASK_ID", std::to_string(id)}, {"SLURM_ARRAY_TASK_COUNT", std::to_string(count)},
           {"SLURM_ARRAY_TASK_MIN", std::to_string(min)}};
  return o;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  size_t begin = 0;
  while (begin < text.size()) {
    const size_t end = text.find('\n', begin);
    out.push_back(text.substr(begin, end - begin));
    if (end == std::string::npos) break;
    begin = end + 1;
  }
  return out;
}

TEST(CorpusReader, TextLinesSkipBlanksKeepLineNumbersAndAnyBytes) {
  using namespace std::string_literals;
  const auto r = read_all("\xEF\xBB\xBF" "first line\r\n\n   \t\nsecond\0with nul\nlast without newline"s);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].text, "first line");
  EXPECT_EQ(r[0].id, "0");
  EXPECT_EQ(r[1].text, std::string("second\0with nul", 15));
  EXPECT_EQ(r[1].id, "3");
  EXPECT_EQ(r[1].index, 1);
  EXPECT_EQ(r[2].text, "last without newline");
  EXPECT_EQ(r[2].line, 4);
  EXPECT_TRUE(read_all("").empty());
}

TEST(CorpusReader, JsonLinesWithIdsPairsAndErrorRecords) {
  const std::string input =
      "{\"id\": \"a\", \"text\": \"The cat.\", \"pair\": \"A dog.\", \"source\": \"ignored\"}\n"
      "{\"text\": \"no id\", \"pair\": null}\n"
      "{\"id\": 7, \"text\": 3}\n"
      "not json\n"
      "[1, 2]\n"
      "{\"id\": [1], \"text\": \"x\"}\n"
      "{\"text\": \"x\", \"pair\": 5}\n";
  const auto r = read_all(input);
  ASSERT_EQ(r.size(), 7u);
  EXPECT_EQ(r[0].id, "\"a\"");
  EXPECT_EQ(r[0].text, "The cat.");
  EXPECT_EQ(r[0].pair, std::optional<std::string>("A dog."));
  EXPECT_TRUE(r[0].error.empty());
  EXPECT_EQ(r[1].id, "1");
  EXPECT_FALSE(r[1].pair);
  EXPECT_EQ(r[2].id, "7");
  EXPECT_EQ(r[2].error, "line 3: \"text\" must be a string, got number");
  EXPECT_EQ(r[3].error, "line 4: not valid JSON (at byte 2)");
  EXPECT_EQ(r[4].error, "line 5: expected a JSON object {\"id\", \"text\", \"pair\"}, got array");
  EXPECT_EQ(r[5].error, "line 6: \"id\" must be a string or a number, got array");
  EXPECT_EQ(r[6].error, "line 7: \"pair\" must be a string or null, got number");
  // Forced text: the same lines are texts.
  EXPECT_EQ(read_all(input, CorpusFormat::kText)[3].text, "not json");
  EXPECT_THROW(corpus_format_from_name("csv"), Error);
}

TEST(CorpusReductions, ParseAndName) {
  EXPECT_EQ(parse_corpus_reductions("head-stats,cls-row"), kReduceHeadStats | kReduceClsRow);
  EXPECT_EQ(corpus_reduction_list(kReduceClsRow | kReduceHeadStats), "head-stats,cls-row");
  try {
    parse_corpus_reductions("head-stats,rows");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitUsage);
    EXPECT_NE(std::string(e.what()).find("'rows'"), std::string::npos) << e.what();
  }
}

// Sums of many values in any order and any split give the same bits; the text form round-trips.
TEST(ExactSum, OrderAndSplitDoNotChangeTheTotal) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> dist(-3000.0, 3000.0);
  std::vector<double> v(5000);
  for (double& x : v) x = dist(rng) * std::pow(10.0, static_cast<double>(rng() % 12) - 10.0);
  ExactSum forward, parts[3];
  for (double x : v) forward.add(x);
  std::shuffle(v.begin(), v.end(), rng);
  for (size_t i = 0; i < v.size(); ++i) parts[i % 3].add(v[i]);
  ExactSum merged;
  for (const ExactSum& p : {parts[2], parts[0], parts[1]}) merged.add(p);
  EXPECT_EQ(merged, forward);
  EXPECT_EQ(merged.value(), forward.value());
  EXPECT_EQ(ExactSum::from_string(forward.to_string(), "t"), forward);
  ExactSum negative;
  negative.add(-1.5);
  EXPECT_EQ(negative.value(), -1.5);
  EXPECT_EQ(negative.to_string(), "-27670116110564327424");
  EXPECT_EQ(ExactSum::from_string("-27670116110564327424", "t"), negative);
  EXPECT_THROW(ExactSum::from_string("12x", "t"), Error);
  EXPECT_THROW(ExactSum::from_string("170141183460469231731687303715884105728", "t"), Error);  // 2^127
  EXPECT_THROW(negative.add(std::nan("")), Error);
}

// The runner's lines carry what head_stats() gives for each text alone (batches equal single runs
// bit for bit), in input order, with error records in place.
TEST(CorpusRunner, LinesMatchSingleRunsInOrderWithErrorRecords) {
  const Engine engine = Engine::open(kTiny.string());
  CorpusOptions options;
  options.reductions = kReduceHeadStats | kReduceClsRow;
  options.batch.max_tokens = 20;
  std::vector<std::pair<std::string, bool>> lines;
  CorpusRunner runner(engine, options, [&](std::string_view line, bool ok) { lines.emplace_back(line, ok); });
  const std::vector<std::string> texts = {"The cat sat on the mat.", "hello, world.", "a", "students attend"};
  long long i = 0;
  for (const std::string& t : texts) {
    CorpusRecord r;
    r.index = r.line = i++;
    r.id = std::to_string(r.line);
    r.text = t;
    if (r.line == 2) r.error = "line 3: broken";
    runner.add(r);
  }
  runner.finish();
  ASSERT_EQ(lines.size(), texts.size());
  EXPECT_EQ(lines[2].first, "{\"id\": 2, \"error\": \"line 3: broken\"}");
  EXPECT_FALSE(lines[2].second);
  for (size_t k : {0u, 1u, 3u}) {
    ASSERT_TRUE(lines[k].second);
    const nlohmann::json j = nlohmann::json::parse(lines[k].first);
    const Result one = engine.run(texts[k]);
    EXPECT_EQ(j.at("id").get<long long>(), static_cast<long long>(k));
    EXPECT_EQ(j.at("tokens").get<std::vector<std::string>>(), one.encoding.tokens);
    const std::vector<HeadStats> want = head_stats(one);
    const auto& got = j.at("head-stats");
    ASSERT_EQ(got.size(), size_t(one.num_layers));
    for (int l = 0; l < one.num_layers; ++l)
      for (int h = 0; h < one.num_heads; ++h)
        for (int s = 0; s < kNumHeadStats; ++s)
          EXPECT_EQ(got[l][h].at(std::string(kHeadStatNames[s])).get<double>(),
                    head_stat(want[static_cast<size_t>(l * one.num_heads + h)], s))
              << k << " " << l << " " << h << " " << kHeadStatNames[s];
    const auto& rows = j.at("cls-row");
    for (int l = 0; l < one.num_layers; ++l)
      for (int h = 0; h < one.num_heads; ++h)
        EXPECT_EQ(rows[l][h].get<std::vector<float>>(),
                  std::vector<float>(one.attentions.row(l, h, 0).begin(), one.attentions.row(l, h, 0).end()));
  }
  EXPECT_EQ(runner.totals().texts(), 3);
  EXPECT_EQ(runner.totals().failed(), 1);
}

// A text the engine rejects (a word its tokenizer knows past the embeddings) fails alone: its line is an
// error record, and every other line, reduced in the pass that failed and then again alone, is byte for
// byte what one text per pass gives, whatever the batching.
TEST(CorpusRunner, ATextTheEngineRejectsFailsAloneAndTheOthersKeepTheirLines) {
  TempDir tmp;
  testing::write_out_of_vocab_model(kTiny, tmp / "model");
  const Engine engine = Engine::open((tmp / "model").string());
  const std::vector<std::string> texts = {"The cat sat on the mat.", std::string("a ").append(testing::kOutOfVocabWord),
                                          "hello, world.", "students attend", "x"};
  const auto run = [&](const BatchLimits& limits, std::vector<std::string>& lines) {
    CorpusOptions options;
    options.reductions = kReduceHeadStats | kReduceClsRow | kReduceRolloutCls;
    options.batch = limits;
    CorpusRunner runner(engine, options, [&](std::string_view line, bool) { lines.emplace_back(line); });
    for (size_t i = 0; i < texts.size(); ++i) {
      CorpusRecord r;
      r.index = r.line = static_cast<long long>(i);
      r.id = std::to_string(i);
      r.text = texts[i];
      runner.add(r);
    }
    runner.finish();
    EXPECT_EQ(runner.totals().texts(), 4);
    EXPECT_EQ(runner.totals().failed(), 1);
    return runner.totals();
  };
  std::vector<std::string> alone;
  const CorpusTotals alone_totals = run({1, 0}, alone);
  ASSERT_EQ(alone.size(), texts.size());
  const std::string error = "\"error\": \"line 2: token id 110 at position 2 is outside the vocabulary";
  EXPECT_NE(alone[1].find(error), std::string::npos) << alone[1];
  for (const BatchLimits limits : {BatchLimits{}, BatchLimits{2, 0}, BatchLimits{32, 12}}) {
    std::vector<std::string> lines;
    const CorpusTotals totals = run(limits, lines);
    EXPECT_EQ(lines, alone) << limits.max_inputs << " texts, " << limits.max_tokens << " tokens";
    EXPECT_TRUE(totals == alone_totals) << limits.max_inputs << " texts, " << limits.max_tokens << " tokens";
  }
}

// rollout-cls, built layer by layer in the batch's observer, is the [CLS] row of analyze()'s rollout
// bit for bit, and of the reference (tools/make_analysis_fixtures.py: the paper's compute_joint_attention
// on transformers' attentions) within 1e-5.
TEST(CorpusRunner, RolloutClsIsTheRolloutsClsRow) {
  const Engine engine = Engine::open(kTiny.string());
  const nlohmann::json fx = testing::load_json("analysis/tiny-random.json");
  CorpusOptions options;
  options.reductions = kReduceRolloutCls;
  options.batch.max_tokens = 4096;  // every case in one batch
  std::vector<std::string> lines;
  CorpusRunner runner(engine, options, [&](std::string_view line, bool) { lines.emplace_back(line); });
  long long i = 0;
  for (const auto& c : fx.at("cases")) {
    CorpusRecord r;
    r.index = r.line = i++;
    r.id = std::to_string(r.line);
    r.text = c.at("text").get<std::string>();
    if (!c.at("pair").is_null()) r.pair = c.at("pair").get<std::string>();
    runner.add(r);
  }
  runner.finish();
  ASSERT_EQ(lines.size(), fx.at("cases").size());
  for (size_t k = 0; k < lines.size(); ++k) {
    const nlohmann::json j = nlohmann::json::parse(lines[k]);
    const auto& c = fx.at("cases")[k];
    const std::optional<std::string> pair =
        c.at("pair").is_null() ? std::nullopt : std::optional<std::string>(c.at("pair").get<std::string>());
    const Encoding enc = engine.encode(c.at("text").get<std::string>(), pair);
    const Attribution want = analyze(engine, enc, Method::kRollout);
    const std::vector<float> got = j.at("rollout-cls").get<std::vector<float>>();
    EXPECT_EQ(got, std::vector<float>(want.row(0).begin(), want.row(0).end())) << k;
    const std::vector<double> reference = c.at("rollout")[0].get<std::vector<double>>();
    ASSERT_EQ(got.size(), reference.size());
    for (size_t t = 0; t < got.size(); ++t) EXPECT_NEAR(got[t], reference[t], 1e-5) << k << " token " << t;
  }
}

// ---- The CLI.

struct Cases {
  std::string jsonl;
  nlohmann::json corpus;
};

Cases fixture_corpus(const std::string& model) {
  Cases c;
  c.corpus = testing::load_json("head_stats/" + model + ".json").at("corpus");
  for (const auto& line : c.corpus.at("jsonl")) c.jsonl += line.get<std::string>() + "\n";
  return c;
}

// head_stats.csv as {layer, head} -> row of strings.
std::map<std::pair<int, int>, std::vector<std::string>> parse_head_stats_csv(const std::string& csv) {
  std::map<std::pair<int, int>, std::vector<std::string>> rows;
  const auto lines = lines_of(csv);
  EXPECT_EQ(lines.at(0), "layer,head,cls,sep,punct,self,prev,next,entropy,tokens");
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> f;
    size_t b = 0;
    for (size_t e; (e = lines[i].find(',', b)) != std::string::npos; b = e + 1) f.push_back(lines[i].substr(b, e - b));
    f.push_back(lines[i].substr(b));
    rows[{std::stoi(f[0]), std::stoi(f[1])}] = f;
  }
  return rows;
}

// The corpus means `attnlab corpus --out` writes, against numpy's over transformers' attentions.
// Tolerance 1e-5, as for one text (the engine's attentions are within 1e-5 of transformers').
void check_corpus_means(const fs::path& model_dir, const std::string& model) {
  const Cases c = fixture_corpus(model);
  TempDir tmp;
  testing::write_file(tmp / "corpus.jsonl", c.jsonl);
  const auto r = run_cli({"corpus", (tmp / "corpus.jsonl").string(), "--model", model_dir.string(), "--out",
                          (tmp / "out").string()});
  expect_run(r, 0, "attnlab: corpus: 6 texts");
  EXPECT_EQ(r.out, "");
  const auto rows = parse_head_stats_csv(read(tmp / "out" / "head_stats.csv"));
  const auto& means = c.corpus.at("head_means");
  ASSERT_EQ(rows.size(), means.size() * means[0].size());
  double max_diff = 0;
  for (const auto& [lh, f] : rows) {
    for (int k = 0; k < kNumHeadStats; ++k) {
      const double want = means[lh.first][lh.second].at(std::string(kHeadStatNames[k])).get<double>();
      const double d = std::abs(std::stod(f[2 + k]) - want);
      max_diff = std::max(max_diff, d);
      EXPECT_LE(d, 1e-5) << model << " layer " << lh.first << " head " << lh.second << " " << kHeadStatNames[k];
    }
    EXPECT_EQ(f[9], std::to_string(c.corpus.at("tokens").get<long long>()));
  }
  std::printf("[ max diff ] corpus head means %-12s vs numpy %.3g (tolerance 1e-5)\n", model.c_str(), max_diff);
  // Token-level averages: every (layer, id) with its count and mean.
  std::map<std::pair<int, int>, std::pair<long long, double>> got;
  const auto token_lines = lines_of(read(tmp / "out" / "token_attention.csv"));
  EXPECT_EQ(token_lines.at(0), "layer,rank,token,id,count,mean_received");
  for (size_t i = 1; i < token_lines.size(); ++i) {
    const std::string& l = token_lines[i];
    // From the right: the token may be a quoted ",".
    const size_t last = l.rfind(','), before = l.rfind(',', last - 1), id_at = l.rfind(',', before - 1);
    got[{std::stoi(l.substr(0, l.find(','))), std::stoi(l.substr(id_at + 1, before - id_at - 1))}] = {
        std::stoll(l.substr(before + 1, last - before - 1)), std::stod(l.substr(last + 1))};
  }
  const auto& received = c.corpus.at("received");
  EXPECT_EQ(got.size(), received.size());
  double max_received = 0;
  for (const auto& e : received) {
    const auto it = got.find({e[0].get<int>(), e[1].get<int>()});
    ASSERT_NE(it, got.end()) << e.dump();
    EXPECT_EQ(it->second.first, e[3].get<long long>()) << e.dump();
    max_received = std::max(max_received, std::abs(it->second.second - e[4].get<double>()));
  }
  EXPECT_LE(max_received, 1e-5);
  std::printf("[ max diff ] corpus received attention %-12s vs numpy %.3g (tolerance 1e-5)\n", model.c_str(),
              max_received);
  for (const char* stat : {"cls", "entropy"})
    for (const char* ext : {".png", ".svg"})
      EXPECT_TRUE(fs::file_size(tmp / "out" / (std::string("head_stats_") + stat + ext)) > 1000) << stat << ext;
  EXPECT_EQ(lines_of(read(tmp / "out" / "results.jsonl")).size(), 6u);
}

TEST(CorpusCli, MeansMatchNumpyOnTheTinyModel) { check_corpus_means(kTiny, "tiny-random"); }

TEST(CorpusCli, MeansMatchNumpyOnMiniLm) {
  if (!fs::exists(testing::kMinilm / "model.safetensors")) GTEST_SKIP() << "run `make model`";
  check_corpus_means(testing::kMinilm, "minilm");
}

std::string numbered_corpus(int n) {
  const char* words[] = {"the", "cat", "sat", "on", "mat", ",", ".", "students", "attend", "to", "every", "token"};
  std::string out;
  std::mt19937 rng(3);
  for (int i = 0; i < n; ++i) {
    const int len = 1 + static_cast<int>(rng() % 25);
    for (int w = 0; w < len; ++w) out += std::string(w ? " " : "") + words[rng() % 12];
    out += i % 7 == 3 ? "\n\n" : "\n";  // some blank lines
  }
  return out;
}

// --jsonl: one line per input, in order, ids = line numbers; the same lines whatever the batch size.
TEST(CorpusCli, JsonlStreamsOneLinePerInputWhateverTheBatch) {
  TempDir tmp;
  testing::write_file(tmp / "c.txt", numbered_corpus(40));
  const auto one = run_cli({"corpus", (tmp / "c.txt").string(), "-m", kTiny.string(), "--jsonl", "--batch-tokens", "1"});
  const auto big = run_cli({"corpus", "-", "-m", kTiny.string(), "--jsonl", "--reduce", "head-stats"},
                           stdin_from(tmp / "c.txt"));
  expect_run(one, 0, "attnlab: corpus: 40 texts");
  expect_run(big, 0, "attnlab: corpus: 40 texts");
  EXPECT_EQ(one.out, big.out);
  const auto lines = lines_of(one.out);
  ASSERT_EQ(lines.size(), 40u);
  long long line_no = 0;
  for (int i = 0; i < 40; ++i) {
    const nlohmann::json j = nlohmann::json::parse(lines[static_cast<size_t>(i)]);
    EXPECT_EQ(j.at("id").get<long long>(), line_no) << lines[static_cast<size_t>(i)];
    line_no += i % 7 == 3 ? 2 : 1;
    EXPECT_EQ(j.at("head-stats").size(), 2u);
  }
}

// Bad lines give error records, the run goes on, and the exit code says some failed.
TEST(CorpusCli, BadLinesGiveErrorRecordsAndExitCode3) {
  TempDir tmp;
  std::string long_text;
  for (int i = 0; i < 600; ++i) long_text += "a ";
  testing::write_file(tmp / "c.jsonl", "{\"id\": \"ok\", \"text\": \"the cat\"}\n{\"id\": \"bad\"}\n{oops\n"
                                       "{\"id\": \"long\", \"text\": \"" + long_text + "\"}\n"
                                       "{\"id\": 5, \"text\": \"sat\"}\n");
  const auto r = run_cli({"corpus", (tmp / "c.jsonl").string(), "-m", kTiny.string(), "--jsonl", "--no-truncate"});
  expect_run(r, kExitInput, "^attnlab: error: 3 of 5 inputs failed");
  const auto lines = lines_of(r.out);
  ASSERT_EQ(lines.size(), 5u) << r.out;
  EXPECT_EQ(nlohmann::json::parse(lines[0]).at("id"), "ok");
  EXPECT_EQ(lines[1], "{\"id\": \"bad\", \"error\": \"line 2: \\\"text\\\" must be a string, got nothing\"}");
  EXPECT_EQ(lines[2], "{\"id\": 2, \"error\": \"line 3: not valid JSON (at byte 2)\"}");
  EXPECT_TRUE(testing::has_line_matching(lines[3], "^\\{\"id\": \"long\", \"error\": \"line 4: input is [0-9]+ tokens"))
      << lines[3];
  EXPECT_EQ(nlohmann::json::parse(lines[4]).at("id"), 5);
  // Without --no-truncate the long text is cut and says so.
  const auto cut = run_cli({"corpus", (tmp / "c.jsonl").string(), "-m", kTiny.string(), "--jsonl"});
  EXPECT_EQ(nlohmann::json::parse(lines_of(cut.out)[3]).at("truncated"), true);
}

// Shards (from --shard or a Slurm array's environment) merged equal one run, file for file; a rerun
// skips a finished shard; a run of other settings in the same place is refused.
TEST(CorpusCli, ShardsMergeIntoExactlyOneRun) {
  TempDir tmp;
  const fs::path input = tmp / "c.txt";
  testing::write_file(input, numbered_corpus(61));
  const std::vector<std::string> common = {"corpus", input.string(), "-m", kTiny.string(), "--reduce",
                                           "head-stats,cls-row", "--batch-tokens", "64"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = common;
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  expect_run(run_cli(with({"--out", (tmp / "one").string()})), 0, "wrote");
  expect_run(run_cli(with({"--out", (tmp / "sharded").string(), "--shard", "0/3"})), 0, "wrote");
  expect_run(run_cli(with({"--out", (tmp / "sharded").string()}),
                     slurm_task(2, 3, 1)),
             0, "shard-00001-of-00003");
  // Not all shards yet: merge refuses.
  expect_run(run_cli({"corpus", "merge", (tmp / "sharded").string()}), kExitInput, "shards 2 of 3 .* not finished");
  expect_run(run_cli(with({"--out", (tmp / "sharded").string(), "--shard", "2/3"})), 0, "wrote");
  expect_run(run_cli(with({"--out", (tmp / "sharded").string(), "--shard", "2/3"})), 0, "is finished .*; skipping it");
  expect_run(run_cli({"corpus", "merge", (tmp / "sharded").string()}), 0, "3 parts, 61 texts");
  for (const char* f : {"head_stats.csv", "token_attention.csv", "results.jsonl", "aggregate.json"})
    EXPECT_EQ(read(tmp / "sharded" / f), read(tmp / "one" / f)) << f;
  // Other settings into a finished place.
  expect_run(run_cli({"corpus", input.string(), "-m", kTiny.string(), "--out", (tmp / "one").string()}), kExitUsage,
             "finished run of other settings");
  expect_run(run_cli({"corpus", input.string(), "-m", kTiny.string(), "--shard", "3/3"}), kExitUsage, "0 <= i < N");
  expect_run(run_cli({"corpus", "merge", (tmp / "nothing").string()}), kExitIo, "cannot read directory");
  expect_run(run_cli({"corpus", "merge", tmp.path().string()}), kExitInput, "no finished corpus run");
  // Nothing half-written is left beside the results.
  for (const auto& e : fs::directory_iterator(tmp / "sharded"))
    EXPECT_NE(e.path().filename().string()[0], '.') << e.path();
}

// --totals prints only the exact totals, as --out's aggregate.json holds them (what a pipeline that
// joins parts, e.g. Spark's RDD.pipe, reads); it cannot be mixed with --jsonl.
TEST(CorpusCli, TotalsPrintsTheAggregateJsonLine) {
  TempDir tmp;
  testing::write_file(tmp / "c.txt", numbered_corpus(23));
  expect_run(run_cli({"corpus", (tmp / "c.txt").string(), "-m", kTiny.string(), "--out", (tmp / "out").string()}), 0,
             "wrote");
  const auto r = run_cli({"corpus", "-", "-m", kTiny.string(), "--totals"}, stdin_from(tmp / "c.txt"));
  expect_run(r, 0, "attnlab: corpus: 23 texts");
  ASSERT_EQ(lines_of(r.out).size(), 1u) << r.out;
  // The totals equal; only the settings' record of where the input came from differs (stdin vs the file).
  auto piped = nlohmann::json::parse(r.out);
  auto stored = nlohmann::json::parse(read(tmp / "out" / "aggregate.json"));
  EXPECT_EQ(piped["settings"]["input"], "-");
  for (auto* j : {&piped, &stored})
    for (const char* key : {"input", "input_bytes", "input_mtime_ns"}) (*j)["settings"].erase(key);
  EXPECT_EQ(piped, stored);
  expect_run(run_cli({"corpus", "-", "-m", kTiny.string(), "--totals", "--jsonl"}, stdin_text("the cat\n")),
             kExitUsage, "excludes");
}

TEST(CorpusCli, WithoutOutOrJsonlPrintsTheHeadStatsCsv) {
  const auto r = run_cli({"corpus", "-", "-m", kTiny.string()}, stdin_text("the cat sat.\nhello, world\n"));
  expect_run(r, 0, "^layer,head,cls,sep,punct,self,prev,next,entropy,tokens$");
  EXPECT_EQ(lines_of(r.out).size(), 1u + 2 * 4);
  expect_run(run_cli({"corpus", "/nonexistent/corpus.txt", "-m", kTiny.string()}), kExitIo, "cannot open");
  expect_run(run_cli({"corpus", "-", "-m", kTiny.string(), "--reduce", "rows"}), kExitUsage, "unknown reduction");
}

}  // namespace
}  // namespace attnlab
