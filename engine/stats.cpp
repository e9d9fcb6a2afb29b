#include "attnscope/stats.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

namespace attnscope {

double percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  const double pos = std::clamp(q, 0.0, 1.0) * double(sorted.size() - 1);
  const std::size_t lo = std::size_t(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - double(lo));
}

namespace {
// Distribution-free 95% CI of the median of sorted samples, from order statistics (1-based ranks, clamped):
// l = floor(n/2 - 0.98·sqrt(n)), u = ceil(n/2 + 1 + 0.98·sqrt(n)).
std::pair<double, double> median_ci(const std::vector<double>& sorted) {
  const int64_t count = int64_t(sorted.size());
  const double n = double(count), half = 0.98 * std::sqrt(n);
  const int64_t l = std::clamp<int64_t>(int64_t(std::floor(n / 2 - half)), 1, count);
  const int64_t u = std::clamp<int64_t>(int64_t(std::ceil(n / 2 + 1 + half)), 1, count);
  return {sorted[std::size_t(l - 1)], sorted[std::size_t(u - 1)]};
}
}  // namespace

Summary summarize(std::vector<double> samples) {
  Summary s;
  s.n = int64_t(samples.size());
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  s.min = samples.front();
  s.max = samples.back();
  s.median = percentile(samples, 0.5);
  s.p10 = percentile(samples, 0.1);
  s.p90 = percentile(samples, 0.9);
  double sum = 0;
  for (double x : samples) sum += x;
  s.mean = sum / double(s.n);
  double var = 0;
  for (double x : samples) var += (x - s.mean) * (x - s.mean);
  s.stddev = s.n > 1 ? std::sqrt(var / double(s.n - 1)) : 0;
  const auto [lo, hi] = median_ci(samples);
  s.ci_rel_halfwidth = s.median > 0 ? (hi - lo) / (2 * s.median) : 0;
  return s;
}

Drift sample_drift(const std::vector<double>& samples, double noise_target) {
  Drift d;
  if (samples.size() < 16) return d;  // halves of fewer than 8 samples: their intervals span nearly all of them
  const auto middle = samples.begin() + std::ptrdiff_t(samples.size() / 2);
  std::vector<double> first(samples.begin(), middle), second(middle, samples.end());
  std::sort(first.begin(), first.end());
  std::sort(second.begin(), second.end());
  d.first = percentile(first, 0.5);
  d.second = percentile(second, 0.5);
  const auto [lo1, hi1] = median_ci(first);
  const auto [lo2, hi2] = median_ci(second);
  d.drifted = d.first > 0 && std::abs(d.second - d.first) > noise_target * d.first && (lo2 > hi1 || hi2 < lo1);
  return d;
}

bool StoppingState::add(double sample_s, double wall_s) {
  samples_.push_back(sample_s);
  total_s_ += sample_s;
  const int64_t n = int64_t(samples_.size());
  if (n >= rule_.max_samples || wall_s >= rule_.max_time_s) {
    converged_ = n >= rule_.min_samples && summarize(samples_).ci_rel_halfwidth <= rule_.noise_target;
    return true;
  }
  if (n < rule_.min_samples || total_s_ < rule_.min_time_s) return false;
  // Sorting all samples each time would make long runs quadratic: past 64 samples check every 16th.
  if (n > 64 && n % 16 != 0) return false;
  // The CI needs enough samples to be meaningful; below ~10 the order-statistic ranks clamp to the
  // extremes and the check is merely conservative.
  if (summarize(samples_).ci_rel_halfwidth <= rule_.noise_target) {
    converged_ = true;
    return true;
  }
  return false;
}

}  // namespace attnscope
