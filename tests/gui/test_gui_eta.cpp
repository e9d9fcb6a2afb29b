// The sweep ETA predicts each item from what its backend measured so far (SweepEta): checked against
// simulated sweeps whose items cost what the worker's stopping rule makes them cost, where an
// equal-cost-per-item estimate is off by a large factor.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "SweepEta.h"

using namespace attnscope;
using namespace attnscope::gui;

namespace {

double flopsAt(int64_t n) {
  Problem p;
  p.q_len = p.kv_len = n;
  return p.flops();
}

Record measured(double latencyS) {
  Record r;
  r.status = Status::Ok;
  r.latency_us.median = latencyS * 1e6;
  return r;
}

// What an item really costs under a stopping rule: set-up, warm-up, samples until min-samples and
// min-time (capped at max-time), and an accuracy check that grows with the work (not in the model).
double trueSeconds(const StoppingRule& rule, double latencyS, double checkS) {
  const double sampling = std::min(std::max(rule.min_samples * latencyS, rule.min_time_s), rule.max_time_s + latencyS);
  const double warmUp = std::min(std::max(3 * latencyS, 0.1), std::max(0.25 * rule.max_time_s, latencyS));
  return 0.03 + warmUp + sampling + checkS;
}

struct Sweep {
  std::vector<SweepEta::Item> plan;
  std::vector<double> latency;  // per item
  double checkPerLatency = 0;   // the accuracy check's time per latency (a quarter of the heads in fp64 on the CPU)
};

// Runs `done` items, then compares the ETA with the true rest and with elapsed/done × left.
void expectHonestEta(const Sweep& s, const StoppingRule& rule, int done, double tolerance, double naiveOffBy) {
  SweepEta eta(s.plan, rule);
  double elapsed = 0, rest = 0;
  for (int i = 0; i < int(s.plan.size()); ++i) {
    const double t = trueSeconds(rule, s.latency[std::size_t(i)], s.checkPerLatency * s.latency[std::size_t(i)]);
    if (i < done) {
      eta.finished(i, t, measured(s.latency[std::size_t(i)]));
      elapsed += t;
    } else {
      rest += t;
    }
  }
  const std::optional<double> predicted = eta.remaining();
  ASSERT_TRUE(predicted);
  EXPECT_NEAR(*predicted / rest, 1.0, tolerance) << "predicted " << *predicted << " s, true " << rest << " s";
  const double naive = elapsed / done * double(s.plan.size() - std::size_t(done));
  EXPECT_GT(std::max(naive / rest, rest / naive), naiveOffBy) << "naive " << naive << " s, true " << rest << " s";
}

}  // namespace

TEST(GuiEta, ACpuSweepWhoseItemsGrowFourfoldPerDoublingIsPredictedFromTheFirstItems) {
  // CPU rule (the worker's CPU defaults): one sample is the whole attention, so time follows FLOPs.
  StoppingRule cpu;
  cpu.min_samples = 10, cpu.min_time_s = 0.5, cpu.max_time_s = 5;
  Sweep s;
  s.checkPerLatency = 0.25;
  for (int64_t n = 256; n <= 8192; n *= 2) {
    s.plan.push_back({QStringLiteral("cpu-math"), flopsAt(n)});
    s.latency.push_back(flopsAt(n) / 4e9 * std::pow(n / 256.0, 0.08));  // ~4 GFLOP/s, a little worse as N grows (cache)
  }
  expectHonestEta(s, cpu, 2, 0.4, 10);
}

TEST(GuiEta, AGpuSweepAtTheStoppingRulesFloorIsNotScaledByFlops) {
  // The app's GPU rule: most items take min-time of samples whatever their size.
  StoppingRule gpu;
  gpu.min_samples = 10, gpu.min_time_s = 0.05, gpu.max_time_s = 1;
  Sweep s;
  for (int64_t n = 512; n <= 16384; n *= 2)
    for (const char* backend : {"flash2", "naive"}) {
      s.plan.push_back({QLatin1String(backend), flopsAt(n)});
      s.latency.push_back(flopsAt(n) / (backend == QLatin1String("flash2") ? 300e12 : 40e12) + 8e-6);
    }
  // Scaling item seconds by FLOPs would predict minutes; the floor keeps it near a second.
  SweepEta eta(s.plan, gpu);
  double rest = 0;
  for (int i = 0; i < int(s.plan.size()); ++i) {
    const double t = trueSeconds(gpu, s.latency[std::size_t(i)], 0.002);
    if (i < 4) eta.finished(i, t, measured(s.latency[std::size_t(i)]));
    else rest += t;
  }
  ASSERT_TRUE(eta.remaining());
  EXPECT_NEAR(*eta.remaining() / rest, 1.0, 0.2);
}

TEST(GuiEta, ABackendNotYetRunBorrowsTheOthersAndIneligibleItemsCostWhatTheyTook) {
  StoppingRule rule;
  rule.min_samples = 10, rule.min_time_s = 0.5, rule.max_time_s = 5;
  std::vector<SweepEta::Item> plan;
  for (int64_t n : {256, 512})
    for (const char* backend : {"a", "na", "later"}) plan.push_back({QLatin1String(backend), flopsAt(n)});
  SweepEta eta(plan, rule);
  EXPECT_FALSE(eta.remaining()) << "nothing finished: nothing to scale from";
  eta.finished(0, 0.7, measured(0.01));  // a at 256: 0.1 warm-up + 0.5 min-time + 0.1 overhead
  Record ineligible;
  ineligible.status = Status::Ineligible;
  eta.finished(1, 0.002, ineligible);
  EXPECT_NEAR(*eta.predict(4), 0.002, 1e-9) << "na at 512 costs what na's ineligible item took";
  EXPECT_NEAR(*eta.predict(2), 0.7, 1e-6) << "'later' at 256 borrows a's cost at 256 (na measured nothing)";
  EXPECT_NEAR(*eta.predict(3), 0.1 + 3 * 0.04 + 0.5, 1e-6) << "a at 512: latency 0.04 s (3 warm-up runs), still min-time";
  const double all = *eta.remaining();
  EXPECT_NEAR(*eta.remaining(2, 0.5), all - 0.5, 1e-9) << "a running item's elapsed time is taken off";
  EXPECT_NEAR(*eta.remaining(2, 5.0), all - *eta.predict(2), 1e-9) << "an item past its prediction adds nothing";
}
