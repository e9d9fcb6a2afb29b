// mem-efficient-3xtf32: mem-efficient's tiled online-softmax attention for float32 on tensor cores,
// every fp32 product done as three TF32 MMAs. A separate, labelled choice so that plain mem-efficient
// stays exact FFMA. Rules, teaching text and the launch.
#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>

#include "attnscope/backend.hpp"
#include "attnscope/platform.hpp"
#include "attnscope/rules.hpp"
#include "mem_efficient/mem_efficient_params.hpp"
#include "mem_efficient_3xtf32/mem_efficient_3xtf32.hpp"

namespace attnscope {
namespace {

namespace tf = mem_efficient_3xtf32;

// mma.sync with tf32 inputs and 16-byte cp.async are sm80 instructions; no pre-Ampere fallback.
constexpr int kMinComputeCapability = 80;

// float32 only: the point of this backend is fp32 inputs on tensor cores.
RuleResult dtype_rule(const Problem& p) {
  const std::string t(to_string(p.dtype));
  RuleResult r;
  r.rule = "dtype";
  r.field = "dtype";
  r.observed = t;
  r.required = "float32";
  r.met = p.dtype == DType::F32;
  r.reason = "dtype is " + t + "; mem-efficient-3xtf32 supports float32 only (it splits each fp32 value into two "
             "TF32 parts; 16-bit inputs go to tensor cores directly)";
  r.hint = "choose float32; for " + t + " use mem-efficient or flash2";
  return r;
}

RuleResult head_dim_max_rule(const Problem& p) {
  const std::string d = std::to_string(p.head_dim), max = std::to_string(tf::kMaxHeadDim);
  RuleResult r;
  r.rule = "head_dim_max";
  r.field = "head_dim";
  r.observed = d;
  r.required = "≤ " + max;
  r.met = p.head_dim <= tf::kMaxHeadDim;
  r.reason = "head_dim is " + d + "; mem-efficient-3xtf32 needs head_dim ≤ " + max +
             " (each warp keeps 16 rows × head_dim of the fp32 output in registers; 128 is the largest compiled size)";
  r.hint = "nearest allowed: head_dim " + max + "; for float32 up to head_dim 256 use mem-efficient (plain fp32 FMA)";
  return r;
}

RuleResult head_dim_multiple_rule(const Problem& p) {
  const int64_t m = tf::kHeadDimMultiple, d = p.head_dim;
  const int64_t down = std::clamp<int64_t>(d / m * m, m, tf::kMaxHeadDim);
  const int64_t up = std::clamp<int64_t>((d + m - 1) / m * m, m, tf::kMaxHeadDim);
  const int64_t nearest = (d - down < up - d) ? down : up;  // ties go up
  RuleResult r;
  r.rule = "head_dim_multiple";
  r.field = "head_dim";
  r.observed = std::to_string(d);
  r.required = "a multiple of " + std::to_string(m);
  r.met = d % m == 0;
  r.reason = "head_dim is " + std::to_string(d) + "; mem-efficient-3xtf32 needs a multiple of " + std::to_string(m) +
             " (rows are copied in 16-byte pieces of 4 float32 and each lane stores 8 output columns at once)";
  r.hint = "nearest allowed: head_dim " + std::to_string(nearest);
  if (up > d && up != nearest) r.hint += " (or " + std::to_string(up) + ")";
  if (up > d)
    r.hint += "; zero-padding Q, K and V to " + std::to_string(up) + " gives the same result if the scale stays 1/√" +
              std::to_string(d);
  return r;
}

class MemEfficient3xTf32Backend final : public Backend {
 public:
  const BackendInfo& info() const override {
    static const BackendInfo kInfo{
        "mem-efficient-3xtf32",
        "Memory-efficient tiled, fp32 via 3×TF32 tensor cores",
        "tiled",
        Target::Cuda,
        "The memory-efficient tiled kernel (64 query rows per block, keys and values streamed through shared "
        "memory in tiles of 64 with cp.async, online softmax in the exp2 domain, log-sum-exp written) with "
        "both matrix products of float32 inputs on tensor cores by 3×TF32: every fp32 operand x is split into "
        "big = tf32(x) (x rounded to TF32's 10 mantissa bits) and small = tf32(x − big), and each product is "
        "computed as big·big + big·small + small·big — three mma.sync m16n8k8 TF32 instructions with fp32 "
        "accumulation (what CUTLASS calls OpMultiplyAddFastF32, and what PyTorch's efficient backend uses "
        "for float32). Only small·small (about 2^-22 relative) is dropped, so the result stays near fp32: "
        "about 1e-6 relative error, against about 1e-3 for plain single-pass TF32. Inputs stay fp32 in "
        "shared memory and are split in registers. Plain mem-efficient's float32 path uses no TF32 at all "
        "(exact fp32 FMA on the CUDA cores); this backend is the faster, near-fp32 alternative. Four warps "
        "of 16 rows per block; the score accumulators feed the P·V product directly. Head dims up to 128 "
        "(buckets 64 and 128, smaller multiples of 8 zero-padded), bottom-right aligned causal masks, GQA, "
        "any q_len and kv_len.",
        "O(B·H·Nq·d) for the output plus O(B·H·Nq) for the fp32 log-sum-exp; per block 51 KiB (head_dim ≤ 64) "
        "or 99 KiB (≤ 128) of shared memory. Nothing grows with Nq·Nk.",
        "float32 problems with head_dim ≤ 128 where speed matters and near-fp32 accuracy (≈1e-6) is enough: "
        "it runs on the tensor cores that plain mem-efficient's float32 path leaves idle. For exact fp32 "
        "FMA, or head_dim up to 256, use mem-efficient."};
    return kInfo;
  }

  std::vector<RuleResult> check(const Problem& p, const DeviceInfo& d) const override {
    RuleSet rules(p, d);
    rules.target(Target::Cuda)
        .built_with_cuda(platform::built_with_cuda())
        .min_compute_capability(kMinComputeCapability, "naive")
        .kernel_image_for(platform::built_compute_capabilities())
        .custom(dtype_rule(p))
        .custom(head_dim_max_rule(p))
        .custom(head_dim_multiple_rule(p));
    auto out = rules.take();
    for (auto& r : out)
      if (r.rule == "compute_capability")
        r.reason += " (the kernel multiplies with mma.sync m16n8k8 on TF32 inputs and copies tiles with cp.async — "
                    "both sm80 instructions; no pre-Ampere fallback is compiled)";
    return out;
  }

  MemoryPrediction predict_memory(const Problem& p) const override {
    return {p.output_bytes() + p.lse_bytes(), 0};  // no workspace: everything else is on-chip
  }

  bool writes_lse() const override { return true; }

  void run(const Problem& p, const Tensors& t, ExecContext& ctx) const override {
#if ATTNSCOPE_HAVE_CUDA
    tf::forward(mem_efficient::params_for(p, t), ctx.stream());
#else
    (void)p, (void)t, (void)ctx;
    throw std::runtime_error("this build of AttnScope has no CUDA support");
#endif
  }
};

}  // namespace

std::unique_ptr<Backend> make_mem_efficient_3xtf32_backend() { return std::make_unique<MemEfficient3xTf32Backend>(); }

}  // namespace attnscope
