// mem-efficient: tiled attention with an online softmax for every dtype — fp16/bf16 on tensor cores,
// fp32 on the CUDA cores (plain FFMA, no TF32). Rules, teaching text and the launch.
#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>

#include "attnscope/backend.hpp"
#include "attnscope/platform.hpp"
#include "attnscope/rules.hpp"
#include "mem_efficient/mem_efficient.hpp"
#include "mem_efficient/mem_efficient_params.hpp"

namespace attnscope {
namespace {

namespace me = mem_efficient;

std::string kib(int bytes) { return std::to_string((bytes + 1023) / 1024) + " KiB"; }

int shared_bytes_for(DType t, int bucket) {
  return t == DType::F32 ? me::f32_shared_bytes(bucket) : me::tc_shared_bytes(bucket);
}
int shared_bytes_for(const Problem& p) {
  return shared_bytes_for(p.dtype, me::head_dim_bucket(std::clamp<int64_t>(p.head_dim, 1, me::kMaxHeadDim)));
}
// The largest head-dim bucket whose tiles fit `have` bytes in dtype t (0 if none does).
int largest_bucket_fitting(DType t, int have) {
  for (int bucket : {256, 128, 64})
    if (shared_bytes_for(t, bucket) <= have) return bucket;
  return 0;
}

// The kernels' own image list: sm_75 is compiled for mem-efficient's sources only (kernels/CMakeLists.txt).
std::vector<int> kernel_images() {
#if ATTNSCOPE_HAVE_CUDA
  return me::built_compute_capabilities();
#else
  return platform::built_compute_capabilities();  // empty; the cuda_build rule says why
#endif
}

// "head_dim ≤ 256", with the reason the limit exists and the nearest value that passes.
RuleResult head_dim_max_rule(const Problem& p) {
  const std::string d = std::to_string(p.head_dim);
  const std::string max = std::to_string(me::kMaxHeadDim);
  RuleResult r;
  r.rule = "head_dim_max";
  r.field = "head_dim";
  r.observed = d;
  r.required = "≤ " + max;
  r.met = p.head_dim <= me::kMaxHeadDim;
  r.reason = "head_dim is " + d + "; mem-efficient needs head_dim ≤ " + max +
             " (each block keeps its 64 × head_dim output tile in registers; 256 is the largest compiled size)";
  r.hint = "nearest allowed: head_dim " + max + "; for larger head dims use naive (up to 512)";
  return r;
}

// "head_dim % 8 == 0": tiles move in 16-byte copies.
RuleResult head_dim_multiple_rule(const Problem& p) {
  const int64_t m = me::kHeadDimMultiple;
  const int64_t d = p.head_dim;
  const int64_t down = std::clamp<int64_t>(d / m * m, m, me::kMaxHeadDim);
  const int64_t up = std::clamp<int64_t>((d + m - 1) / m * m, m, me::kMaxHeadDim);
  RuleResult r;
  r.rule = "head_dim_multiple";
  r.field = "head_dim";
  r.observed = std::to_string(d);
  r.required = "a multiple of " + std::to_string(m);
  r.met = d % m == 0;
  r.reason = "head_dim is " + std::to_string(d) + "; mem-efficient needs a multiple of " + std::to_string(m) +
             " (Q, K, V rows are copied in 16-byte pieces: 8 float16/bfloat16 values, or 2 × 4 float32)";
  const int64_t nearest = (d - down < up - d) ? down : up;  // ties go up
  r.hint = "nearest allowed: head_dim " + std::to_string(nearest);
  if (up > d && up != nearest) r.hint += " (or " + std::to_string(up) + ")";
  if (up > d)
    r.hint += "; zero-padding Q, K and V to " + std::to_string(up) + " gives the same result if the scale stays 1/√" +
              std::to_string(d);
  return r;
}

// Shared memory per block against the device's per-block limit: sm86/89/120-class parts (99 KiB) are
// short for fp32 with head_dim > 128 (147 KiB); Turing (64 KiB) for fp32 above 64 (83/147 KiB) and for
// 16-bit at head_dim > 128 (96 KiB). The hint names the largest head dim that fits in each dtype.
RuleResult shared_memory_rule(const Problem& p, const DeviceInfo& dev) {
  const int need = shared_bytes_for(p);
  const int have = me::max_shared_bytes_per_block(dev.compute_capability());
  RuleResult r;
  r.rule = "shared_memory";
  r.kind = RuleKind::Environment;
  r.field = "device";
  r.observed = kib(have) + " per block on " + dev.sm_name();
  r.required = "≥ " + kib(need);
  r.met = need <= have;
  r.reason = std::string(to_string(p.dtype)) + " with head_dim " + std::to_string(p.head_dim) + " needs " + kib(need) +
             " of shared memory per block; " + dev.sm_name() + " (" + dev.name + ") allows " + kib(have);
  const int fits = largest_bucket_fitting(p.dtype, have);
  const int fits_16bit = largest_bucket_fitting(DType::F16, have);
  const std::string sixteen_bit = dev.compute_capability() >= me::kMinComputeCapabilityBf16 ? "float16/bfloat16" : "float16";
  if (fits == 0)
    r.hint = "use a GPU with more shared memory per block";
  else if (p.dtype == DType::F32)
    r.hint = "use head_dim ≤ " + std::to_string(fits) + " in float32 on " + dev.sm_name() + " (" +
             kib(me::f32_shared_bytes(fits)) + "), or " + sixteen_bit + " (" + kib(me::tc_shared_bytes(fits_16bit)) +
             " at head_dim " + std::to_string(fits_16bit) + ")";
  else
    r.hint = "use head_dim ≤ " + std::to_string(fits) + " in " + std::string(to_string(p.dtype)) + " on " +
             dev.sm_name() + " (" + kib(me::tc_shared_bytes(fits)) + "), or a GPU with more shared memory per block";
  return r;
}

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

class MemEfficientBackend final : public Backend {
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
        "fp32 accumulation): four warps of 16 rows each, Q and K via ldmatrix, P re-packed from the score "
        "accumulators straight into the next multiply's operands, V via ldmatrix.trans, the next K/V tile "
        "copied (cp.async) while the current one is used. On Turing (sm75, e.g. T4) the same kernel "
        "template runs its Turing variant: tiles move through registers (16-byte loads, then shared-memory "
        "stores; the next tile is prefetched into L2 first) and each k16 step is two mma.sync m16n8k8 — "
        "float16 only, since bfloat16 tensor-core MMA needs sm80. float32 runs on the CUDA cores with plain fp32 "
        "FMA — TF32 is NOT used, so results keep full fp32 accuracy: each thread holds an 8 × 4 tile of "
        "scores and an 8 × d/16 tile of the output in registers, reads Q, K, V and P from shared memory "
        "as float4, and the 16 lanes that share a row reduce its maximum with shuffles. Head dims are "
        "compiled in buckets of 64, 128 and 256; smaller multiples of 8 are zero-padded inside the block. "
        "Causal masks are bottom-right aligned (only tiles that cross the diagonal or the end of the keys "
        "are masked element by element; tiles past the diagonal are never loaded); GQA blocks read the "
        "shared KV head directly; any q_len and kv_len.",
        "O(B·H·Nq·d) for the output plus O(B·H·Nq) for the fp32 log-sum-exp; per block a fixed 24–96 KiB "
        "(float16/bfloat16) or 51–147 KiB (float32) of shared memory. Nothing grows with Nq·Nk.",
        "The fallback that still runs: float32 inputs (flash and cuDNN refuse them — the classic \"No "
        "operator found for memory_efficient_attention_forward\"), head dims such as 72, 80 or 200 that "
        "flash kernels do not compile, ragged lengths, GQA, causal with q_len ≠ kv_len. For float16/bfloat16 "
        "problems that flash2 accepts, flash2 is faster."};
    return kInfo;
  }

