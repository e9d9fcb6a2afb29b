#pragma once
// Attention with fp32 accumulation on the GPU for selected heads: the correctness reference where the
// fp64 host reference would take too long (it is itself checked against the fp64 reference in a test).
#include <cuda_runtime.h>

#include <vector>

#include "attnscope/problem.hpp"
#include "attnscope/reference.hpp"

namespace attnscope::cuda {

inline constexpr int64_t kGpuReferenceMaxHeadDim = 1024;

// q/k/v: device tensors of p (dtype p.dtype). o: device [heads.size(), q_len, head_dim] fp32;
// lse: device [heads.size(), q_len] fp32 (natural log, -inf for a row that sees no key). Asynchronous.
void gpu_reference(const Problem& p, const void* q, const void* k, const void* v, const std::vector<HeadIndex>& heads,
                   float* o, float* lse, cudaStream_t s);

}  // namespace attnscope::cuda
