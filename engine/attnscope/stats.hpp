#pragma once
// Sample statistics and the stopping rule shared by every executor.
#include <cstdint>
#include <vector>

namespace attnscope {

struct Summary {
  int64_t n = 0;
  double median = 0, min = 0, max = 0, p10 = 0, p90 = 0, mean = 0, stddev = 0;
  double ci_rel_halfwidth = 0;  // distribution-free 95% CI of the median, relative to the median
};

Summary summarize(std::vector<double> samples);  // empty ⇒ n = 0, all zero
double percentile(const std::vector<double>& sorted, double q);  // linear interpolation, q in [0,1]

// Whether samples taken in order drifted during a point: the medians of their first and second halves differ by more
// than the noise target and the halves' 95% confidence intervals of the median do not overlap (an H100 stepping its
// clock down under its power limit: 2969 µs per sample at first, 3243 µs a few hundred milliseconds later). More
// samples do not settle such a point; its median mixes the regimes in the proportion they happened to be sampled.
struct Drift {
  bool drifted = false;
  double first = 0, second = 0;  // the halves' medians, in the samples' unit
};
Drift sample_drift(const std::vector<double>& samples, double noise_target);

struct StoppingRule {
  int64_t min_samples = 10;
  double min_time_s = 0.5;        // accumulated measured time
  double max_time_s = 15.0;       // wall-clock cap per point
  double noise_target = 0.01;     // relative CI half-width of the median
  int64_t max_samples = 10000;
};

// Decides after each sample. `converged()` tells whether the stop came from the noise target (true)
// or from a cap (false ⇒ the record says "did not converge").
class StoppingState {
 public:
  explicit StoppingState(StoppingRule rule) : rule_(rule) {}
  // sample_s: the measured duration of this sample; wall_s: wall time since the point started.
  bool add(double sample_s, double wall_s);  // true ⇒ stop now
  bool converged() const { return converged_; }
  const std::vector<double>& samples() const { return samples_; }

 private:
  StoppingRule rule_;
  std::vector<double> samples_;
  double total_s_ = 0;
  bool converged_ = false;
};

}  // namespace attnscope
