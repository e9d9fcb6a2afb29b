#pragma once
// How long the rest of a sweep will take. Items are far from equal: on the CPU each doubling of N costs
// about 4× (one sample is the whole attention), while on a GPU most items sit at the stopping rule's
// floor (min-time of samples) and only the largest reach its cap. So an item is predicted from what the
// same backend measured so far, in the stopping rule's own terms:
//   seconds ≈ overhead + warm-up + sampling,
//   latency   = the backend's largest finished item's median latency × (FLOPs here / FLOPs there),
//   warm-up   = max(3 runs, the worker's warm-up time), at most a quarter of max-time (but one run),
//   sampling  = min(max(min-samples × latency, min-time), max-time) — what the rule lets it take,
//   overhead  = the backend's mean (measured seconds − warm-up − sampling) of its finished items
//               (allocation, the accuracy check), at least 0.
// Overhead is kept constant: the accuracy check grows with the work too, but it checks a fixed number of
// heads and stays below the samples' time, and a slope fitted to the first, small items would be noise.
// A backend with nothing finished yet costs, at each point, the mean of the other backends' predictions
// there; an item that ends without a measurement (ineligible, failed) costs what such items of that
// backend took. Pure and testable; RunController feeds it.
#include <QString>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "attnscope/record.hpp"
#include "attnscope/stats.hpp"

namespace attnscope::gui {

class SweepEta {
 public:
  struct Item {
    QString backend;
    double flops = 0;  // Problem::flops() of the item's point
  };
  SweepEta() = default;
  SweepEta(std::vector<Item> plan, StoppingRule rule, double warmupS = 0.1);

  // An item finished after `seconds` of wall time (from its start to its record).
  void finished(int64_t item, double seconds, const Record& record);
  // Seconds left for every unfinished item; `running` (if any) has been going for `runningS` already.
  // Empty while no item has finished (nothing to scale from).
  std::optional<double> remaining(std::optional<int64_t> running = std::nullopt, double runningS = 0) const;
  std::optional<double> predict(int64_t item) const;  // one unfinished item's seconds
  bool empty() const { return plan_.empty(); }

 private:
  // What one backend's finished items say, kept as sums so a prediction costs O(1).
  struct Seen {
    int items = 0;
    double seconds = 0;                             // all finished items
    int measured = 0;                               // of them with a latency
    double overhead = 0;                            // summed over the measured ones
    double largestFlops = 0, largestLatencyS = 0;   // the largest measured item
  };
  std::optional<double> predictOwn(const QString& backend, double flops) const;
  double sampling(double latencyS) const;
  double warmUp(double latencyS) const;
  std::vector<Item> plan_;
  StoppingRule rule_;
  double warmupS_ = 0.1;
  std::vector<bool> done_;
  std::map<QString, Seen> seen_;  // per backend
};

}  // namespace attnscope::gui
