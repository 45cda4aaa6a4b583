// One Engine called from many threads at once gives, bit for bit, what serial calls give. Runs in
// the normal suite and again under ThreadSanitizer (the tsan preset, `make test-tsan`).
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <thread>

#include "attnlab/engine.h"

namespace attnlab {
namespace {

namespace fs = std::filesystem;

const fs::path kTiny = fs::path(ATTNLAB_FIXTURES) / "bert" / "tiny-random" / "model";
const fs::path kMiniLm = fs::path(ATTNLAB_SOURCE_DIR) / "models" / "all-MiniLM-L6-v2";

// A call of one of four kinds, on one of the texts: run, run with q/k/v, a batch, an observer run.
struct Call {
  int kind;
  int text;
};

std::vector<std::string> texts() {
  // ~130 tokens: past the length where attention splits a sequence into per-head tasks.
  std::string long_text;
  for (int i = 0; i < 16; ++i) long_text += "attention blends information from every token. ";
  return {"The cat sat on the mat.", "Students learn faster when examples are visual and interactive.", "x",
          long_text, "Is it raining? No, it is not."};
}

// Everything a call returns, as raw bytes, so results compare bit for bit.
std::vector<float> fingerprint(const Engine& engine, const Call& c, const std::vector<std::string>& t) {
  std::vector<float> out;
  const auto add = [&](std::span<const float> s) { out.insert(out.end(), s.begin(), s.end()); };
  const auto add_result = [&](const Result& r) {
    if (!r.attentions.empty()) add(r.attentions.view().span());
    add(r.last_hidden_state);
    add(r.pooler_output);
    add(r.query);
    add(r.key);
    add(r.value);
  };
  const Encoding enc = engine.encode(t[c.text]);
  switch (c.kind) {
    case 0:
      add_result(engine.run(enc));
      break;
    case 1: {
      RunOptions o;
      o.qkv = true;
      add_result(engine.run(enc, o));
      break;
    }
    case 2: {
      const std::vector<Encoding> batch = {enc, engine.encode(t[(c.text + 1) % t.size()]), engine.encode("short")};
      for (const Result& r : engine.run_batch(batch)) add_result(r);
      break;
    }
    default: {
      RunOptions o;
      o.attentions = false;
      o.on_layer = [&](std::span<const LayerView> views) {
        for (const LayerView& v : views) add(v.attention.span());
      };
      add_result(engine.run(enc, o));
    }
  }
  return out;
}

void check_concurrent_calls_match_serial(const Engine& engine) {
  const std::vector<std::string> t = texts();
  constexpr int kThreads = 8, kCallsPerThread = 50;
  std::vector<Call> calls;
  for (int i = 0; i < kThreads * kCallsPerThread; ++i)
    calls.push_back({i % 4, (i * 7 + i / 4) % static_cast<int>(t.size())});
  // Serial answers, one per distinct call.
  std::vector<std::vector<float>> serial(4 * t.size());
  for (int kind = 0; kind < 4; ++kind)
    for (int text = 0; text < static_cast<int>(t.size()); ++text)
      serial[kind * t.size() + text] = fingerprint(engine, {kind, text}, t);

  std::atomic<int> mismatches{0}, errors{0};
  std::vector<std::thread> threads;
  for (int th = 0; th < kThreads; ++th)
    threads.emplace_back([&, th] {
      for (int i = 0; i < kCallsPerThread; ++i) {
        const Call& c = calls[th * kCallsPerThread + i];
        try {
          const std::vector<float> got = fingerprint(engine, c, t);
          const std::vector<float>& want = serial[c.kind * t.size() + c.text];
          if (got.size() != want.size() || std::memcmp(got.data(), want.data(), got.size() * sizeof(float)) != 0)
            mismatches.fetch_add(1);
        } catch (...) {
          errors.fetch_add(1);
        }
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0) << "of " << calls.size() << " concurrent calls";
  EXPECT_EQ(errors.load(), 0);
}

TEST(EngineConcurrency, EightThreadsOfMixedCallsMatchSerialCallsOnTheTinyModel) {
  check_concurrent_calls_match_serial(Engine::open(kTiny.string()));
}

TEST(EngineConcurrency, EightThreadsOfMixedCallsMatchSerialCallsOnMiniLm) {
  if (!fs::exists(kMiniLm / "model.safetensors")) GTEST_SKIP() << kMiniLm << " missing: run `make model`";
  EngineOptions two_threads;
  two_threads.threads = 2;  // the pool's parallel sections, and its fallback when busy, both exercised
  check_concurrent_calls_match_serial(Engine::open(kMiniLm.string(), two_threads));
}

TEST(EngineConcurrency, EnginesWithDifferentThreadCountsRunSideBySide) {
  EngineOptions one, three;
  one.threads = 1;
  three.threads = 3;
  const Engine a = Engine::open(kTiny.string(), one), b = Engine::open(kTiny.string(), three);
  const std::vector<std::string> t = texts();
  const std::vector<float> want = fingerprint(a, {0, 3}, t);
  std::atomic<int> mismatches{0};
  std::thread ta([&] {
    for (int i = 0; i < 20; ++i) mismatches += fingerprint(a, {0, 3}, t) != want;
  });
  std::thread tb([&] {
    for (int i = 0; i < 20; ++i) mismatches += fingerprint(b, {0, 3}, t) != want;
  });
  ta.join();
  tb.join();
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
}  // namespace attnlab
