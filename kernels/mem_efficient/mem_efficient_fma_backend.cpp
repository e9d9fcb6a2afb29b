// mem-efficient-fma: mem-efficient's float32 CUDA-core kernel as a labelled choice — exact fp32 FMA, no
// tensor cores, no TF32 — so that what float32 costs without tensor cores stays visible next to
// mem-efficient (which runs float32 by 3×TF32 on tensor cores where it can). Rules, teaching text and
// the launch; the kernel is mem_efficient_f32.cu.
#include <memory>
#include <stdexcept>
#include <string>

#include "attnscope/backend.hpp"
#include "attnscope/rules.hpp"
#include "mem_efficient/mem_efficient.hpp"
#include "mem_efficient/mem_efficient_params.hpp"
#include "mem_efficient/mem_efficient_rules.hpp"

namespace attnscope {
namespace {

namespace me = mem_efficient;

class MemEfficientFmaBackend final : public CudaBackend {
 public:
  const BackendInfo& info() const override {
    static const BackendInfo kInfo{
        "mem-efficient-fma",
        "Memory-efficient tiled, fp32 on CUDA cores (exact FMA)",
        "tiled",
        Target::Cuda,
        "mem-efficient's tiled online-softmax attention (64 query rows per block, keys and values streamed "
        "through shared memory in tiles of 64, exp2-domain softmax, log-sum-exp written) with float32 "
        "computed on the CUDA cores by plain fp32 FMA: no tensor cores and no TF32 at all, on every GPU and "
        "every head dim. Each thread holds an 8 × 4 tile of scores and an 8 × d/16 tile of the output in "
        "registers, reads Q, K, V and P from shared memory as float4, and the 16 lanes that share a row "
        "reduce its maximum with shuffles. mem-efficient runs this same kernel only where its 3×TF32 "
        "tensor-core kernel cannot (head_dim > 128, or Turing). Where both run, the CUDA cores are slower "
        "than 3×TF32 on the tensor cores, and the accuracy is of the same order (relative L2 error against "
        "fp64 of order 1e-7): running both side by side shows what float32 costs without tensor cores on "
        "the GPU at hand. Head dims up to 256 (buckets 64, 128, "
        "256, smaller multiples of 8 zero-padded), bottom-right aligned causal masks, GQA, any q_len and "
        "kv_len.",
        "O(B·H·Nq·d) for the output plus O(B·H·Nq) for the fp32 log-sum-exp; per block 51, 83 or 147 KiB "
        "(head_dim ≤ 64 / ≤ 128 / ≤ 256) of shared memory. Nothing grows with Nq·Nk.",
        "Seeing what float32 costs without tensor cores, next to mem-efficient on the same problem; float32 "
        "arithmetic done exactly as written (fp32 FMA only), e.g. to rule out tensor-core rounding when "
        "chasing a numerical difference. For speed use mem-efficient."};
    return kInfo;
  }

  std::vector<RuleResult> check(const Problem& p, const DeviceInfo& d) const override {
    RuleSet rules(p, d);
    // float32 only: 16-bit inputs have no CUDA-core kernel here (mem-efficient runs them on tensor cores).
    rules.cuda_backend(me::kernel_images(), me::kMinComputeCapability, "naive",
                       {.reason = "the float32 CUDA-core kernel needs only 16-byte loads and FMA, there from sm75 (Turing)"})
        .dtype_in({DType::F32}, {.reason = "float32 only: it is mem-efficient's float32 kernel on the CUDA cores; "
                                           "16-bit inputs run on tensor cores in mem-efficient",
                                 .hint = "choose float32; for " + std::string(to_string(p.dtype)) +
                                         " use mem-efficient or flash2"})
        .custom(me::head_dim_max_rule(p, "mem-efficient-fma"))
        .custom(me::head_dim_multiple_rule(p, "mem-efficient-fma"));
    me::shared_memory_rule(rules, p, d, me::F32Math::Fma);
    return rules.take();
  }

  MemoryPrediction predict_memory(const Problem& p, const DeviceInfo&) const override {
    return {p.output_bytes() + p.lse_bytes(), 0};  // no workspace: everything else is on-chip
  }

  bool writes_lse() const override { return true; }

#if ATTNSCOPE_HAVE_CUDA
  void run(const Problem& p, const Tensors& t, ExecContext& ctx) const override {
    if (p.dtype != DType::F32) throw std::runtime_error("mem-efficient-fma: only float32 inputs are supported");
    me::Params k = me::params_for(p, t);
    k.f32_math = me::F32Math::Fma;
    me::forward(k, ctx.stream());
  }
#endif
};

}  // namespace

std::unique_ptr<Backend> make_mem_efficient_fma_backend() { return std::make_unique<MemEfficientFmaBackend>(); }

}  // namespace attnscope
