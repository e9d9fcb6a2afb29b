#pragma once
// The launch parameters of a problem, shared by mem-efficient and mem-efficient-fma (which sets
// f32_math = Fma on top). Host-only: included by the backends' .cpp files, not by the kernels.
#include "attnscope/backend.hpp"
#include "mem_efficient/mem_efficient.hpp"

namespace attnscope::mem_efficient {

inline Params params_for(const Problem& p, const Tensors& t) {
  Params k;
  k.q = t.q, k.k = t.k, k.v = t.v, k.o = t.o, k.lse = t.lse;
  k.batch = p.batch, k.q_heads = p.q_heads, k.kv_heads = p.kv_heads;
  k.q_len = p.q_len, k.kv_len = p.kv_len, k.head_dim = int(p.head_dim);
  k.element = p.dtype == DType::F32 ? Element::F32 : p.dtype == DType::BF16 ? Element::BF16 : Element::F16;
  k.causal = p.causal;
  k.scale = float(p.softmax_scale());
  return k;
}

}  // namespace attnscope::mem_efficient
