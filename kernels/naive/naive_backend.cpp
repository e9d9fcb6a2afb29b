// naive: the textbook attention on the GPU with our own kernels, materializing the whole fp32 score
// matrix. It exists to teach the quadratic memory: its workspace is exactly B·Hq·Nq·Nk·4 bytes.
#include <memory>
#include <stdexcept>

#include "attnscope/backend.hpp"
#include "attnscope/build_info.hpp"
#include "attnscope/rules.hpp"
#if ATTNSCOPE_HAVE_CUDA
#include "naive/naive.hpp"
#endif

namespace attnscope {
namespace {

constexpr int64_t kMaxHeadDim = 512;

uint64_t score_bytes(const Problem& p) {
  return uint64_t(p.batch) * uint64_t(p.q_heads) * uint64_t(p.q_len) * uint64_t(p.kv_len) * sizeof(float);
}

class NaiveBackend final : public CudaBackend {
 public:
  const BackendInfo& info() const override {
    static const BackendInfo kInfo{
        "naive",
        "Naive CUDA (materialized fp32 scores)",
        "math",
        Target::Cuda,
        "Three kernels of our own, one step each. (1) S = scale · Q·Kᵀ for every (batch, query head) with a "
        "tiled fp32 SIMT GEMM (64×64 tiles, inputs widened to fp32 in shared memory), written as a full "
        "Nq×Nk fp32 matrix; with a causal mask, tiles that lie entirely above the diagonal are skipped. "
        "(2) A row softmax in place: one warp per row finds the maximum and the sum of exponentials in a "
        "single online pass, then writes P = exp(S − max)/sum, and 0 for masked keys. (3) O = P·V with the "
        "same GEMM, stopping at the last visible key, rounded to the problem's dtype. GQA reads the shared "
        "K/V head of each query head directly (no copies). No tensor cores, no fusion: every score travels "
        "to device memory and back.",
        "O(B·H·Nq·Nk): the fp32 score matrix, B·Hq·Nq·Nk·4 bytes of workspace, plus the output.",
        "Teaching and checking: it is short enough to read in one sitting, works for every dtype, head dim "
        "up to 512 and any GQA ratio, and makes the cost of materializing N² scores visible next to the "
        "tiled backends."};
    return kInfo;
  }

  std::vector<RuleResult> check(const Problem& p, const DeviceInfo& d) const override {
    RuleSet rules(p, d);
    rules.cuda_backend(build::turing_capable_compute_capabilities())
        .dtype_in({DType::F32, DType::F16, DType::BF16})
        .head_dim_at_most(kMaxHeadDim);
    return rules.take();
  }

  MemoryPrediction predict_memory(const Problem& p, const DeviceInfo&) const override { return {p.output_bytes(), score_bytes(p)}; }

#if ATTNSCOPE_HAVE_CUDA
  void run(const Problem& p, const Tensors& t, ExecContext& ctx) const override {
    Workspace scores(ctx, score_bytes(p));
    naive::launch(p, t, scores.as<float>(), ctx.stream());
  }
#endif
};

}  // namespace

std::unique_ptr<Backend> make_naive_backend() { return std::make_unique<NaiveBackend>(); }

}  // namespace attnscope
