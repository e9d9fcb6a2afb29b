// The build facts of attnscope/build_info.hpp, from build_facts.h, which engine/CMakeLists.txt
// generates from the configuration. engine/cuda/build_info_check.cu proves at compile time that the
// lists equal what nvcc really builds (__CUDA_ARCH_LIST__).
#include "attnscope/build_info.hpp"

#include "build_facts.h"

namespace attnscope::build {

bool with_cuda() { return ATTNSCOPE_BUILT_WITH_CUDA; }
std::vector<int> compute_capabilities() { return {ATTNSCOPE_BUILT_CCS}; }
std::vector<int> turing_capable_compute_capabilities() { return {ATTNSCOPE_TURING_CCS}; }

}  // namespace attnscope::build
