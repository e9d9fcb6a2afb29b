#pragma once
// nvcc defines __CUDA_ARCH_LIST__ per translation unit from its -gencode flags, e.g. 750,800,900. The
// build facts (attnscope/build_info.hpp) are compute capabilities (75, 80, 90) taken from CMake's
// list; this compares the two at compile time.
#include <initializer_list>

namespace attnscope::cuda {

// True when arch_list (750, 800, 900 in any order, possibly repeated) names exactly the compute
// capabilities ccs (75, 80, 90).
constexpr bool same_compute_capabilities(std::initializer_list<int> arch_list, std::initializer_list<int> ccs) {
  auto in = [](int x, std::initializer_list<int> xs, int divisor) {
    for (int y : xs)
      if (y / divisor == x) return true;
    return false;
  };
  for (int a : arch_list)
    if (!in(a / 10, ccs, 1)) return false;  // 900 → 90
  for (int cc : ccs)
    if (!in(cc, arch_list, 10)) return false;
  return true;
}

}  // namespace attnscope::cuda
