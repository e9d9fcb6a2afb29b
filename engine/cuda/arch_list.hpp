#pragma once
// nvcc defines __CUDA_ARCH_LIST__ per translation unit from its -gencode flags, e.g. 750,800,900; a
// .cu that wants its own list passes it here. Returns compute capabilities (75, 80, 90), ascending.
#include <algorithm>
#include <initializer_list>
#include <vector>

namespace attnscope::cuda {

inline std::vector<int> compute_capabilities_of(std::initializer_list<int> arch_list) {
  std::vector<int> ccs;
  for (int a : arch_list) ccs.push_back(a / 10);  // 900 → 90
  std::sort(ccs.begin(), ccs.end());
  ccs.erase(std::unique(ccs.begin(), ccs.end()), ccs.end());
  return ccs;
}

}  // namespace attnscope::cuda

// The compute capabilities of the translation unit that expands it (the macro, not a function, so
// __CUDA_ARCH_LIST__ is that file's own); empty in host-only compilation.
#ifdef __CUDA_ARCH_LIST__
#define ATTNSCOPE_THIS_FILE_COMPUTE_CAPABILITIES() ::attnscope::cuda::compute_capabilities_of({__CUDA_ARCH_LIST__})
#else
#define ATTNSCOPE_THIS_FILE_COMPUTE_CAPABILITIES() std::vector<int>{}
#endif
