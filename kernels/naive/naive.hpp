#pragma once
// Launcher for the naive backend's kernels (naive.cu, CUDA builds only).
#include "attnscope/backend.hpp"

namespace attnscope::naive {

// scores: fp32 workspace of B·Hq·Nq·Nk elements. stream: a cudaStream_t. Asynchronous; throws
// std::runtime_error on a launch failure.
void launch(const Problem& p, const Tensors& t, float* scores, void* stream);

}  // namespace attnscope::naive
