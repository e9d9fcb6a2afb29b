#pragma once
// The kernels' one error check for CUDA runtime calls and launches (host side; header-only, so the
// kernels library needs nothing from the engine's CUDA layer). Messages read "<what>: <error>".
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

namespace attnscope::kernels {

inline void check_cuda(cudaError_t e, const std::string& what) {
  if (e != cudaSuccess) throw std::runtime_error(what + ": " + cudaGetErrorString(e));
}

// Right after a <<<...>>> launch: its own error (no kernel image, bad configuration) becomes an
// exception instead of surfacing at some later call.
inline void check_launch(const std::string& what) { check_cuda(cudaGetLastError(), what); }

}  // namespace attnscope::kernels
