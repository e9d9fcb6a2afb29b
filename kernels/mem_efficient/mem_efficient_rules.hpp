#pragma once
// Rules shared by the two backends that run mem-efficient's kernels: mem-efficient (every dtype;
// float32 on tensor cores by 3×TF32 where that kernel runs) and mem-efficient-fma (float32 on the CUDA
// cores only). CUDA-free: compiled into every build. `backend` is the id the reasons name.
#include <string>
#include <vector>

#include "attnscope/backend.hpp"
#include "attnscope/rules.hpp"
#include "mem_efficient/mem_efficient.hpp"

namespace attnscope::mem_efficient {

// The kernels' image list: the Turing-capable one (build::turing_capable_compute_capabilities).
std::vector<int> kernel_images();

// Shared memory one block of p needs on a GPU of compute capability cc: the 16-bit tensor-core kernel,
// or for float32 the kernel that runs there (3×TF32 where f32_runs_3xtf32 holds and math is Auto, FMA
// otherwise).
int shared_bytes_for(DType t, int64_t head_dim, int cc, F32Math math);

// "head_dim ≤ 256", with the reason the limit exists and the nearest value that passes.
RuleResult head_dim_max_rule(const Problem& p, const std::string& backend);
// "head_dim % 8 == 0": tiles move in 16-byte copies.
RuleResult head_dim_multiple_rule(const Problem& p, const std::string& backend);
// Shared memory per block against the device's per-block limit, for the kernel that runs p there,
// with a hint naming the largest head dim that fits.
RuleSet& shared_memory_rule(RuleSet& rules, const Problem& p, const DeviceInfo& dev, F32Math math);

}  // namespace attnscope::mem_efficient
