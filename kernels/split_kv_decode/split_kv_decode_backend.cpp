// split-kv-decode: flash-decoding for q_len ≤ 16 over a long KV cache (rules, teaching text, launch).
#include <memory>
#include <stdexcept>

#include "attnscope/backend.hpp"
#include "attnscope/build_info.hpp"
#include "attnscope/rules.hpp"
#include "split_kv_decode/split_kv_decode.hpp"

namespace attnscope {
namespace {

class SplitKvDecodeBackend final : public CudaBackend {
 public:
  const BackendInfo& info() const override {
    static const BackendInfo kInfo{
        "split-kv-decode",
        "Split-KV decode (flash-decoding)",
        "decode",
        Target::Cuda,
        "For decoding, where each sequence brings 1–16 new query tokens and a long KV cache. A normal "
        "attention grid has one block per (batch, head, query tile) — far fewer blocks than SMs when the "
        "query is a single token — so the key range is split instead: one block per (batch, KV head, key "
        "range) computes a partial output and its log-sum-exp with an online softmax, and a second small "
        "kernel combines the ranges (LSE = log Σ exp LSE_s, O = Σ exp(LSE_s − LSE)·O_s). The split count "
        "comes from the SM count and the length: the fewest ranges that fill the GPU's block slots in "
        "whole waves. The query heads of a GQA group and all their query positions share one block, so "
        "each KV head is read from memory once. K and V stream through shared memory with 16-byte cp.async "
        "copies, several tiles deep. When the group × query positions are at most 16 rows and head_dim ≤ "
        "128 (e.g. 32 query over 8 KV heads, one token) the rows form one 16-row tensor-core operand: "
        "Q·Kᵀ and P·V are mma.sync m16n8k16 with fp32 accumulation, each of 4 warps takes 16 keys of a "
        "64-key tile, P stays in registers, and one block per SM is enough to keep memory busy. On the "
        "CUDA cores the same work cost ~8 million instructions for an 8k-token cache — enough to make the "
        "kernel issue-bound instead of memory-bound. Larger groups and head_dim 256 use a CUDA-core kernel "
        "(fp32 dot products, D/8 lanes per key, up to 32 rows per block). Causal masking is not needed for "
        "decoding but is handled (bottom-right aligned: the last query row sees every key). With one range "
        "(large batch) the combine kernel and its workspace are skipped.",
        "O(B·H·Nq·d) output plus an fp32 workspace of splits × B·Hq·Nq × (d + 1) × 4 bytes for the "
        "partial outputs and log-sum-exps; nothing grows with kv_len.",
        "Decoding with a long KV cache (kv_len of thousands and more) and few query tokens: the run time "
        "approaches the time to read K and V once at the GPU's memory bandwidth, so report GB/s. Not for "
        "prefill: past 16 query tokens use mem-efficient or flash2."};
    return kInfo;
  }

  std::vector<RuleResult> check(const Problem& p, const DeviceInfo& d) const override {
    RuleSet rules(p, d);
    rules.cuda_backend(build::compute_capabilities(), 80, "mem-efficient (float16, from sm75), cublas-math or naive")  // cp.async, bf16 mma: sm80
        .dtype_in({DType::F16, DType::BF16}, {.alternative = "for float32 decoding use mem-efficient"})
        .head_dim_in({split_kv::kHeadDims.begin(), split_kv::kHeadDims.end()},
                     {.alternative = "other head dims: flash2 or mem-efficient"})
        .q_len_at_most(split_kv::kMaxQueryLen,
                       {.reason = "every query row of a KV head is kept in one block's registers",
                        .hint = "use q_len " + std::to_string(split_kv::kMaxQueryLen) +
                                " or less (decoding); for prefill use flash2 or mem-efficient"});
    return rules.take();
  }

  MemoryPrediction predict_memory(const Problem& p, const DeviceInfo& d) const override {
    return {p.output_bytes() + p.lse_bytes(), split_kv::workspace_bytes(p, split_kv::plan(p, slots_for(p, d)))};
  }

  bool writes_lse() const override { return true; }

#if ATTNSCOPE_HAVE_CUDA
  void run(const Problem& p, const Tensors& t, ExecContext& ctx) const override {
    if (p.dtype == DType::F32 || p.q_len > split_kv::kMaxQueryLen)
      throw std::runtime_error("split-kv-decode runs float16/bfloat16 with q_len ≤ 16; got " + p.describe());
    const split_kv::Plan plan = split_kv::plan(p, split_kv::device_slots(int(p.head_dim), p.dtype == DType::BF16));
    Workspace workspace(ctx, split_kv::workspace_bytes(p, plan));
    split_kv::Params k;
    k.q = t.q, k.k = t.k, k.v = t.v, k.o = t.o, k.lse = t.lse;
    k.batch = p.batch, k.q_heads = p.q_heads, k.kv_heads = p.kv_heads;
    k.q_len = p.q_len, k.kv_len = p.kv_len, k.head_dim = int(p.head_dim);
    k.bf16 = p.dtype == DType::BF16;
    k.causal = p.causal;
    k.scale = float(p.softmax_scale());
    split_kv::forward(k, plan, workspace.get(), ctx.stream());
  }
#endif

 private:
  // The split count depends on the GPU judged: on a real GPU the kernel's occupancy there (the worker
  // runs on that device), on a what-if profile its SM count with the default blocks per SM.
  static split_kv::DeviceSlots slots_for(const Problem& p, const DeviceInfo& d) {
#if ATTNSCOPE_HAVE_CUDA
    if (d.kind == DeviceKind::Cuda) {
      try {
        return split_kv::device_slots(int(p.head_dim), p.dtype == DType::BF16);
      } catch (const std::exception&) {
      }
    }
#endif
    (void)p;
    split_kv::DeviceSlots slots;
    if (d.sm_count > 0) slots.sm_count = d.sm_count;
    return slots;
  }
};

}  // namespace

std::unique_ptr<Backend> make_split_kv_decode_backend() { return std::make_unique<SplitKvDecodeBackend>(); }

}  // namespace attnscope
