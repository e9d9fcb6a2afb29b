#pragma once
// Measures a CUDA backend on one GPU: seeded device inputs, warm-up, a memory pass (CUPTI MEMORY2
// replay of the run's allocations, outputs included), the accuracy check on that pass's freshly
// poisoned output, then timed samples (cold L2 by default) under the stopping rule.
#include <memory>

#include "attnscope/executor.hpp"
#include "cuda/accuracy_check.hpp"
#include "cuda/exec_context.hpp"

namespace attnscope::cuda {

class CudaExecutor : public Executor {
 public:
  explicit CudaExecutor(DeviceInfo device);
  ~CudaExecutor() override;
  const DeviceInfo& device() const override { return device_; }
  Measurement measure(const Backend& b, const Problem& p, const MeasureSettings& s, const CancelToken& cancel) override;

  int ordinal() const { return ordinal_; }

 private:
  Measurement measure_once(const Backend& b, const Problem& p, const MeasureSettings& s, const CancelToken& cancel);
  DeviceInfo device_;
  int ordinal_ = 0;
  std::unique_ptr<MemPool> pool_;
};


}  // namespace attnscope::cuda
