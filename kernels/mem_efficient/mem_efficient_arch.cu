// Which architecture's code the mem-efficient kernels carry and which variant a launch uses. Compiled
// with the same flags as the kernels (kernels/CMakeLists.txt gives every .cu of this folder sm_75 on
// top of the build's list), so __CUDA_ARCH_LIST__ here is the kernels' own list.
#include <cuda_runtime.h>

#include <vector>

#include "mem_efficient/block_plan.cuh"
#include "mem_efficient/mem_efficient.hpp"

namespace attnscope::mem_efficient {

std::vector<int> built_compute_capabilities() {
#ifdef __CUDA_ARCH_LIST__
  std::vector<int> ccs{__CUDA_ARCH_LIST__};  // ascending, e.g. 750,800,900
  for (int& cc : ccs) cc /= 10;
  return ccs;
#else
  return {};
#endif
}

namespace detail {
bool use_turing_variant(const Params& p) {
  if (p.variant != Variant::Auto) return p.variant == Variant::Sm75;
  int device = 0, major = 0;
  check_launch(cudaGetDevice(&device), "querying the current device");
  check_launch(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device),
               "querying the device's compute capability");
  return major < 8;
}
}  // namespace detail

}  // namespace attnscope::mem_efficient
