// Fast kernels against their scalar twins (llm.c style): exp, GELU, softmax, attention, linear;
// each under every kernel build the CPU has (scalar, avx2, avx512), and the builds against each
// other (the same bits).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <atomic>
#include <random>
#include <vector>

#include "../support/random.h"
#include "../support/fixtures.h"
#include "../support/isa.h"
#include "core/cpu.h"
#include "ops/vec_math_constants.h"
#include "core/thread_pool.h"
#include "ops/attention.h"
#include "ops/linear.h"
#include "ops/norm_act.h"
#include "ops/packed_linear.h"
#include "ops/softmax.h"
#include "ops/vec_math.h"

namespace attnlab {
namespace {

using testing::random_vector;

// Suites that run once per kernel build.
class VecMath : public testing::IsaTest {};
class Softmax : public testing::IsaTest {};
class LayerNorm : public testing::IsaTest {};
class Attention : public testing::IsaTest {};
class PackedLinear : public testing::IsaTest {};
ATTNLAB_INSTANTIATE_OVER_ISAS(VecMath);
ATTNLAB_INSTANTIATE_OVER_ISAS(Softmax);
ATTNLAB_INSTANTIATE_OVER_ISAS(LayerNorm);
ATTNLAB_INSTANTIATE_OVER_ISAS(Attention);
ATTNLAB_INSTANTIATE_OVER_ISAS(PackedLinear);

TEST_P(VecMath, VectorExpIsBitIdenticalToScalarTwinAndWithin2Ulp) {
  auto x = random_vector(10007, 1, -87.0f, 88.0f);
  std::vector<float> fast = x;
  exp_inplace(fast.data(), static_cast<long>(fast.size()));
  for (size_t i = 0; i < x.size(); ++i) {
    ASSERT_EQ(fast[i], exp_scalar(x[i])) << "x = " << x[i];
    const double want = std::exp(static_cast<double>(x[i]));
    ASSERT_LE(std::abs(fast[i] - want), 2.5 * std::abs(want) * 1.2e-7) << "x = " << x[i];
  }
}

TEST_P(VecMath, GeluMatchesScalarTwinAndExactErfWithin1e6) {
  auto x = random_vector(10007, 2, -8.0f, 8.0f);
  std::vector<float> fast = x, exact = x;
  gelu_erf_fast(fast.data(), static_cast<long>(fast.size()));
  gelu_erf(exact.data(), static_cast<long>(exact.size()));  // double-precision erf
  double max_err = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    ASSERT_EQ(fast[i], gelu_scalar(x[i])) << "x = " << x[i];
    max_err = std::max(max_err, static_cast<double>(std::abs(fast[i] - exact[i])));
  }
  // Abramowitz-Stegun 7.1.26 has |erf error| < 1.5e-7; GELU scales it by |x| / 2 <= 4.
  EXPECT_LT(max_err, 1e-6);
  std::printf("[ max diff ] gelu (A&S erf, as PyTorch) vs exact erf: %.3g\n", max_err);
}

// Gemma's gated GELU-tanh: every build gives its scalar twin's bits, for every length up to three
// vectors (nothing written past the end); the value is within relative 2.5e-7 (1 + 2|u|) of the exact
// one (long double) and within 2.5e-7 max(1, |x|) of torch's own float32 0.5 x (1 + tanh(u)).
TEST_P(VecMath, GeluTanhMulMatchesScalarTwinAndTorchsFormula) {
  for (long n : {1L, 7L, 8L, 15L, 16L, 17L, 33L, 48L, 10007L}) {
    const auto g = random_vector(static_cast<size_t>(n), 4, -12.0f, 12.0f), u = random_vector(static_cast<size_t>(n), 5);
    std::vector<float> out(static_cast<size_t>(n) + 1, -7.0f);
    gelu_tanh_mul(g.data(), u.data(), out.data(), n);
    double worst = 0;
    for (size_t i = 0; i < static_cast<size_t>(n); ++i) {
      ASSERT_EQ(out[i], gelu_tanh_scalar(g[i]) * u[i]) << "n = " << n << ", x = " << g[i];
      // The exact value (long double; 0.5 (1 + tanh u) = 1 / (1 + exp(-2u)) without the cancellation),
      // and torch's float32 computation, whose 1 + tanh(u) rounds to 0 for u below about -9.
      const long double x = g[i], inner = std::sqrt(2.0L / M_PI) * (x + 0.044715L * x * x * x);
      const long double exact = x / (1.0L + std::exp(-2.0L * inner));
      const float xf = g[i], uf = vec_math::kGeluBeta * (xf + vec_math::kGeluKappa * (xf * xf * xf));
      const float torch = 0.5f * xf * (1.0f + std::tanh(uf));
      const float got = gelu_tanh_scalar(g[i]);
      const double err = static_cast<double>(std::abs(got - exact));
      // exp(-2u) passes u's float32 rounding on with a factor 2|u|: the relative bound grows with it.
      const double bound = 2.5e-7 * (1.0 + 2.0 * std::abs(static_cast<double>(inner)));
      ASSERT_LE(err, std::max(bound * static_cast<double>(std::abs(exact)), 1e-30)) << "x = " << g[i];
      ASSERT_LE(std::abs(got - torch), 2.5e-7f * std::max(1.0f, std::abs(xf))) << "x = " << g[i];
      if (std::abs(inner) < 4) worst = std::max(worst, err / std::max(static_cast<double>(std::abs(exact)), 1e-30));
    }
    EXPECT_EQ(out.back(), -7.0f) << "wrote past n = " << n;
    if (n == 10007) std::printf("[ max diff ] gelu_tanh vs the exact value, |u| < 4: relative %.3g\n", worst);
  }
}

// Every length up to three vectors: the masked tail of each width computes what the scalar twin does
// and writes nothing past the end.
TEST_P(VecMath, ShortAndTailLengthsMatchScalarTwins) {
  for (long n = 1; n <= 48; ++n) {
    const auto x = random_vector(static_cast<size_t>(n), 3, -6.0f, 6.0f);
    std::vector<float> e = x, g = x;
    e.push_back(-1.0f);
    g.push_back(-1.0f);
    exp_inplace(e.data(), n);
    gelu_erf_fast(g.data(), n);
    for (long i = 0; i < n; ++i) {
      ASSERT_EQ(e[static_cast<size_t>(i)], exp_scalar(x[static_cast<size_t>(i)])) << "n = " << n << ", i = " << i;
      ASSERT_EQ(g[static_cast<size_t>(i)], gelu_scalar(x[static_cast<size_t>(i)])) << "n = " << n << ", i = " << i;
    }
    EXPECT_EQ(e.back(), -1.0f) << "exp wrote past n = " << n;
    EXPECT_EQ(g.back(), -1.0f) << "gelu wrote past n = " << n;
  }
}

TEST_P(Softmax, FastMatchesNaive) {
  for (int cols : {1, 7, 9, 64, 513}) {
    auto x = random_vector(static_cast<size_t>(3) * cols, 3, -20.0f, 20.0f);
    std::vector<float> fast = x, slow = x;
    softmax_rows(fast.data(), 3, cols);
    softmax_rows_naive(slow.data(), 3, cols);
    testing::expect_close(fast, slow, 1e-6, "softmax cols " + std::to_string(cols));
  }
}

// Bit for bit ATen's AVX2 softmax (_vec_softmax_lastdim): max, exp(x - max), the sum in 8 lanes over
// whole 8-float chunks with the tail folded into the first lanes, then a halving tree, then x / sum
// as a multiply by the reciprocal.
TEST_P(Softmax, SumsInATensAvx2Order) {
  for (int cols : {1, 7, 8, 9, 15, 16, 17, 24, 31, 33, 64, 100, 513}) {
    const auto x = random_vector(static_cast<size_t>(2) * cols, 5, -20.0f, 20.0f);
    std::vector<float> fast = x;
    softmax_rows(fast.data(), 2, cols);
    for (int r = 0; r < 2; ++r) {
      const float* row = x.data() + static_cast<size_t>(r) * cols;
      float max = row[0];
      for (int c = 1; c < cols; ++c) max = row[c] > max ? row[c] : max;
      std::vector<float> e(static_cast<size_t>(cols));
      for (int c = 0; c < cols; ++c) e[static_cast<size_t>(c)] = exp_scalar(row[c] - max);
      float sum = e[0];
      if (cols < 8) {
        for (int c = 1; c < cols; ++c) sum += e[static_cast<size_t>(c)];
      } else {
        float lane[8];
        for (int l = 0; l < 8; ++l) lane[l] = e[static_cast<size_t>(l)];
        int d = 8;
        for (; d + 8 <= cols; d += 8)
          for (int l = 0; l < 8; ++l) lane[l] += e[static_cast<size_t>(d + l)];
        for (int l = 0; d + l < cols; ++l) lane[l] += e[static_cast<size_t>(d + l)];
        for (int l = 0; l < 4; ++l) lane[l] += lane[l + 4];
        for (int l = 0; l < 2; ++l) lane[l] += lane[l + 2];
        sum = lane[0] + lane[1];
      }
      const float inv = 1.0f / sum;
      for (int c = 0; c < cols; ++c)
        ASSERT_EQ(fast[static_cast<size_t>(r) * cols + c], e[static_cast<size_t>(c)] * inv)
            << "cols " << cols << ", row " << r << ", col " << c;
    }
  }
}

TEST_P(LayerNorm, FastMatchesNaiveWithAndWithoutTheResidual) {
  // 768 columns (BERT) and widths with a scalar tail; 70 rows spread over the pool in 32-row tasks.
  for (auto [rows, cols] : {std::pair{3, 768}, {70, 768}, {5, 13}, {66, 100}, {2, 7}}) {
    const auto x = random_vector(static_cast<size_t>(rows) * cols, 20, -3.0f, 3.0f);
    const auto add = random_vector(x.size(), 21, -3.0f, 3.0f), w = random_vector(static_cast<size_t>(cols), 22),
               b = random_vector(static_cast<size_t>(cols), 23);
    const std::string shape = std::to_string(rows) + "x" + std::to_string(cols);
    std::vector<float> fast = x, slow = x;
    layer_norm_rows(fast.data(), rows, cols, w.data(), b.data(), 1e-12f);
    layer_norm_rows_naive(slow.data(), rows, cols, w.data(), b.data(), 1e-12f);
    testing::expect_close(fast, slow, 1e-6, "layer norm " + shape);
    // Fused residual: LayerNorm(add + x) equals the float add followed by the plain LayerNorm.
    fast = x;
    for (size_t i = 0; i < slow.size(); ++i) slow[i] = add[i] + x[i];
    add_layer_norm_rows(fast.data(), add.data(), rows, cols, w.data(), b.data(), 1e-12f);
    layer_norm_rows_naive(slow.data(), rows, cols, w.data(), b.data(), 1e-12f);
    testing::expect_close(fast, slow, 1e-6, "add + layer norm " + shape);
  }
}

TEST_P(Attention, MultiHeadMatchesNaive) {
  // 300 tokens run in query-row blocks (108 + 108 + 84 rows); shorter inputs in one block.
  for (int seq : {1, 9, 130, 300}) {
    const int heads = 4, d = 16, ld = heads * d;
    const auto q = random_vector(static_cast<size_t>(seq) * ld, 4), k = random_vector(q.size(), 5),
               v = random_vector(q.size(), 6);
    std::vector<float> p1(static_cast<size_t>(heads) * seq * seq), p2(p1.size()), c1(q.size()), c2(q.size());
    multi_head_attention(q.data(), k.data(), v.data(), seq, heads, d, ld, 0.25f, p1.data(), c1.data(), ld);
    multi_head_attention_naive(q.data(), k.data(), v.data(), seq, heads, d, ld, 0.25f, p2.data(), c2.data(), ld);
    testing::expect_close(p1, p2, 1e-6, "attention probs seq " + std::to_string(seq));
    testing::expect_close(c1, c2, 1e-5, "attention context seq " + std::to_string(seq));
  }
}

TEST_P(Attention, BatchOfMixedLengthsMatchesNaivePerSequence) {
  // Under 96 tokens one task per sequence, from 96 one per head and block of query rows (130: one
  // block), from 256 on sgemm (260: blocks of 120 + 120 + 20 rows); the direct kernel's row and
  // column tails (1-5 rows, 1-15 columns, masked stores) all occur; head dims 64 (BERT), 16 and 12
  // (not a multiple of 8: padded copies).
  for (int d : {64, 16, 12}) {
    const int heads = 3, ld = 3 * heads * d, hidden = heads * d;
    const std::vector<int> lens = {1, 7, 8, 9, 17, 33, 95, 96, 130, 260};
    int total = 0;
    for (int n : lens) total += n;
    const auto qkv = random_vector(static_cast<size_t>(total) * ld, 13);
    std::vector<float> ctx(static_cast<size_t>(total) * hidden), ctx_ref(ctx.size());
    std::vector<std::vector<float>> probs, probs_ref;
    std::vector<AttentionSequence> batch;
    int row = 0;
    for (int n : lens) {
      probs.emplace_back(static_cast<size_t>(heads) * n * n, -1.0f);
      probs_ref.emplace_back(probs.back().size());
      const float* base = qkv.data() + static_cast<size_t>(row) * ld;
      batch.push_back({base, base + hidden, base + 2 * hidden, n, probs.back().data(), ctx.data() + static_cast<size_t>(row) * hidden});
      multi_head_attention_naive(base, base + hidden, base + 2 * hidden, n, heads, d, ld, 0.125f,
                                 probs_ref.back().data(), ctx_ref.data() + static_cast<size_t>(row) * hidden, hidden);
      row += n;
    }
    multi_head_attention(batch, heads, d, ld, 0.125f, hidden);
    for (size_t s = 0; s < lens.size(); ++s)
      testing::expect_close(probs[s], probs_ref[s], 1e-6,
                            "probs d " + std::to_string(d) + " seq " + std::to_string(lens[s]));
    testing::expect_close(ctx, ctx_ref, 1e-5, "context d " + std::to_string(d));
  }
}

TEST_P(Attention, CausalGroupedAndWindowedMatchesNaive) {
  // Decoders: 6 query heads over 2 key/value heads (repeat_kv), causal, with and without a sliding
  // window shorter than the input; one-task and per-head paths, blocks of rows whose visible key span
  // starts mid-row. Keys a query does not see must be exactly 0.
  for (int window : {0, 5, 100}) {
    const int heads = 6, kv_heads = 2, d = 16, q_dim = heads * d, kv_dim = kv_heads * d, ld = q_dim + 2 * kv_dim;
    const std::vector<int> lens = {1, 7, 33, 96, 130, 300};
    int total = 0;
    for (int n : lens) total += n;
    const auto qkv = random_vector(static_cast<size_t>(total) * ld, 17);
    std::vector<float> ctx(static_cast<size_t>(total) * q_dim), ctx_ref(ctx.size());
    std::vector<std::vector<float>> probs, probs_ref;
    std::vector<AttentionSequence> batch;
    const AttentionShape shape{heads, kv_heads, d, ld, 0.25f, q_dim, true, window};
    int row = 0;
    for (int n : lens) {
      probs.emplace_back(static_cast<size_t>(heads) * n * n, -1.0f);
      probs_ref.emplace_back(probs.back().size());
      const float* base = qkv.data() + static_cast<size_t>(row) * ld;
      batch.push_back({base, base + q_dim, base + q_dim + kv_dim, n, probs.back().data(),
                       ctx.data() + static_cast<size_t>(row) * q_dim});
      multi_head_attention_naive(AttentionSequence{base, base + q_dim, base + q_dim + kv_dim, n, probs_ref.back().data(),
                                                   ctx_ref.data() + static_cast<size_t>(row) * q_dim},
                                 shape);
      row += n;
    }
    multi_head_attention(batch, shape);
    for (size_t s = 0; s < lens.size(); ++s) {
      const std::string what = "window " + std::to_string(window) + " seq " + std::to_string(lens[s]);
      testing::expect_close(probs[s], probs_ref[s], 1e-6, "probs " + what);
      const int n = lens[s];
      for (int h = 0; h < heads; ++h)
        for (int i = 0; i < n; ++i)
          for (int j = 0; j < n; ++j)
            if (j > i || (window > 0 && j <= i - window)) {
              ASSERT_EQ(probs[s][(static_cast<size_t>(h) * n + i) * n + j], 0.0f) << what;
            }
    }
    testing::expect_close(ctx, ctx_ref, 1e-5, "context window " + std::to_string(window));
  }
}

TEST(Linear, BlasMatchesNaiveAcrossThreadCounts) {
  for (int threads : {1, 2, 3}) {
    set_num_threads(threads);
    for (auto [rows, in, out] : {std::tuple{1, 768, 768}, {9, 384, 1536}, {32, 64, 36}, {33, 96, 100}, {200, 64, 130}}) {
      const auto x = random_vector(static_cast<size_t>(rows) * in, 7), w = random_vector(static_cast<size_t>(out) * in, 8),
                 b = random_vector(out, 9);
      std::vector<float> fast(static_cast<size_t>(rows) * out), slow(fast.size());
      linear(x.data(), rows, in, w.data(), b.data(), out, fast.data());
      linear_naive(x.data(), rows, in, w.data(), b.data(), out, slow.data());
      testing::expect_close(fast, slow, 1e-4, "linear " + std::to_string(rows) + "x" + std::to_string(in) + "x" +
                                                   std::to_string(out) + " threads " + std::to_string(threads));
    }
  }
  set_num_threads(0);
}

TEST_P(PackedLinear, MatchesNaiveForEveryRowTailAndPanelTail) {
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    // Shapes reach every loop path: short inputs read in place, packed inputs walked panel by panel
    // (30 x 300) and in row blocks with partial k-blocks (400 x 600), and a short wide input that
    // no longer fits in L2 (20 x 4000).
    for (auto [rows, in, out] : {std::tuple{1, 32, 16}, {5, 64, 40}, {6, 8, 16}, {9, 384, 1152}, {13, 96, 100},
                                 {70, 64, 33}, {30, 300, 40}, {400, 600, 72}, {20, 4000, 24}}) {
      const auto x = random_vector(static_cast<size_t>(rows) * in, 10), w = random_vector(static_cast<size_t>(out) * in, 11),
                 b = random_vector(out, 12);
      const PackedWeight pw = pack_weight(w.data(), out, in);
      std::vector<float> fast(static_cast<size_t>(rows) * out), slow(fast.size()), nob(fast.size()), slow_nob(fast.size());
      linear_packed(x.data(), rows, pw, b.data(), fast.data());
      linear_naive(x.data(), rows, in, w.data(), b.data(), out, slow.data());
      linear_packed(x.data(), rows, pw, nullptr, nob.data());
      linear_naive(x.data(), rows, in, w.data(), nullptr, out, slow_nob.data());
      const std::string what = std::to_string(rows) + "x" + std::to_string(in) + "x" + std::to_string(out);
      // Sums of 384 products reach ~20 in magnitude: float rounding of such sums is ~2e-5; the
      // rounding grows with the number of terms.
      const double tol = 1e-4 * std::max(1.0, in / 384.0);
      testing::expect_close(fast, slow, tol, "packed linear " + what);
      testing::expect_close(nob, slow_nob, tol, "packed linear no bias " + what);
    }
    // Stacked blocks equal the layers run one by one.
    const auto x = random_vector(3 * 16, 13), a = random_vector(8 * 16, 14), c = random_vector(24 * 16, 15);
    const PackedWeight stacked = pack_weights({{a.data(), 8}, {c.data(), 24}}, 16);
    std::vector<float> y(3 * 32), ya(3 * 8), yc(3 * 24);
    linear_packed(x.data(), 3, stacked, nullptr, y.data());
    linear_naive(x.data(), 3, 16, a.data(), nullptr, 8, ya.data());
    linear_naive(x.data(), 3, 16, c.data(), nullptr, 24, yc.data());
    for (int r = 0; r < 3; ++r) {
      for (int j = 0; j < 8; ++j) EXPECT_NEAR(y[r * 32 + j], ya[r * 8 + j], 1e-5);
      for (int j = 0; j < 24; ++j) EXPECT_NEAR(y[r * 32 + 8 + j], yc[r * 24 + j], 1e-5);
    }
  }
  set_num_threads(0);
}

