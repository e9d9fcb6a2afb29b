// flash2: our FlashAttention-2 style forward kernel on mma.sync tensor cores (sm80+). Rules, teaching
// text and the launch; the kernel is in flash2_kernel.cuh, its tile shapes in flash2.hpp.
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "attnscope/backend.hpp"
#include "attnscope/platform.hpp"
#include "attnscope/rules.hpp"
#include "flash2/flash2.hpp"

namespace attnscope {
namespace {

// cp.async (16-byte global → shared copies), ldmatrix and mma.sync m16n8k16 with bfloat16 inputs are
// all sm80 instructions; no pre-Ampere path is compiled.
constexpr int kMinComputeCapability = 80;

std::string kib(int bytes) { return std::to_string((bytes + 1023) / 1024) + " KiB"; }

// Dynamic shared memory one block may use on a compute capability (CUDA programming guide, table of
// technical specifications per compute capability).
int max_shared_bytes_per_block(int cc) {
  if (cc == 80 || cc == 87) return 163 * 1024;
  if (cc >= 90 && cc < 120) return 227 * 1024;
  return 99 * 1024;  // sm86, sm89, sm120: the small-shared-memory parts
}

RuleResult shared_memory_rule(const Problem& p, const DeviceInfo& d) {
  const flash2::TileShape* shape = flash2::tile_shape(p.head_dim);
  const int need = shape ? shape->shared_memory_bytes() : 0;
  const int have = max_shared_bytes_per_block(d.compute_capability());
  RuleResult r;
  r.rule = "shared_memory";
  r.kind = RuleKind::Environment;
  r.field = "device";
  r.observed = kib(have) + " per block on " + d.sm_name();
  r.required = "≥ " + kib(need);
  r.met = need <= have;
  r.reason = "head_dim " + std::to_string(p.head_dim) + " needs " + kib(need) + " of shared memory per block (a " +
             std::to_string(shape ? shape->block_m : 0) + "-row Q tile and two K/V tile pairs); " + d.sm_name() +
             " allows " + kib(have);
  r.hint = "use a smaller head dim, or mem-efficient on this device";
  return r;
}

class Flash2Backend final : public Backend {
 public:
  const BackendInfo& info() const override {
    static const BackendInfo kInfo{
        "flash2",
        "FlashAttention-2 (mma.sync, ours)",
        "flash",
        Target::Cuda,
        "FlashAttention-2's forward algorithm (Dao 2023) as one CUDA kernel. Each thread block owns a tile "
        "of 64–128 query rows of one (batch, head); its 4 warps split the tile by rows, so a warp's softmax "
        "never needs another warp. The block streams the key/value tiles it can see through shared memory "
        "(16-byte cp.async copies, two buffers so tile j−1 arrives while tile j is used, rows stored with "
        "an XOR swizzle so ldmatrix reads hit every bank once) and multiplies on the tensor cores with "
        "mma.sync m16n8k16 (fp32 accumulation): S = Q·Kᵀ, then an online softmax in registers — a running "
        "row maximum and row sum, exp2 with the softmax scale and log2(e) folded into one multiply-add, "
        "the output rescaled only when the maximum moves — and O += P·V with P re-packed from the S "
        "accumulators into the next multiply's operand registers (P never touches memory). The 1/sum "
        "normalisation happens once at the end, where the output goes out through shared memory in "
        "16-byte stores and the log-sum-exp of every row is written. Causal masks are bottom-right "
        "aligned (query i sees key j iff j ≤ i + kv_len − q_len); tiles wholly above the diagonal are "
        "never loaded, only the diagonal and ragged-end tiles are masked element by element, and the "
        "heaviest causal tiles are launched first. GQA/MQA blocks read their shared KV head directly. "
        "Head dims 32, 64, 96, 128 and 256 are separate compiled kernels with their own tile shapes.",
        "O(B·H·Nq·d) for the output plus O(B·H·Nq) for the fp32 log-sum-exp — O(N) in the sequence length; "
        "per block 40–96 KiB of shared memory. The Nq × Nk score matrix never exists.",
        "float16/bfloat16 prefill and training-style shapes on Ampere, Ada and Hopper GPUs with a head dim "
        "of 32, 64, 96, 128 or 256: long sequences, causal or not, GQA. On Hopper the wgmma/TMA kernels "
        "(FlashAttention-3, cuDNN) are faster still; for float32 or other head dims use mem-efficient; "
        "for one query row against a long cache, split-KV decode fills the GPU better."};
    return kInfo;
  }

  std::vector<RuleResult> check(const Problem& p, const DeviceInfo& d) const override {
    RuleSet rules(p, d);
    rules.target(Target::Cuda)
        .built_with_cuda(platform::built_with_cuda())
        .min_compute_capability(kMinComputeCapability, "cublas-math or naive")
        .kernel_image_for(platform::built_compute_capabilities())
        .dtype_in({DType::F16, DType::BF16})
        .head_dim_in({32, 64, 96, 128, 256})
        .head_dim_multiple_of(8, "Q, K and V rows are copied in 16-byte pieces of 8 float16/bfloat16 values");
    if (d.is_gpu() && d.compute_capability() >= kMinComputeCapability) rules.custom(shared_memory_rule(p, d));
    auto out = rules.take();
    for (auto& r : out) {
      if (r.rule == "compute_capability")
        r.reason += " (tiles are copied with cp.async and multiplied with ldmatrix + mma.sync m16n8k16, "
                    "all sm80 instructions)";
      if (r.rule == "dtype")
        r.reason += " (tensor-core mma.sync takes 16-bit inputs; float32 would need TF32, which changes "
                    "the numerics)";
      if (r.rule == "head_dim_set")
        r.reason += " (each head dim is a separately compiled kernel with its own tile shape)";
    }
    return out;
  }

  MemoryPrediction predict_memory(const Problem& p) const override {
    return {p.output_bytes() + p.lse_bytes(), 0};  // no workspace: S and P stay on chip
  }

  bool writes_lse() const override { return true; }

  void run(const Problem& p, const Tensors& t, ExecContext& ctx) const override {
#if ATTNSCOPE_HAVE_CUDA
    if (!flash2::tile_shape(p.head_dim))
      throw std::runtime_error("flash2: head_dim " + std::to_string(p.head_dim) + " has no compiled kernel");
    if (p.dtype != DType::F16 && p.dtype != DType::BF16)
      throw std::runtime_error("flash2: dtype " + std::string(to_string(p.dtype)) + " is not float16 or bfloat16");
    flash2::Params k;
    k.q = t.q, k.k = t.k, k.v = t.v, k.o = t.o, k.lse = t.lse;
    k.batch = p.batch, k.q_heads = p.q_heads, k.kv_heads = p.kv_heads;
    k.q_len = p.q_len, k.kv_len = p.kv_len, k.head_dim = int(p.head_dim);
    k.bf16 = p.dtype == DType::BF16;
    k.causal = p.causal;
    k.scale = float(p.softmax_scale());
    flash2::forward(k, ctx.stream());
#else
    (void)p, (void)t, (void)ctx;
    throw std::runtime_error("this build of AttnScope has no CUDA support");
#endif
  }
};

}  // namespace

std::unique_ptr<Backend> make_flash2_backend() { return std::make_unique<Flash2Backend>(); }

}  // namespace attnscope
