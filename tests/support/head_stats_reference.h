// Clark et al.'s per-head statistics recomputed in the test from `attnlab attention --all --json`, for the
// decoder tests of `attention --method head-stats` and `corpus`: include/attnlab/head_stats.h's definitions
// written out again here, src/analysis/head_stats.cpp not called. attnlab's own attentions serve as the
// reference only because they are checked against transformers elsewhere (tests/model/decoder_test.cpp,
// DecoderCli.JsonAllIsTransformersFromTheText); these tests check the statistics' arithmetic and names.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

namespace attnlab::testing {

// The columns of a causal decoder, as the issue names them (an encoder's are cls, sep, ...).
inline const std::vector<std::string> kDecoderStatColumns = {"bos", "eos", "punct", "self", "prev", "next", "entropy"};

// run: {"tokens", "special", "attentions": [layers][heads][n][n]} -> [layers][heads] of {"bos", "eos", "punct",
// "self", "prev", "next", "entropy"}. Key j counts as bos when its role is bos (or cls; with neither in the
// input, the first token does), as eos when eos (or sep), as punct when it is "." or ","; bos, eos, punct,
// self and entropy (natural log, 0 ln 0 = 0) are means over all n query rows, prev over rows 1..n-1 of
// a_i,i-1 and next over rows 0..n-2 of a_i,i+1 (both divided by n - 1; 0 when n < 2).
inline nlohmann::json decoder_head_stats_from_attentions(const nlohmann::json& run) {
  const nlohmann::json& tokens = run.at("tokens");
  const nlohmann::json& special = run.at("special");
  const size_t n = tokens.size();
  std::vector<int> kind(n, 0);  // 1 bos, 2 eos, 3 punct
  for (size_t j = 0; j < n; ++j) {
    const std::string role = special[j].is_string() ? special[j].get<std::string>() : "";
    const std::string t = tokens[j].get<std::string>();
    kind[j] = role == "bos" || role == "cls" ? 1 : role == "eos" || role == "sep" ? 2 : t == "." || t == "," ? 3 : 0;
  }
  if (n > 0 && std::find(kind.begin(), kind.end(), 1) == kind.end() && kind[0] == 0) kind[0] = 1;
  // The JSON's %.9g text reads back to the engine's float32 weight exactly as a float, not as a double.
  const auto weight = [](const nlohmann::json& v) { return static_cast<double>(v.get<float>()); };
  nlohmann::json out = nlohmann::json::array();
  for (const nlohmann::json& layer : run.at("attentions")) {
    nlohmann::json heads = nlohmann::json::array();
    for (const nlohmann::json& a : layer) {
      double to[4] = {0, 0, 0, 0}, self = 0, prev = 0, next = 0, entropy = 0;
      for (size_t i = 0; i < n; ++i) {
        double row[4] = {0, 0, 0, 0}, h = 0;
        for (size_t j = 0; j < n; ++j) {
          const double p = weight(a[i][j]);
          row[kind[j]] += p;
          if (p > 0) h -= p * std::log(p);
        }
        for (int k = 1; k < 4; ++k) to[k] += row[k];
        entropy += h;
        self += weight(a[i][i]);
        if (i >= 1) prev += weight(a[i][i - 1]);
        if (i + 1 < n) next += weight(a[i][i + 1]);
      }
      const double rows = static_cast<double>(n), pairs = n > 1 ? static_cast<double>(n - 1) : 1.0;
      heads.push_back({{"bos", to[1] / rows}, {"eos", to[2] / rows}, {"punct", to[3] / rows}, {"self", self / rows},
                       {"prev", prev / pairs}, {"next", next / pairs}, {"entropy", entropy / rows}});
    }
    out.push_back(std::move(heads));
  }
  return out;
}

// got and want: [layers][heads] of statistics by name. Every head must have exactly the decoder's columns;
// returns the largest |got - want| and records a failure beyond tol.
inline double expect_head_stats_near(const nlohmann::json& got, const nlohmann::json& want, double tol,
                                     const std::string& what) {
  EXPECT_EQ(got.size(), want.size()) << what << ": layers";
  double worst = 0;
  for (size_t l = 0; l < std::min(got.size(), want.size()); ++l) {
    EXPECT_EQ(got[l].size(), want[l].size()) << what << ": heads of layer " << l;
    for (size_t h = 0; h < std::min(got[l].size(), want[l].size()); ++h) {
      std::set<std::string> keys;
      for (const auto& item : got[l][h].items()) keys.insert(item.key());
      EXPECT_EQ(keys, std::set<std::string>(kDecoderStatColumns.begin(), kDecoderStatColumns.end()))
          << what << ": layer " << l << " head " << h << " " << got[l][h].dump();
      for (const std::string& k : kDecoderStatColumns) {
        if (!got[l][h].contains(k)) continue;
        const double d = std::abs(got[l][h][k].get<double>() - want[l][h][k].get<double>());
        worst = std::max(worst, d);
        EXPECT_LE(d, tol) << what << ": layer " << l << " head " << h << " " << k << " got " << got[l][h][k]
                          << " want " << want[l][h][k];
      }
    }
  }
  return worst;
}

}  // namespace attnlab::testing