// However the loops block rows, panels and k, every output is bias + x[0]w[0] + x[1]w[1] + ... fused
// in that order: bit for bit what a scalar fma loop gives. 1500 and 2000 rows split the rows rather
// than the panels over the tasks; 37 and 100 inputs leave transpose tails when x is packed.
TEST_P(PackedLinear, EveryBlockingSumsInOneOrder) {
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    for (auto [rows, in, out] : {std::tuple{9, 768, 48}, {13, 100, 20}, {30, 300, 40}, {128, 300, 40}, {400, 600, 40},
                                 {100, 1000, 24}, {20, 4000, 17}, {1500, 100, 40}, {2000, 37, 33}}) {
      const auto x = random_vector(static_cast<size_t>(rows) * in, 20), w = random_vector(static_cast<size_t>(out) * in, 21),
                 b = random_vector(out, 22);
      const PackedWeight pw = pack_weight(w.data(), out, in);
      std::vector<float> fast(static_cast<size_t>(rows) * out), gelu(fast.size());
      linear_packed(x.data(), rows, pw, b.data(), fast.data());
      linear_packed(x.data(), rows, pw, b.data(), gelu.data(), Activation::kGelu);
      for (int r = 0; r < rows; ++r)
        for (int o = 0; o < out; ++o) {
          float acc = b[o];
          for (int k = 0; k < in; ++k) acc = std::fma(x[static_cast<size_t>(r) * in + k], w[static_cast<size_t>(o) * in + k], acc);
          const size_t i = static_cast<size_t>(r) * out + o;
          ASSERT_EQ(fast[i], acc) << rows << "x" << in << "x" << out << " at " << r << "," << o;
          ASSERT_EQ(gelu[i], gelu_scalar(acc)) << "GELU epilogue " << rows << "x" << in << "x" << out << " at " << r << "," << o;
        }
    }
  }
  set_num_threads(0);
}

