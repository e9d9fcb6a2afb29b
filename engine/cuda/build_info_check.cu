// Compile-time proof that the build facts the rules read (attnscope/build_info.hpp, from CMake's
// architecture list) are the architectures nvcc really compiles: __CUDA_ARCH_LIST__ of this file,
// which gets the same -gencode flags as the sm80-only kernels, and of the Turing-capable sources
// (the extra sm_75 flag is compared through ATTNSCOPE_TURING_CCS in build_info_turing_check.cu).
#include "build_facts.h"
#include "cuda/arch_list.hpp"

#ifdef __CUDA_ARCH_LIST__
static_assert(attnscope::cuda::same_compute_capabilities({__CUDA_ARCH_LIST__}, {ATTNSCOPE_BUILT_CCS}),
              "CMAKE_CUDA_ARCHITECTURES and nvcc's __CUDA_ARCH_LIST__ disagree (engine/CMakeLists.txt)");
#endif
