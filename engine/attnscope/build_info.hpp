#pragma once
// Facts about this build that eligibility rules read: whether it has CUDA, and for which compute
// capabilities its kernels carry machine code. Part of the CUDA-free core (the values come from the
// build configuration, engine/CMakeLists.txt), so backends' rules need no runtime library.
#include <vector>

namespace attnscope::build {

bool with_cuda();
// Kernel images of the sm80-only backends and the build's architecture list, e.g. {80, 90} for
// CMAKE_CUDA_ARCHITECTURES 80-real;90a-real. Empty without CUDA.
std::vector<int> compute_capabilities();
// Kernel images of the backends that also run on Turing (naive, cublas-math, small-k, mem-efficient
// and the engine's own kernels): the list above plus 75 when the build adds sm_75 for them (it does
// when 80 is in CMAKE_CUDA_ARCHITECTURES; top-level CMakeLists.txt), e.g. {75, 80, 90}.
std::vector<int> turing_capable_compute_capabilities();

}  // namespace attnscope::build