TEST_P(PackedLinear, NoRowsIsNoWork) {
  const auto w = random_vector(16 * 8, 23);
  const PackedWeight pw = pack_weight(w.data(), 16, 8);
  std::vector<float> y(1, 42.0f);
  linear_packed(nullptr, 0, pw, nullptr, y.data());
  EXPECT_EQ(y[0], 42.0f);
}

TEST(PackWeights, Bf16RoundingMatchesTorch) {
  const auto fx = testing::load_json("bf16_rounding.json");
  const auto f32 = fx["f32_bits"].get<std::vector<uint32_t>>();
  const auto b16 = fx["bf16_bits"].get<std::vector<uint32_t>>();
  ASSERT_EQ(f32.size(), b16.size());
  for (size_t i = 0; i < f32.size(); ++i) {
    float f;
    std::memcpy(&f, &f32[i], 4);
    ASSERT_EQ(to_bf16(f), b16[i]) << "bits 0x" << std::hex << f32[i];
  }
}

TEST_P(PackedLinear, Bf16KernelMatchesNaiveOnRoundedWeights) {
  for (auto [rows, in, out] : {std::tuple{1, 32, 16}, {9, 384, 100}, {14, 64, 48}, {50, 300, 40}, {250, 520, 33}}) {
    const auto x = random_vector(static_cast<size_t>(rows) * in, 16), b = random_vector(out, 18);
    auto w = random_vector(static_cast<size_t>(out) * in, 17);
    const PackedWeight pw = pack_weight(w.data(), out, in, /*bf16=*/true);
    for (float& v : w) v = from_bf16(to_bf16(v));  // the weights the bf16 kernel really multiplies by
    std::vector<float> fast(static_cast<size_t>(rows) * out), slow(fast.size());
    linear_packed(x.data(), rows, pw, b.data(), fast.data());
    linear_naive(x.data(), rows, in, w.data(), b.data(), out, slow.data());
    testing::expect_close(fast, slow, 1e-4, "bf16 packed linear " + std::to_string(rows) + "x" + std::to_string(in));
  }
}

