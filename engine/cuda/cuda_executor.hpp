#pragma once
// Measures a CUDA backend on one GPU: seeded device inputs, warm-up, a memory pass (CUPTI MEMORY2
// replay of the run's allocations, outputs included), the accuracy check on that pass's freshly
// poisoned output, then timed samples (cold L2 by default) under the stopping rule.
#include <memory>

#include "attnscope/executor.hpp"
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

// Accuracy of o (device, p.dtype) against the fp64 host reference on small problems and the fp32 GPU
// reference on large ones (max_heads heads, reference_heads()). The last reference is kept and reused
// while the problem, the heads and the bytes of their Q, K and V are the same (the next backend of a point).
Accuracy check_accuracy(const Problem& p, const void* q, const void* k, const void* v, const void* o,
                        int64_t max_heads, cudaStream_t s);
// How many references check_accuracy has computed in this process (the rest came from the kept one).
uint64_t references_computed();

}  // namespace attnscope::cuda
