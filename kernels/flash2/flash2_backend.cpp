// flash2: our FlashAttention-2 style forward kernel on mma.sync tensor cores (sm80+). Rules, teaching
// text and the launch; the kernel is in flash2_kernel.cuh, its tile shapes in flash2.hpp.
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "attnscope/backend.hpp"
#include "attnscope/build_info.hpp"
#include "attnscope/rules.hpp"
#include "flash2/flash2.hpp"
#include "flash2/flash2_params.hpp"

namespace attnscope {
namespace {

// cp.async (16-byte global → shared copies), ldmatrix and mma.sync m16n8k16 with bfloat16 inputs are
// all sm80 instructions; no pre-Ampere path is compiled.
constexpr int kMinComputeCapability = 80;

// Head dims run: every multiple of 8 up to the largest compiled one (flash2.hpp's tile_shape).
constexpr int64_t kMaxHeadDim = flash2::kTileShapes.back().head_dim;

class Flash2Backend final : public CudaBackend {
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
        "Head dims 32, 64, 96, 128 and 256 are separate compiled kernels with their own tile shapes; any other "
        "multiple of 8 up to 256 (80, 112, …) runs on the next one up, its missing columns zero-filled on "
        "load and left out of the store, as FlashAttention-2 does — correct, at the padded head dim's cost.",
        "O(B·H·Nq·d) for the output plus O(B·H·Nq) for the fp32 log-sum-exp — O(N) in the sequence length; "
        "per block 40–96 KiB of shared memory. The Nq × Nk score matrix never exists.",
        "float16/bfloat16 prefill and training-style shapes on Ampere, Ada and Hopper GPUs with a head dim "
        "up to 256 (fastest at 32, 64, 96, 128 or 256): long sequences, causal or not, GQA. On Hopper the "
        "wgmma/TMA kernels (FlashAttention-3, cuDNN) are faster still; for float32 use mem-efficient; "
        "for one query row against a long cache, split-KV decode fills the GPU better."};
    return kInfo;
  }

  std::vector<RuleResult> check(const Problem& p, const DeviceInfo& d) const override {
    RuleSet rules(p, d);
    rules.cuda_backend(build::compute_capabilities(), kMinComputeCapability, "cublas-math or naive",
                       {.reason = "tiles are copied with cp.async and multiplied with ldmatrix + mma.sync m16n8k16, "
                                  "all sm80 instructions"})
        .dtype_in({DType::F16, DType::BF16},
                  {.reason = "tensor-core mma.sync takes 16-bit inputs; float32 would need TF32, which changes "
                             "the numerics"})
        .head_dim_at_most(kMaxHeadDim, {.reason = "kernels are compiled for head dims 32, 64, 96, 128 and 256; any other "
                                                  "multiple of 8 runs on the next one up, its missing columns "
                                                  "zero-filled on load"})
        .head_dim_multiple_of(8, {.reason = "Q, K and V rows are copied in 16-byte pieces of 8 float16/bfloat16 values"});
    if (const flash2::TileShape* shape = flash2::tile_shape(p.head_dim))
      rules.shared_memory_fits(uint64_t(shape->shared_memory_bytes()), "head_dim " + std::to_string(p.head_dim),
                               {.reason = "a " + std::to_string(shape->block_m) + "-row Q tile and two K/V tile pairs",
                                .hint = "use a smaller head dim, or mem-efficient on this device"});
    return rules.take();
  }

  MemoryPrediction predict_memory(const Problem& p, const DeviceInfo&) const override {
    return {p.output_bytes() + p.lse_bytes(), 0};  // no workspace: S and P stay on chip
  }

  bool writes_lse() const override { return true; }

#if ATTNSCOPE_HAVE_CUDA
  void run(const Problem& p, const Tensors& t, ExecContext& ctx) const override {
    flash2::forward(flash2::params_for("flash2", flash2::tile_shape(p.head_dim) != nullptr, p, t), ctx.stream());
  }
#endif
};

}  // namespace

std::unique_ptr<Backend> make_flash2_backend() { return std::make_unique<Flash2Backend>(); }

}  // namespace attnscope
