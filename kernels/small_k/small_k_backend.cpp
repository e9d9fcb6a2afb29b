// small-k: fp32 attention for head dims ≤ 32 on the CUDA cores (rules, teaching text, launch).
#include <memory>
#include <stdexcept>

#include "attnscope/backend.hpp"
#include "attnscope/build_info.hpp"
#include "attnscope/rules.hpp"
#include "small_k/small_k.hpp"

namespace attnscope {
namespace {

class SmallKBackend final : public CudaBackend {
 public:
  const BackendInfo& info() const override {
    static const BackendInfo kInfo{
        "small-k",
        "Small head dim, fp32 (small-k)",
        "tiled",
        Target::Cuda,
        "Attention in full fp32 for tiny head dims (d ≤ 32), the niche of xFormers' old smallkF operator. "
        "Tensor cores do not take fp32 (and TF32 would round the inputs to 10 mantissa bits), so it runs "
        "on the CUDA cores: each thread owns whole query rows (8 rows at d ≤ 8, 4 at d ≤ 16, 2 at d ≤ 32) "
        "and keeps the query and output rows in registers; K and V stream through shared memory in tiles "
        "of 64 keys that every thread of a warp reads at once (a broadcast), so each key row read serves "
        "all of the thread's rows. Scores of 8 keys at a time feed an online softmax (running maximum and "
        "sum; the accumulator is rescaled only when a new maximum exceeds the old one by more than 2^8, "
        "since weights up to 256 are harmless in fp32), so the score matrix never exists. Causal masks "
        "are bottom-right aligned, a warp stops at the last key its rows see, and causal blocks hold half "
        "as many rows so less of the masked triangle is computed; a row that sees no key yields zeros "
        "and lse = -inf. With GQA the "
        "query heads of a group read the same K/V rows (from L2 after the first).",
        "O(B·H·N·d): output and log-sum-exp only; 32 KiB of shared memory per block, nothing that grows "
        "with the sequence length.",
        "float32 problems with small head dims (up to 32), e.g. small models, per-pixel or per-point "
        "attention, or checking numerics in full precision: exact fp32 arithmetic without padding d up to "
        "the tile sizes tensor-core kernels need. At the smallest head dims (up to 16) it is also the "
        "fastest float32 choice, since tensor-core tiles would be mostly padding; from d = 17 on sm80+, "
        "mem-efficient's 3×TF32 tensor-core path overtakes it at near-fp32 accuracy (docs/performance.md "
        "has the measurements). For d > 32 use "
        "mem-efficient; for float16/bfloat16 use flash2 or mem-efficient."};
    return kInfo;
  }

  std::vector<RuleResult> check(const Problem& p, const DeviceInfo& d) const override {
    RuleSet rules(p, d);
    // The two rules that greyed out smallkF in xFormers' classic message, with where to go instead.
    rules.cuda_backend(build::turing_capable_compute_capabilities())
        .dtype_in({DType::F32}, {.hint = "choose float32, or keep " + std::string(to_string(p.dtype)) +
                                         " and use flash2 or mem-efficient (this kernel exists for fp32 without "
                                         "tensor cores)"})
        .head_dim_at_most(small_k::kMaxHeadDim,
                          {.hint = "nearest allowed: head_dim " + std::to_string(small_k::kMaxHeadDim) +
                                   "; for head_dim " + std::to_string(p.head_dim) + " in float32 use mem-efficient"});
    return rules.take();
  }

  MemoryPrediction predict_memory(const Problem& p, const DeviceInfo&) const override {
    return {p.output_bytes() + p.lse_bytes(), 0};
  }

  bool writes_lse() const override { return true; }

#if ATTNSCOPE_HAVE_CUDA
  void run(const Problem& p, const Tensors& t, ExecContext& ctx) const override {
    if (p.dtype != DType::F32 || p.head_dim > small_k::kMaxHeadDim)
      throw std::runtime_error("small-k runs float32 with head_dim ≤ 32; got " + p.describe());
    small_k::Params k;
    k.q = static_cast<const float*>(t.q), k.k = static_cast<const float*>(t.k), k.v = static_cast<const float*>(t.v);
    k.o = static_cast<float*>(t.o), k.lse = t.lse;
    k.batch = p.batch, k.q_heads = p.q_heads, k.kv_heads = p.kv_heads;
    k.q_len = p.q_len, k.kv_len = p.kv_len, k.head_dim = int(p.head_dim);
    k.causal = p.causal;
    k.scale = float(p.softmax_scale());
    small_k::forward(k, ctx.stream());
  }
#endif
};

}  // namespace

std::unique_ptr<Backend> make_small_k_backend() { return std::make_unique<SmallKBackend>(); }

}  // namespace attnscope