  std::vector<RuleResult> check(const Problem& p, const DeviceInfo& d) const override {
    RuleSet rules(p, d);
    rules.target(Target::Cuda)
        .built_with_cuda(platform::built_with_cuda())
        .min_compute_capability(me::kMinComputeCapability, "naive")
        .kernel_image_for(kernel_images())
        .dtype_in({DType::F32, DType::F16, DType::BF16})
        .custom(head_dim_max_rule(p))
        .custom(head_dim_multiple_rule(p));
    if (d.is_gpu() && d.compute_capability() >= me::kMinComputeCapability)
      rules.custom(bf16_tensor_core_rule(p, d)).custom(shared_memory_rule(p, d));
    auto out = rules.take();
    for (auto& r : out) {
      if (r.rule == "compute_capability")
        r.reason += " (the float16 path needs ldmatrix and mma.sync m16n8k8 and the float32 path plain "
                    "16-byte loads, all there from sm75 (Turing); bfloat16 needs sm80, a rule of its own)";
      if (r.rule == "kernel_image" && !r.met && d.compute_capability() == 75)
        r.hint = "rebuild with 80-real in -DCMAKE_CUDA_ARCHITECTURES: mem-efficient then adds sm_75 machine code "
                 "for its own kernels (the other backends need sm80 anyway)";
    }
    return out;
  }

  MemoryPrediction predict_memory(const Problem& p) const override {
    return {p.output_bytes() + p.lse_bytes(), 0};  // no workspace: everything else is on-chip
  }

  bool writes_lse() const override { return true; }

  void run(const Problem& p, const Tensors& t, ExecContext& ctx) const override {
#if ATTNSCOPE_HAVE_CUDA
    me::forward(me::params_for(p, t), ctx.stream());
#else
    (void)p, (void)t, (void)ctx;
    throw std::runtime_error("this build of AttnScope has no CUDA support");
#endif
  }
};

}  // namespace

std::unique_ptr<Backend> make_mem_efficient_backend() { return std::make_unique<MemEfficientBackend>(); }

}  // namespace attnscope
