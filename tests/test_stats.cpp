#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "attnscope/stats.hpp"

using namespace attnscope;

TEST(Stats, SummaryOfKnownSamples) {
  std::vector<double> xs;
  for (int i = 10; i >= 1; --i) xs.push_back(i);  // unsorted on purpose
  const Summary s = summarize(xs);
  EXPECT_EQ(s.n, 10);
  EXPECT_DOUBLE_EQ(s.min, 1);
  EXPECT_DOUBLE_EQ(s.max, 10);
  EXPECT_DOUBLE_EQ(s.median, 5.5);
  EXPECT_DOUBLE_EQ(s.mean, 5.5);
  EXPECT_NEAR(s.p10, 1.9, 1e-12);
  EXPECT_NEAR(s.p90, 9.1, 1e-12);
  EXPECT_NEAR(s.stddev, std::sqrt(55.0 / 6.0), 1e-12);
  EXPECT_GT(s.ci_rel_halfwidth, 0);
}

TEST(Stats, EmptyAndSingle) {
  EXPECT_EQ(summarize({}).n, 0);
  const Summary one = summarize({3.0});
  EXPECT_EQ(one.n, 1);
  EXPECT_DOUBLE_EQ(one.median, 3.0);
  EXPECT_DOUBLE_EQ(one.stddev, 0.0);
}

TEST(Stats, StopsWhenQuietAfterMinimums) {
  StoppingRule rule;
  rule.min_samples = 10;
  rule.min_time_s = 0.05;
  rule.noise_target = 0.01;
  StoppingState st(rule);
  int n = 0;
  double wall = 0;
  while (!st.add(0.01, wall += 0.01)) ++n;  // identical samples: no noise
  EXPECT_EQ(st.samples().size(), 10u);       // min_samples binds (10 × 0.01 s ≥ 0.05 s)
  EXPECT_TRUE(st.converged());
}

TEST(Stats, NoisySamplesHitTheCapAndAreNotConverged) {
  StoppingRule rule;
  rule.min_samples = 5;
  rule.min_time_s = 0;
  rule.max_time_s = 1.0;
  rule.noise_target = 1e-6;
  StoppingState st(rule);
  std::mt19937 gen(1);
  std::uniform_real_distribution<double> d(1e-3, 2e-3);
  double wall = 0;
  int steps = 0;
  while (!st.add(d(gen), wall += 0.01)) ++steps;
  EXPECT_FALSE(st.converged());
  EXPECT_NEAR(wall, 1.0, 0.011);
}

// Samples in the order an H100 measured them (flash3, bf16 d=128 non-causal N = 16k, docs/results/
// issue15-h100-2026-12-07f/call17, µs): the clock stepped down from ~1980 to ~1740 MHz while the point ran.
TEST(Stats, ASampleSeriesWhoseClockSteppedDownIsSaidToHaveDrifted) {
  const std::vector<double> h100 = {2969, 2978, 2979, 2984, 2982, 2984, 2984, 2982, 2990, 2985, 2990, 2994, 3073, 3074,
                                    3080, 3079, 3073, 3126, 3212, 3212, 3212, 3210, 3211, 3211, 3212, 3212, 3212, 3212,
                                    3213, 3213, 3213, 3214, 3214, 3213, 3214, 3218, 3242, 3243, 3242, 3243, 3244, 3249,
                                    3245, 3244, 3249, 3243, 3245, 3245, 3244, 3243, 3243, 3244, 3245};
  const Drift d = sample_drift(h100, 0.01);
  EXPECT_TRUE(d.drifted);
  EXPECT_NEAR(d.first, 3073, 60);
  EXPECT_NEAR(d.second, 3243, 3);
  // A step of 10 % half-way through, under ±1 % noise: drifted; the same noise without the step: not.
  std::mt19937 gen(3);
  std::uniform_real_distribution<double> noise(-0.01, 0.01);
  std::vector<double> step, flat;
  for (int i = 0; i < 40; ++i) {
    step.push_back((i < 20 ? 1.0 : 1.1) * (1 + noise(gen)));
    flat.push_back(1.0 + noise(gen));
  }
  const Drift s = sample_drift(step, 0.01);
  EXPECT_TRUE(s.drifted);
  EXPECT_NEAR(s.second / s.first, 1.1, 0.02);
  EXPECT_FALSE(sample_drift(flat, 0.01).drifted);
  EXPECT_FALSE(sample_drift(std::vector<double>(h100.begin(), h100.begin() + 12), 0.01).drifted) << "too few to tell";
}

// Stationary noise is not called drift: of 500 series of 64 samples spread ±5 % (far wider than the 1 % target), at
// most a few land their halves' intervals apart by chance; a shift smaller than the noise target never counts.
TEST(Stats, StationaryNoiseIsRarelyCalledDrift) {
  std::mt19937 gen(7);
  std::uniform_real_distribution<double> noise(-0.05, 0.05);
  int drifted = 0;
  for (int series = 0; series < 500; ++series) {
    std::vector<double> xs;
    for (int i = 0; i < 64; ++i) xs.push_back(1.0 + noise(gen));
    drifted += sample_drift(xs, 0.01).drifted;
  }
  EXPECT_LE(drifted, 5);
  std::vector<double> tiny;
  for (int i = 0; i < 40; ++i) tiny.push_back(i < 20 ? 1.0 : 1.005);
  EXPECT_FALSE(sample_drift(tiny, 0.01).drifted) << "0.5 % apart: within the noise target";
}

