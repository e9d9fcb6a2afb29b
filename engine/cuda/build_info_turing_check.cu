// Compile-time proof for the Turing-capable list: this file gets the same extra sm_75 flag as those
// kernels (engine/CMakeLists.txt), so its __CUDA_ARCH_LIST__ is theirs. See build_info_check.cu.
#include "build_facts.h"
#include "cuda/arch_list.hpp"

#ifdef __CUDA_ARCH_LIST__
static_assert(attnscope::cuda::same_compute_capabilities({__CUDA_ARCH_LIST__}, {ATTNSCOPE_TURING_CCS}),
              "the Turing-capable architecture list and nvcc's __CUDA_ARCH_LIST__ disagree (engine/CMakeLists.txt)");
#endif
