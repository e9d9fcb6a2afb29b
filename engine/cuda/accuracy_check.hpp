#pragma once
// The accuracy check of a run's output: against the fp64 host reference on small problems and the fp32 GPU
// reference on large ones, over a few (batch, head) pairs.
#include <cuda_runtime.h>

#include <cstdint>

#include "attnscope/problem.hpp"
#include "attnscope/record.hpp"

namespace attnscope::cuda {

// Accuracy of o (device, p.dtype) against the fp64 host reference on small problems and the fp32 GPU
// reference on large ones (max_heads heads, reference_heads()). The last reference is kept and reused
// while the problem, the heads and the bytes of their Q, K and V are the same (the next backend of a point).
Accuracy check_accuracy(const Problem& p, const void* q, const void* k, const void* v, const void* o,
                        int64_t max_heads, cudaStream_t s);
// How many references check_accuracy has computed in this process (the rest came from the kept one).
uint64_t references_computed();

}  // namespace attnscope::cuda
