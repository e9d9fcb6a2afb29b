#include "SweepEta.h"

#include <algorithm>

namespace attnscope::gui {

SweepEta::SweepEta(std::vector<Item> plan, StoppingRule rule, double warmupS)
    : plan_(std::move(plan)), rule_(rule), warmupS_(warmupS), done_(plan_.size(), false) {}

double SweepEta::sampling(double latencyS) const {
  const double wanted = std::max(double(rule_.min_samples) * latencyS, rule_.min_time_s);
  // The cap is checked after a sample, so the last one may run past it.
  return rule_.max_time_s > 0 ? std::min(wanted, rule_.max_time_s + latencyS) : wanted;
}

double SweepEta::warmUp(double latencyS) const {
  // The executors' warm-up: at least 3 runs and warmupS; the CPU's stops at a quarter of the time cap.
  const double wanted = std::max(3 * latencyS, warmupS_);
  return rule_.max_time_s > 0 ? std::min(wanted, std::max(0.25 * rule_.max_time_s, latencyS)) : wanted;
}

void SweepEta::finished(int64_t item, double seconds, const Record& record) {
  if (item < 0 || item >= int64_t(plan_.size()) || done_[std::size_t(item)]) return;
  done_[std::size_t(item)] = true;
  const Item& it = plan_[std::size_t(item)];
  Seen& s = seen_[it.backend];
  seconds = std::max(0.0, seconds);
  ++s.items;
  s.seconds += seconds;
  if (record.status != Status::Ok || record.latency_us.median <= 0) return;  // no measurement: costs as it took
  const double latency = record.latency_us.median * 1e-6;
  ++s.measured;
  s.overhead += seconds - warmUp(latency) - sampling(latency);
  // The largest measured item says most about how latency grows; its ratio scales to other items.
  if (it.flops > 0 && it.flops >= s.largestFlops) s.largestFlops = it.flops, s.largestLatencyS = latency;
}

std::optional<double> SweepEta::predictOwn(const QString& backend, double flops) const {
  const auto found = seen_.find(backend);
  if (found == seen_.end() || found->second.items == 0) return std::nullopt;
  const Seen& s = found->second;
  if (s.measured == 0 || s.largestFlops <= 0) return s.seconds / s.items;
  const double overhead = std::max(0.0, s.overhead / s.measured);
  const double latency = s.largestLatencyS * (flops > 0 ? flops / s.largestFlops : 1.0);
  return overhead + warmUp(latency) + sampling(latency);
}

std::optional<double> SweepEta::predict(int64_t item) const {
  if (item < 0 || item >= int64_t(plan_.size())) return std::nullopt;
  const Item& it = plan_[std::size_t(item)];
  if (auto own = predictOwn(it.backend, it.flops)) return own;
  // Not started yet: as the others would take at this point, on average — those that measured
  // something, unless none has (an ineligible backend's instant items say nothing about a real one).
  for (const bool needMeasured : {true, false}) {
    double sum = 0;
    int n = 0;
    for (const auto& [backend, seen] : seen_)
      if (backend != it.backend && (seen.measured > 0 || !needMeasured))
        if (auto other = predictOwn(backend, it.flops)) sum += *other, ++n;
    if (n > 0) return sum / n;
  }
  return std::nullopt;
}

std::optional<double> SweepEta::remaining(std::optional<int64_t> running, double runningS) const {
  if (seen_.empty()) return std::nullopt;
  double total = 0;
  for (int64_t i = 0; i < int64_t(plan_.size()); ++i) {
    if (done_[std::size_t(i)]) continue;
    const std::optional<double> t = predict(i);
    if (!t) return std::nullopt;
    total += running && *running == i ? std::max(0.0, *t - runningS) : *t;
  }
  return total;
}

}  // namespace attnscope::gui
