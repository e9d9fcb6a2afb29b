// cublas-math: what PyTorch's SDPA "math" path does, with cuBLAS doing the two GEMMs and our kernel
// doing the softmax between them.
#include <climits>
#include <memory>
#include <stdexcept>

#include "attnscope/backend.hpp"
#include "attnscope/build_info.hpp"
#include "attnscope/rules.hpp"
#if ATTNSCOPE_HAVE_CUDA
#include "cublas_math/cublas_math.hpp"
#endif

namespace attnscope {
namespace {

// cuBLAS's recommended workspace on Hopper; given explicitly so every byte it uses is counted.
constexpr uint64_t kCublasWorkspace = 32ull << 20;

uint64_t score_bytes(const Problem& p) {
  return uint64_t(p.batch) * uint64_t(p.q_heads) * uint64_t(p.q_len) * uint64_t(p.kv_len) * sizeof(float);
}

class CublasMathBackend final : public CudaBackend {
 public:
  const BackendInfo& info() const override {
    static const BackendInfo kInfo{
        "cublas-math",
        "cuBLAS math (PyTorch's math path)",
        "math",
        Target::Cuda,
        "The unfused path PyTorch takes when no fused kernel applies, with cuBLAS for the matrix products. "
        "(1) S = scale · Q·Kᵀ as one strided-batched cuBLAS GEMM with fp32 output and fp32 accumulation; "
        "for float16/bfloat16 inputs cuBLAS uses tensor cores, for float32 it computes true fp32 (TF32 is "
        "off: CUBLAS_COMPUTE_32F with the default math mode). (2) Our softmax kernel reads each fp32 row, "
        "applies the bottom-right causal mask and writes P in the problem's dtype over the same row. "
        "(3) O = P·V as a second strided-batched GEMM. GQA is handled by batching per KV group: the query "
        "heads that share a K/V head are adjacent in memory, so each group is a single GEMM of "
        "(group·Nq)×Nk against its K/V head, and K and V are never expanded or copied. The causal mask is "
        "applied in the softmax; both GEMMs still compute the full square, as PyTorch's math path does.",
        "O(B·H·Nq·Nk): the fp32 score matrix, B·Hq·Nq·Nk·4 bytes (P reuses it), plus a 32 MiB cuBLAS "
        "workspace and the output.",
        "A fair baseline on any NVIDIA GPU: vendor GEMMs near the chip's peak, and the reference point for "
        "what fusion buys. Short sequences and odd head dims, where the N² scores are still small."};
    return kInfo;
  }

  std::vector<RuleResult> check(const Problem& p, const DeviceInfo& d) const override {
    RuleSet rules(p, d);
    rules.cuda_backend(build::turing_capable_compute_capabilities())
        .runtime_library("cublas", Why{"its two GEMMs are cuBLAS's", "", "mem-efficient or flash2 need no cuBLAS"})
        .dtype_in({DType::F32, DType::F16, DType::BF16});
    // cuBLAS's 32-bit GEMM sizes: a group's query rows and P's row pitch (2·Nk for 16-bit P) are ints.
    const int64_t rows = p.group_size() * p.q_len;
    const bool fits = rows <= INT_MAX && 2 * p.kv_len <= INT_MAX;
    rules.custom(RuleResult{
        "cublas_int_range", RuleKind::Input, "q_len",
        "group·q_len = " + std::to_string(rows) + ", kv_len = " + std::to_string(p.kv_len),
        "group·q_len ≤ " + std::to_string(INT_MAX) + " and kv_len ≤ " + std::to_string(INT_MAX / 2), fits,
        std::string("the GEMM sizes ") + (fits ? "fit" : "exceed") + " cuBLAS's 32-bit dimensions",
        fits ? "" : "use shorter sequences"});
    return rules.take();
  }

  MemoryPrediction predict_memory(const Problem& p, const DeviceInfo&) const override {
    return {p.output_bytes(), score_bytes(p) + kCublasWorkspace};
  }

#if ATTNSCOPE_HAVE_CUDA
  void run(const Problem& p, const Tensors& t, ExecContext& ctx) const override {
    Workspace scores(ctx, score_bytes(p));
    Workspace cublas_ws(ctx, kCublasWorkspace);
    cublas_math::launch(p, t, scores.as<float>(), cublas_ws.get(), kCublasWorkspace, ctx.stream());
  }
#endif
};

}  // namespace

std::unique_ptr<Backend> make_cublas_math_backend() { return std::make_unique<CublasMathBackend>(); }

}  // namespace attnscope
