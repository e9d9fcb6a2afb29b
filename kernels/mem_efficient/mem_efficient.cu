// mem-efficient: one entry point, two kernels — fp32 runs the SIMT path, fp16/bf16 the tensor-core
// path. The checks here repeat the backend's rules so a direct caller (tests, benchmarks) cannot
// launch a kernel outside what it was built for.
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
  if (p.element == Element::F32)
    detail::forward_f32(p, stream);
  else
    detail::forward_tensor_core(p, stream);
}

}  // namespace attnscope::mem_efficient
