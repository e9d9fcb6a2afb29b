// Runtime → compile time: the one place where (dtype, head dim) picks a kernel instantiation.
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "flash2/flash2.hpp"
#include "flash2/flash2_traits.cuh"

namespace attnscope::flash2 {

// Defined in flash2_kernel.cuh, instantiated in flash2_hdim<D>.cu.
template <class Element, int kHeadDim>
void run(const Params& p, cudaStream_t stream);

namespace {

// Calls f(std::integral_constant<int, D>{}) for the compiled head dim D == head_dim; false if none.
// The cases are exactly the rows of kTileShapes (checked below).
template <class F>
bool head_dim_switch(int head_dim, F&& f) {
  switch (head_dim) {
    case 32: f(std::integral_constant<int, 32>{}); return true;
    case 64: f(std::integral_constant<int, 64>{}); return true;
    case 96: f(std::integral_constant<int, 96>{}); return true;
    case 128: f(std::integral_constant<int, 128>{}); return true;
    case 256: f(std::integral_constant<int, 256>{}); return true;
    default: return false;
  }
}

static_assert(kTileShapes.size() == 5 && kTileShapes[0].head_dim == 32 && kTileShapes[1].head_dim == 64 &&
                  kTileShapes[2].head_dim == 96 && kTileShapes[3].head_dim == 128 && kTileShapes[4].head_dim == 256,
              "head_dim_switch and kTileShapes list the same head dims");

}  // namespace

void forward(const Params& p, void* stream) {
  const auto s = static_cast<cudaStream_t>(stream);
  const TileShape* shape = tile_shape(p.head_dim);
  const bool found = shape != nullptr && head_dim_switch(shape->head_dim, [&](auto d) {
    if (p.bf16)
      run<__nv_bfloat16, decltype(d)::value>(p, s);
    else
      run<__half, decltype(d)::value>(p, s);
  });
  if (!found) throw std::runtime_error("flash2: no kernel for head_dim " + std::to_string(p.head_dim));
}

}  // namespace attnscope::flash2