// Every kernel's outputs, under the active build: inputs that reach the vector loops and their
// tails (lengths not multiples of 8, row and panel tails, bf16 panels, short and long attention).
std::vector<std::vector<float>> kernel_outputs() {
  std::vector<std::vector<float>> out;
  auto x = random_vector(1003, 30, -20.0f, 20.0f);
  exp_inplace(x.data(), static_cast<long>(x.size()));
  out.push_back(x);
  x = random_vector(200003, 31, -8.0f, 8.0f);  // past 2 chunks: GELU over the pool
  gelu_erf_fast(x.data(), static_cast<long>(x.size()));
  out.push_back(x);
  x = random_vector(5 * 77, 32, -20.0f, 20.0f);
  softmax_rows(x.data(), 5, 77);
  out.push_back(x);
  x = random_vector(70 * 100, 33, -3.0f, 3.0f);
  const auto add = random_vector(x.size(), 34), g = random_vector(100, 35), b = random_vector(100, 36);
  add_layer_norm_rows(x.data(), add.data(), 70, 100, g.data(), b.data(), 1e-12f);
  out.push_back(x);
  for (bool bf16 : {false, true})
    for (auto [rows, in, n] : {std::tuple{9, 384, 100}, {130, 300, 40}}) {
      const auto xs = random_vector(static_cast<size_t>(rows) * in, 37), w = random_vector(static_cast<size_t>(n) * in, 38),
                 bias = random_vector(static_cast<size_t>(n), 39);
      std::vector<float> y(static_cast<size_t>(rows) * n);
      linear_packed(xs.data(), rows, pack_weight(w.data(), n, in, bf16), bias.data(), y.data());
      out.push_back(y);
    }
  for (int seq : {9, 130, 300}) {
    const int heads = 2, d = 12, ld = 3 * heads * d, hidden = heads * d;
    const auto qkv = random_vector(static_cast<size_t>(seq) * ld, 40);
    std::vector<float> probs(static_cast<size_t>(heads) * seq * seq), ctx(static_cast<size_t>(seq) * hidden);
    multi_head_attention(qkv.data(), qkv.data() + hidden, qkv.data() + 2 * hidden, seq, heads, d, ld, 0.3f,
                         probs.data(), ctx.data(), hidden);
    out.push_back(probs);
    out.push_back(ctx);
    // Causal, one key/value head for both query heads, a window of 7.
    const AttentionSequence one{qkv.data(), qkv.data() + hidden, qkv.data() + hidden + d, seq, probs.data(), ctx.data()};
    multi_head_attention(std::span<const AttentionSequence>(&one, 1), AttentionShape{heads, 1, d, ld, 0.3f, hidden, true, 7});
    out.push_back(probs);
    out.push_back(ctx);
  }
  return out;
}

