#pragma once
// The launch parameters of a problem, shared by flash2 and flash3 (which launches on the same Params).
// Host-only: included by the backends' .cpp files, not by the kernels. The checks are run()'s last line
// of defence for a caller that ignores the rules: a problem without a compiled kernel is never launched.
#include <stdexcept>
#include <string>

#include "attnscope/backend.hpp"
#include "flash2/flash2.hpp"

namespace attnscope::flash2 {

// `backend` names the caller in the messages; `compiled` says whether its head dim has a kernel.
inline Params params_for(const char* backend, bool compiled, const Problem& p, const Tensors& t) {
  if (!compiled)
    throw std::runtime_error(std::string(backend) + ": head_dim " + std::to_string(p.head_dim) + " has no compiled kernel");
  if (p.dtype != DType::F16 && p.dtype != DType::BF16)
    throw std::runtime_error(std::string(backend) + ": dtype " + std::string(to_string(p.dtype)) +
                             " is not float16 or bfloat16");
  Params k;
  k.q = t.q, k.k = t.k, k.v = t.v, k.o = t.o, k.lse = t.lse;
  k.batch = p.batch, k.q_heads = p.q_heads, k.kv_heads = p.kv_heads;
  k.q_len = p.q_len, k.kv_len = p.kv_len, k.head_dim = int(p.head_dim);
  k.bf16 = p.dtype == DType::BF16;
  k.causal = p.causal;
  k.scale = float(p.softmax_scale());
  return k;
}

}  // namespace attnscope::flash2
