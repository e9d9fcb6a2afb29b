// The compute capabilities this binary carries kernels for. nvcc defines __CUDA_ARCH_LIST__ from the
// build's -gencode flags (CMAKE_CUDA_ARCHITECTURES), e.g. "800,900" for 80-real;90a-real.
#include <algorithm>
#include <vector>

#include "attnscope/platform.hpp"

namespace attnscope::platform {

std::vector<int> built_compute_capabilities() {
#ifdef __CUDA_ARCH_LIST__
  std::vector<int> ccs{__CUDA_ARCH_LIST__};
  for (int& cc : ccs) cc /= 10;  // 900 → 90
  std::sort(ccs.begin(), ccs.end());
  ccs.erase(std::unique(ccs.begin(), ccs.end()), ccs.end());
  return ccs;
#else
  return {};
#endif
}

}  // namespace attnscope::platform
