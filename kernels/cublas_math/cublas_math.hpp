#pragma once
// Launcher for the cublas-math backend (cublas_math.cu, CUDA builds only).
#include <cstddef>

#include "attnscope/backend.hpp"

namespace attnscope::cublas_math {

// scores: fp32 workspace of B·Hq·Nq·Nk elements (P is written over it in place); cublas_ws: workspace
// handed to cuBLAS (cublasSetWorkspace). stream: a cudaStream_t. Asynchronous.
void launch(const Problem& p, const Tensors& t, float* scores, void* cublas_ws, std::size_t cublas_ws_bytes,
            void* stream);

}  // namespace attnscope::cublas_math
