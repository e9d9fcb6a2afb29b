#include <gtest/gtest.h>

#include <cmath>

#include "attnscope/reference.hpp"

using namespace attnscope;

namespace {
Problem small(int64_t nq, int64_t nk, bool causal) {
  Problem p;
  p.batch = 2;
  p.q_heads = 4;
  p.kv_heads = 2;
  p.q_len = nq;
  p.kv_len = nk;
  p.head_dim = 8;
  p.dtype = DType::F32;
  p.causal = causal;
  return p;
}
}  // namespace

TEST(Reference, ZeroQueryAveragesTheVisibleValues) {
  const Problem p = small(3, 5, true);
  std::vector<float> q(p.q_elements(), 0.0f);
  const auto k = make_input(p, TensorId::K, 3);
  const auto v = make_input(p, TensorId::V, 3);
  std::vector<double> o(p.q_len * p.head_dim), lse(p.q_len);
  const HeadIndex at{1, 3};  // batch 1, query head 3 → KV head 1
  reference_attention_head(p, q.data(), k.data(), v.data(), at, o.data(), lse.data());
  const float* vh = v.data() + ((1 * p.kv_heads + 1) * p.kv_len) * p.head_dim;
  for (int64_t i = 0; i < p.q_len; ++i) {
    const int64_t visible = i + p.kv_len - p.q_len + 1;  // 3, 4, 5
    EXPECT_NEAR(lse[i], std::log(double(visible)), 1e-12);
    for (int64_t c = 0; c < p.head_dim; ++c) {
      double mean = 0;
      for (int64_t j = 0; j < visible; ++j) mean += vh[j * p.head_dim + c];
      EXPECT_NEAR(o[i * p.head_dim + c], mean / visible, 1e-12);
    }
  }
}

TEST(Reference, RowsThatSeeNoKeyAreZero) {
  const Problem p = small(4, 2, true);
  const auto q = make_input(p, TensorId::Q, 1), k = make_input(p, TensorId::K, 1), v = make_input(p, TensorId::V, 1);
  std::vector<double> o(p.q_len * p.head_dim), lse(p.q_len);
  reference_attention_head(p, q.data(), k.data(), v.data(), {0, 0}, o.data(), lse.data());
  EXPECT_TRUE(std::isinf(lse[0]) && lse[0] < 0);
  EXPECT_TRUE(std::isinf(lse[1]));
  EXPECT_FALSE(std::isinf(lse[2]));
  for (int64_t c = 0; c < p.head_dim; ++c) EXPECT_EQ(o[c], 0.0);
}

TEST(Reference, SoftmaxWeightsMatchAHandComputedRow) {
  Problem p = small(1, 2, false);
  p.batch = 1;
  p.q_heads = p.kv_heads = 1;
  p.head_dim = 1;
  p.scale = 1.0;
  const float q[] = {1.0f}, k[] = {0.0f, std::log(3.0f)}, v[] = {2.0f, 6.0f};
  double o = 0, lse = 0;
  reference_attention_head(p, q, k, v, {0, 0}, &o, &lse);
  EXPECT_NEAR(o, 0.25 * 2 + 0.75 * 6, 1e-6);  // weights 1:3
  EXPECT_NEAR(lse, std::log(4.0), 1e-6);
}

TEST(Reference, HeadSubsetIsSpreadAndBounded) {
  Problem p = small(1, 1, false);
  p.batch = 4;
  p.q_heads = 8;
  p.kv_heads = 2;
  const auto all = reference_heads(p, 0);
  EXPECT_EQ(all.size(), 32u);
  const auto some = reference_heads(p, 4);
  ASSERT_EQ(some.size(), 4u);
  EXPECT_EQ(some.front().batch, 0);
  EXPECT_EQ(some.front().head, 0);
  EXPECT_EQ(some.back().batch, 3);
  EXPECT_EQ(some.back().head, 7);
}

TEST(Reference, ErrorAccumulatorFlagsPoison) {
  ErrorAccumulator acc;
  acc.add(1.0, 1.0);
  acc.add(2.5, 2.0);
  ErrorStats e = acc.result();
  EXPECT_NEAR(e.rel_l2, 0.5 / std::sqrt(5.0), 1e-12);
  EXPECT_DOUBLE_EQ(e.max_abs, 0.5);
  acc.add(std::nan(""), 1.0);
  e = acc.result();
  EXPECT_EQ(e.non_finite, 1);
  EXPECT_TRUE(std::isinf(e.rel_l2));
}

// One pass criterion for every executor: finite elements, a finite rel_l2 within the dtype's tolerance.
TEST(Reference, AccuracyVerdictIsTheSameForEveryExecutor) {
  ErrorStats e;
  e.rel_l2 = 1e-3;
  e.max_abs = 2e-3;
  const Accuracy ok = accuracy_from(e, DType::F16, "cpu-reference", 2, 8);
  EXPECT_TRUE(ok.pass);
  EXPECT_EQ(ok.tolerance, accuracy_tolerance(DType::F16));
  EXPECT_EQ(ok.reference, "cpu-reference");
  EXPECT_EQ(ok.heads_checked, 2);
  EXPECT_EQ(ok.heads_total, 8);
  EXPECT_FALSE(accuracy_from(e, DType::F32, "cpu-reference", 1, 1).pass);  // 1e-3 > fp32's 1e-4
  e.rel_l2 = std::nan("");  // a zero reference with a nonzero output: no element is NaN, the ratio is
  EXPECT_FALSE(accuracy_from(e, DType::BF16, "gpu-reference-fp32", 1, 1).pass);
  e.rel_l2 = 1e-3;
  e.non_finite = 1;
  EXPECT_FALSE(accuracy_from(e, DType::BF16, "gpu-reference-fp32", 1, 1).pass);
}
