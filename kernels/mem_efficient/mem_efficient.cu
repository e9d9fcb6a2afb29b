// mem-efficient: one entry point, three kernels — fp16/bf16 run the tensor-core kernel; fp32 runs the
// 3×TF32 tensor-core kernel where it can (compute capability ≥ 8.0, head_dim ≤ 128, unless the caller
// asks for FMA: mem-efficient-fma) and the CUDA-core FMA kernel everywhere else. The checks here repeat
// the backend's rules so a direct caller (tests, benchmarks) cannot launch a kernel outside what it
// was built for.
#include <stdexcept>
#include <string>

#include "mem_efficient/mem_efficient.hpp"

namespace attnscope::mem_efficient {

void forward(const Params& p, void* stream) {
  if (p.head_dim <= 0 || p.head_dim > kMaxHeadDim || p.head_dim % kHeadDimMultiple != 0)
    throw std::runtime_error("mem-efficient: head_dim " + std::to_string(p.head_dim) +
                             " is not a multiple of 8 in [8, 256]");
  if (p.kv_heads <= 0 || p.q_heads % p.kv_heads != 0)
    throw std::runtime_error("mem-efficient: q_heads " + std::to_string(p.q_heads) + " is not a multiple of kv_heads " +
                             std::to_string(p.kv_heads));
  if (p.batch == 0 || p.q_heads == 0 || p.q_len == 0) return;  // nothing to write
  if (p.element != Element::F32)
    detail::forward_tensor_core(p, stream);
  else if (p.f32_math == F32Math::Auto && p.head_dim <= kMaxHeadDim3xTf32 && !detail::use_turing_variant(p))
    detail::forward_3xtf32(p, stream);  // the same choice as f32_runs_3xtf32(), on the current device
  else
    detail::forward_f32(p, stream);
}

}  // namespace attnscope::mem_efficient
