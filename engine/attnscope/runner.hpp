#pragma once
// The runner walks the plan (every point × every selected backend, point-major so backends
// interleave), asks the registry for eligibility, lets the executor measure, and turns every outcome
// into a Record: ok, ineligible (every unmet rule), out-of-memory (bytes asked / free), error
// (message), cancelled. A failure in one backend never stops the sweep.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "attnscope/executor.hpp"
#include "attnscope/registry.hpp"

namespace attnscope {

struct PlanItem {
  int64_t item = 0;    // index in the plan
  int64_t point = 0;   // index of the problem
  const Backend* backend = nullptr;
};

std::vector<PlanItem> make_plan(const Registry& reg, const std::vector<Problem>& points,
                                const std::vector<std::string>& backend_ids);  // empty ids ⇒ all backends

struct RunCallbacks {
  // Called before an item starts (done = items finished so far).
  std::function<void(const PlanItem&, int64_t done, int64_t total, double elapsed_s)> on_progress;
  std::function<void(const PlanItem&, const Record&)> on_record;
};

class Runner {
 public:
  Runner(const Registry& reg, Executor& exec) : reg_(reg), exec_(exec) {}
  // Runs items [start_at, end). Returns the records made (also passed to on_record as they finish).
  std::vector<Record> run(const std::vector<Problem>& points, const std::vector<PlanItem>& plan,
                          const MeasureSettings& settings, const RunCallbacks& cb,
                          const CancelToken& cancel, int64_t start_at = 0);
  // Runs the items next_item() hands out, in that order, until it says there are no more (a resumed
  // run's missing items, or a shard worker's items read from its coordinator). `done` counts the items
  // finished before the first one (for progress).
  using NextItem = std::function<std::optional<int64_t>()>;
  std::vector<Record> run_items(const std::vector<Problem>& points, const std::vector<PlanItem>& plan,
                                const MeasureSettings& settings, const RunCallbacks& cb, const CancelToken& cancel,
                                const NextItem& next_item, int64_t done = 0);
  // One item (used by run); never throws.
  Record run_one(const Problem& p, int64_t point, const Backend& b, const MeasureSettings& s,
                 const CancelToken& cancel);
  // True once an item lost the device (DeviceLost): run() stopped after recording it.
  bool device_lost() const { return device_lost_; }

 private:
  const Registry& reg_;
  Executor& exec_;
  bool device_lost_ = false;
};

}  // namespace attnscope
