// mem-efficient: tiled attention with an online softmax for every dtype — fp16/bf16 on tensor cores,
// fp32 on tensor cores by 3×TF32 where that kernel runs (sm80+, head_dim ≤ 128) and on the CUDA cores
// (plain FFMA) elsewhere. Rules, teaching text and the launch.
#include <algorithm>
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

// bfloat16 below sm80: Turing's tensor cores multiply float16 (mma.sync m16n8k8) but not bfloat16.
// An input rule: the fix is the dtype (or another device), and the reason names both.
RuleResult bf16_tensor_core_rule(const Problem& p, const DeviceInfo& dev) {
  const int cc = dev.compute_capability();
  const std::string version = std::to_string(cc / 10) + "." + std::to_string(cc % 10);
  RuleResult r;
  r.rule = "bf16_tensor_cores";
  r.kind = RuleKind::Input;
  r.field = "dtype";
  r.observed = std::string(to_string(p.dtype)) + " on " + dev.sm_name();
  r.required = "bfloat16 only on sm" + std::to_string(me::kMinComputeCapabilityBf16) + " or newer";
  r.met = p.dtype != DType::BF16 || cc >= me::kMinComputeCapabilityBf16;
  r.reason = "dtype is bfloat16; bfloat16 tensor-core MMA (mma.sync m16n8k16.bf16) needs compute capability ≥ 8.0; " +
             dev.sm_name() + " (" + dev.name + ") is " + version + " and multiplies only float16 on its tensor cores";
  r.hint = "choose float16 (the same tensor-core kernel runs it on " + dev.sm_name() +
           "), or a GPU with sm80 or newer for bfloat16";
  return r;
}

class MemEfficientBackend final : public CudaBackend {
 public:
  const BackendInfo& info() const override {
    static const BackendInfo kInfo{
        "mem-efficient",
        "Memory-efficient tiled (all dtypes)",
        "tiled",
        Target::Cuda,
        "Rabe & Staats' memory-efficient attention, fused into one kernel: each thread block owns 64 query "
        "rows of one (batch, head), streams the keys and values through shared memory in tiles of 64, and "
        "keeps a running row maximum and row sum (online softmax) so the output can be rescaled as each "
        "tile arrives; the Nq × Nk score matrix never exists. Scores live in the exp2 domain with the "
        "softmax scale folded into one multiply; the 1/sum normalisation happens once at the end, and the "
        "log-sum-exp of every row is written too. float16/bfloat16 run on tensor cores (mma.sync m16n8k16, "
        "fp32 accumulation): two warps of 32 rows each (four of 16 at head_dim 256, for registers), Q and K "
        "via ldmatrix, P re-packed from the score accumulators straight into the next multiply's operands, "
        "V via ldmatrix.trans, the next K/V tile "
        "copied (cp.async) while the current one is used. On Turing (sm75, e.g. T4) the same kernel "
        "template runs its Turing variant: tiles move through registers (16-byte loads, then shared-memory "
        "stores; the next tile is prefetched into L2 first) and each k16 step is two mma.sync m16n8k8 — "
        "float16 only, since bfloat16 tensor-core MMA needs sm80. float32 takes one of two kernels. On "
        "compute capability ≥ 8.0 with head_dim ≤ 128 both products run on tensor cores by 3×TF32, as in "
        "PyTorch's efficient backend (CUTLASS's OpMultiplyAddFastF32): every fp32 operand x is split into "
        "big = tf32(x) (rounded to TF32's 10-bit mantissa) and small = x − big, and each product is "
        "big·big + big·small + small·big — three mma.sync m16n8k8 TF32 instructions with fp32 accumulation; "
        "only small·small (about 2^-22 relative) is dropped, and each 64-key tile's P·V is summed in a fresh "
        "accumulator before one fp32 add (the tensor core truncates as it accumulates), so the output stays "
        "at fp32 accuracy: relative L2 error against the fp64 reference of order 1e-7, the same order as the "
        "FMA kernel's (every record carries its own measured error). Single-pass TF32 "
        "(about 1e-3) is never used. "
        "Under a causal mask its blocks start longest-first across groups of heads, which shortens the "
        "tail of the last wave. With head_dim > 128, or on Turing (sm75), float32 runs on the CUDA cores "
        "with plain fp32 FMA (no tensor cores, no TF32): each thread holds an 8 × 4 tile of scores and an "
        "8 × d/16 tile of the output in registers, reads Q, K, V and P from shared memory as float4, and the "
        "16 lanes that share a row reduce its maximum with shuffles; mem-efficient-fma runs that kernel "
        "for every float32 problem. Head dims are "
        "compiled in buckets of 64, 128 and 256; smaller multiples of 8 are zero-padded inside the block. "
        "Causal masks are bottom-right aligned (only tiles that cross the diagonal or the end of the keys "
        "are masked element by element; tiles past the diagonal are never loaded); GQA blocks read the "
        "shared KV head directly; any q_len and kv_len.",
        "O(B·H·Nq·d) for the output plus O(B·H·Nq) for the fp32 log-sum-exp; per block a fixed 24–96 KiB "
        "(float16/bfloat16), 51 or 99 KiB (float32 on tensor cores, head_dim ≤ 64 / ≤ 128) or 51–147 KiB "
        "(float32 on the CUDA cores) of shared memory. Nothing grows with Nq·Nk.",
        "The fallback that still runs: float32 inputs (flash and cuDNN refuse them — the classic \"No "
        "operator found for memory_efficient_attention_forward\"), on Ampere and newer at tensor-core speed "
        "with fp32 accuracy (3×TF32); head dims such as 72, 80 or 200 that "
        "flash kernels do not compile, ragged lengths, GQA, causal with q_len ≠ kv_len. For float16/bfloat16 "
        "problems that flash2 accepts, flash2 is faster."};
    return kInfo;
  }

  std::vector<RuleResult> check(const Problem& p, const DeviceInfo& d) const override {
    RuleSet rules(p, d);
    rules.cuda_backend(me::kernel_images(), me::kMinComputeCapability, "naive",
                       {.reason = "the float16 path needs ldmatrix and mma.sync m16n8k8 and the float32 path plain "
                                  "16-byte loads, all there from sm75 (Turing); bfloat16 needs sm80, a rule of its own"})
        .dtype_in({DType::F32, DType::F16, DType::BF16})
        .custom(me::head_dim_max_rule(p, "mem-efficient"))
        .custom(me::head_dim_multiple_rule(p, "mem-efficient"));
    if (d.is_gpu() && d.compute_capability() >= me::kMinComputeCapability) rules.custom(bf16_tensor_core_rule(p, d));
    me::shared_memory_rule(rules, p, d, me::F32Math::Auto);
    return rules.take();
  }

  MemoryPrediction predict_memory(const Problem& p, const DeviceInfo&) const override {
    return {p.output_bytes() + p.lse_bytes(), 0};  // no workspace: everything else is on-chip
  }

  bool writes_lse() const override { return true; }

#if ATTNSCOPE_HAVE_CUDA
  void run(const Problem& p, const Tensors& t, ExecContext& ctx) const override {
    me::forward(me::params_for(p, t), ctx.stream());
  }
#endif
};

}  // namespace

std::unique_ptr<Backend> make_mem_efficient_backend() { return std::make_unique<MemEfficientBackend>(); }

}  // namespace attnscope
