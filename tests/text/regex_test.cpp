// Regex against Hugging Face tokenizers' Oniguruma (fixture: tools/make_regex_fixtures.py): the PCRE2
// translation and the hand-written matchers, on ~500 strings and over every code point; the hand
// matchers against PCRE2 on random strings; the match limit; refusals.
#include "text/regex.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "attnlab/error.h"
#include "core/utf8.h"

namespace attnlab {
namespace {

using nlohmann::json;
using Spans = std::vector<std::pair<size_t, size_t>>;
using Engine = Regex::Engine;

const json& fixture() {
  static const json fx = [] {
    const std::string path = std::string(ATTNLAB_FIXTURES) + "/tokenizers/regex_cases.json.gz";
    gzFile f = gzopen(path.c_str(), "rb");
    if (f == nullptr) {
      ADD_FAILURE() << "cannot open " << path;
      return json::object();
    }
    std::string data;
    char buf[1 << 16];
    int n;
    while ((n = gzread(f, buf, sizeof buf)) > 0) data.append(buf, static_cast<size_t>(n));
    gzclose(f);
    return json::parse(data);
  }();
  return fx;
}

Spans spans_of(const json& flat) {
  Spans s;
  for (size_t i = 0; i + 1 < flat.size(); i += 2) s.emplace_back(flat[i].get<size_t>(), flat[i + 1].get<size_t>());
  return s;
}

Spans find(const Regex& re, std::string_view text) {
  Spans out;
  re.find_all(text, out);
  return out;
}

std::string show(const Spans& s, std::string_view text, size_t from = 0, size_t count = 12) {
  std::string out;
  for (size_t i = from; i < std::min(s.size(), from + count); ++i) {
    out += '(';
    out += std::to_string(s[i].first);
    out += ',';
    out += std::to_string(s[i].second);
    out += ')';
    if (s[i].second <= text.size() && s[i].first <= s[i].second)
      out += "'" + printable(text.substr(s[i].first, std::min<size_t>(s[i].second - s[i].first, 16))) + "' ";
  }
  return out;
}

// Describes where two span lists first differ.
::testing::AssertionResult same_spans(const Spans& got, const Spans& want, std::string_view text) {
  if (got == want) return ::testing::AssertionSuccess();
  size_t i = 0;
  while (i < got.size() && i < want.size() && got[i] == want[i]) ++i;
  const size_t from = i < 2 ? 0 : i - 2;
  return ::testing::AssertionFailure() << "first difference at match " << i << " (of " << got.size() << " got, "
                                       << want.size() << " want)\n  got:  " << show(got, text, from)
                                       << "\n  want: " << show(want, text, from);
}

bool is_known(const std::string& name) { return name == "gpt2" || name == "llama3" || name == "qwen2"; }

// Every code point but surrogates and U+10FFFF, in order, each put in `tmpl` at its "{}".
std::string sweep_text(const std::string& tmpl) {
  const size_t hole = tmpl.find("{}");
  const std::string before = tmpl.substr(0, hole), after = tmpl.substr(hole + 2);
  std::string text;
  text.reserve(0x110000 * (4 + tmpl.size()));
  for (char32_t c = 0; c < 0x10FFFF; ++c) {
    if (c >= 0xD800 && c <= 0xDFFF) continue;
    text += before;
    append_utf8(text, c);
    text += after;
  }
  return text;
}

TEST(Regex, FixtureCasesPcre2AndHandWritten) {
  const json& fx = fixture();
  ASSERT_TRUE(fx.contains("patterns"));
  const json& texts = fx["texts"];
  ASSERT_GT(texts.size(), 400u);
  int checked = 0;
  for (size_t p = 0; p < fx["patterns"].size(); ++p) {
    const std::string name = fx["patterns"][p]["name"], pattern = fx["patterns"][p]["pattern"];
    std::vector<std::pair<std::string, Regex>> engines;
    engines.emplace_back("pcre2", Regex(pattern, name, Engine::kPcre2));
    if (is_known(name)) {
      engines.emplace_back("hand", Regex(pattern, name, Engine::kHandWritten));
      engines.emplace_back("auto", Regex(pattern, name));
    } else {
      EXPECT_FALSE(Regex(pattern, name).hand_written()) << name;
    }
    for (size_t t = 0; t < texts.size(); ++t) {
      const std::string text = texts[t];
      const Spans want = spans_of(fx["cases"][p][t]);
      for (const auto& [engine, re] : engines) {
        EXPECT_TRUE(same_spans(find(re, text), want, text))
            << name << " (" << engine << ") on text " << t << " '" << printable(text) << "'";
        ++checked;
      }
    }
  }
  std::printf("[ regex    ] %d pattern/text/engine cases equal to Oniguruma\n", checked);
}

TEST(Regex, EveryCodePointSweeps) {
  const json& fx = fixture();
  std::string tmpl, text;
  for (const json& sweep : fx["sweeps"]) {
    if (sweep["template"] != tmpl) {
      tmpl = sweep["template"];
      text = sweep_text(tmpl);
    }
    const std::string pattern = sweep["pattern"];
    const Spans want = spans_of(sweep["spans"]);
    EXPECT_TRUE(same_spans(find(Regex(pattern, "sweep", Engine::kPcre2), text), want, text))
        << "pcre2: " << pattern << " over template '" << printable(tmpl) << "'";
    const Regex automatic(pattern, "sweep");
    if (automatic.hand_written() || pattern == fx["patterns"][0]["pattern"] ||
        pattern == fx["patterns"][1]["pattern"] || pattern == fx["patterns"][2]["pattern"]) {
      EXPECT_TRUE(same_spans(find(Regex(pattern, "sweep", Engine::kHandWritten), text), want, text))
          << "hand: " << pattern << " over template '" << printable(tmpl) << "'";
    }
  }
}

// Random patterns over everything the translation handles: Oniguruma's spans, or its error. A pattern
// Oniguruma accepts may be refused only for a documented reason (character properties under (?i)).
TEST(Regex, RandomPatternsAgainstOniguruma) {
  int compared = 0, refused = 0;
  for (const json& c : fixture()["random"]) {
    const std::string pattern = c["pattern"];
    std::optional<Regex> re;
    std::string error;
    try {
      re.emplace(pattern, "random", Engine::kPcre2);
    } catch (const Error& e) {
      error = e.what();
    }
    if (c.contains("error")) {
      EXPECT_FALSE(re.has_value()) << pattern << " compiled; Oniguruma says " << c["error"];
      continue;
    }
    if (!re) {
      EXPECT_NE(error.find("under (?i)"), std::string::npos) << error;
      ++refused;
      continue;
    }
    for (size_t t = 0; t < c["texts"].size(); ++t) {
      const std::string text = c["texts"][t];
      EXPECT_TRUE(same_spans(find(*re, text), spans_of(c["spans"][t]), text))
          << pattern << " on '" << printable(text) << "'";
      ++compared;
    }
  }
  EXPECT_GT(compared, 1500);
  std::printf("[ regex    ] %d random pattern/text cases equal to Oniguruma, %d patterns refused\n", compared, refused);
}

// The contraction sweeps check PCRE2's (?i:'s|'t|...) against Oniguruma for every code point in every
// position; here the hand matchers' contractions are checked against PCRE2's on the same texts.
TEST(Regex, HandWrittenContractionsOverEveryCodePoint) {
  const json& fx = fixture();
  for (size_t k = 1; k <= 2; ++k) {
    const std::string pattern = fx["patterns"][k]["pattern"];
    const Regex pcre2(pattern, "p", Engine::kPcre2), hand(pattern, "p", Engine::kHandWritten);
    for (const char* tmpl : {"'{}\n", "'{}e\n", "'r{}\n", "'{}l\n", "'l{}\n", "'{}"}) {
      const std::string text = sweep_text(tmpl);
      EXPECT_TRUE(same_spans(find(hand, text), find(pcre2, text), text)) << pattern << " over '" << tmpl << "'";
    }
  }
}

// Random strings from characters the patterns treat differently: hand matcher == PCRE2.
TEST(Regex, HandWrittenEqualsPcre2OnRandomText) {
  const json& fx = fixture();
  const std::u32string pool =
      U"aZsStTrReEvVmMlLdDxſK'''’   \t\t\n\n\r\r\x0b\x0c\u00a0\u3000\u2028\u0085\u180e\u200b"
      U"0123456789٣१Ⅻ½.,;:!?-_()[]{}<>/"
      U"\\\"#$%&*+=@^`|~中文日本한국مرحबाหिे\u0301\u0308\u20dd👋\u200d🏽"
      U"\U00031350\U0001E5D0\u1c89\U0001CCF0\U00010D40\U0001FAE8\U0010FFFD";
  std::mt19937 rng(12345);
  for (size_t k = 0; k < 3; ++k) {
    const std::string pattern = fx["patterns"][k]["pattern"];
    const Regex pcre2(pattern, "p", Engine::kPcre2), hand(pattern, "p", Engine::kHandWritten);
    for (int i = 0; i < 20000; ++i) {
      std::string text;
      const int len = static_cast<int>(rng() % 40);
      for (int j = 0; j < len; ++j) {
        char32_t c = pool[rng() % pool.size()];
        if (rng() % 16 == 0) {
          c = static_cast<char32_t>(rng() % 0x110000);
          if (c >= 0xD800 && c <= 0xDFFF) c = 'q';
        }
        append_utf8(text, c);
      }
      const Spans want = find(pcre2, text);
      ASSERT_TRUE(same_spans(find(hand, text), want, text)) << pattern << " on '" << printable(text) << "'";
    }
  }
}

TEST(Regex, EmptyTextAndEmptyMatches) {
  const json& fx = fixture();
  for (size_t k = 0; k < 3; ++k) {
    const std::string pattern = fx["patterns"][k]["pattern"];
    EXPECT_TRUE(find(Regex(pattern, "p", Engine::kPcre2), "").empty());
    EXPECT_TRUE(find(Regex(pattern, "p", Engine::kHandWritten), "").empty());
    EXPECT_TRUE(Regex(pattern, "p").hand_written());
  }
  // onig's find_iter on an empty string still searches once (tokenizers itself never asks).
  EXPECT_EQ(find(Regex("a*", "p"), ""), (Spans{{0, 0}}));
  // An empty match right after a match is skipped one character further on ('é' is 2 bytes).
  EXPECT_EQ(find(Regex("a*", "p"), "aéb"), (Spans{{0, 1}, {3, 3}, {4, 4}}));
}

TEST(Regex, CatastrophicPatternIsRefusedInBoundedTime) {
  const Regex re("(a+)+$", "tokenizer.json: pre_tokenizer.pattern.Regex");
  const std::string text = std::string(4000, 'a') + "b";
  const auto start = std::chrono::steady_clock::now();
  try {
    Spans out;
    re.find_all(text, out);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitInput);
    const std::string msg = e.what();
    EXPECT_NE(msg.find("(a+)+$"), std::string::npos) << msg;
    EXPECT_NE(msg.find("tokenizer.json: pre_tokenizer.pattern.Regex"), std::string::npos) << msg;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 10.0);
  std::printf("[ regex    ] (a+)+$ on 4001 bytes refused after %.3f s\n", seconds);
}

TEST(Regex, CompileErrorsNameWhatAndPattern) {
  for (const char* pattern : {"(", "a)", "[a", "*a", "\\p{NoSuchProperty}", "[b-a]", "(?<=a+)b"}) {
    try {
      Regex re(pattern, "tokenizer.json: normalizer.pattern.Regex");
      FAIL() << pattern << " compiled";
    } catch (const Error& e) {
      EXPECT_EQ(e.exit_code(), kExitInput);
      const std::string msg = e.what();
      EXPECT_NE(msg.find("tokenizer.json: normalizer.pattern.Regex"), std::string::npos) << msg;
      EXPECT_NE(msg.find(std::string("'") + pattern + "'"), std::string::npos) << msg;
    }
  }
  for (const json& e : fixture()["onig_errors"])
    EXPECT_THROW(Regex(e["pattern"].get<std::string>(), "p"), Error)
        << e["pattern"] << ": Oniguruma says " << e["error"];
  // Oniguruma accepts these, but they are not translated (and no known tokenizer uses them).
  for (const char* pattern : {"(a)\\1", "(?x) a", "\\X", "a**", "a{2}{3}", "(?i)\\p{Lu}", "(?i)ß", "(?i)st", "(?~ab)"})
    EXPECT_THROW(Regex(pattern, "p"), Error) << pattern;
  EXPECT_THROW(Regex("\xff", "p"), Error);
  EXPECT_THROW(Regex("x", "p", Engine::kHandWritten), Error);
}

TEST(Regex, InvalidUtf8TextIsRefused) {
  for (Engine engine : {Engine::kPcre2, Engine::kHandWritten}) {
    const Regex re(fixture()["patterns"][0]["pattern"].get<std::string>(), "p", engine);
    Spans out;
    EXPECT_THROW(re.find_all("ab\xc3", out), Error);
    EXPECT_THROW(re.find_all("\xed\xa0\x80", out), Error);  // a surrogate
  }
}

TEST(Regex, ConcurrentFindAll) {
  const json& fx = fixture();
  const std::vector<std::string> patterns = {fx["patterns"][0]["pattern"], fx["patterns"][3]["pattern"]};
  std::string text;
  for (const json& t : fx["texts"]) text += t.get<std::string>() + " ";
  for (const std::string& pattern : patterns) {
    for (Engine engine : {Engine::kPcre2, Engine::kAuto}) {
      const Regex re(pattern, "p", engine);
      const Spans want = find(re, text);
      std::vector<int> ok(4, 0);
      std::vector<std::thread> threads;
      for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
          for (int i = 0; i < 20; ++i) ok[static_cast<size_t>(t)] += find(Regex(re), text) == want;
        });
      for (auto& th : threads) th.join();
      for (int v : ok) EXPECT_EQ(v, 20);
    }
  }
}

}  // namespace
}  // namespace attnlab
