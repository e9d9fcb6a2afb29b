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