// The builds compute one formula in one order (kernels.h): the scalar build fuses where the vector
// code fuses and sums in its lane order, and AVX-512 runs the AVX2 source. So any build may run a
// pass, with the same numbers.
TEST(KernelBuilds, EveryBuildGivesTheSameBits) {
  const Isa previous = active_isa();
  set_isa(Isa::kScalar);
  const auto want = kernel_outputs();
  for (Isa isa : {Isa::kAvx2, Isa::kAvx512}) {
    if (!isa_supported(isa)) {
      std::printf("[ skipped  ] %s: not supported on this CPU or build\n", isa_name(isa));
      continue;
    }
    set_isa(isa);
    const auto got = kernel_outputs();
    for (size_t i = 0; i < want.size(); ++i)
      testing::expect_bit_identical(got[i], want[i], std::string(isa_name(isa)) + " vs scalar, output " + std::to_string(i));
  }
  set_isa(previous);
}

TEST(ThreadPool, RunsEveryTaskOnce) {
  set_num_threads(2);
  for (int tasks : {0, 1, 2, 5, 100}) {
    std::vector<std::atomic<int>> hits(static_cast<size_t>(tasks));
    for (int rep = 0; rep < 50; ++rep) parallel_for(tasks, [&](int t) { hits[static_cast<size_t>(t)]++; });
    for (auto& h : hits) EXPECT_EQ(h.load(), 50);
  }
  set_num_threads(0);
}

}  // namespace
}  // namespace attnlab
