// cpu-math: attention the way a framework's "math" path does it, on the CPU: two single-precision
// GEMMs through BLAS with an explicit softmax between them, one (batch, head) per thread.
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "attnscope/backend.hpp"
#include "attnscope/rules.hpp"
#include "cpu_common/cpu_parallel.hpp"

// The Fortran BLAS entry point, declared here so the build does not depend on where (or whether) a
// cblas.h is installed. Column-major; every argument by pointer; 32-bit integers (LP64 BLAS).
extern "C" void sgemm_(const char* transa, const char* transb, const int* m, const int* n, const int* k,
                       const float* alpha, const float* a, const int* lda, const float* b, const int* ldb,
                       const float* beta, float* c, const int* ldc);
// OpenBLAS only: its own thread pool. Weak, so another BLAS still links (the pointer is then null).
extern "C" void openblas_set_num_threads(int) __attribute__((weak));

namespace attnscope {
namespace {

class CpuMathBackend final : public Backend {
 public:
  const BackendInfo& info() const override {
    static const BackendInfo kInfo{
        "cpu-math",
        "CPU math (BLAS sgemm)",
        "math",
        Target::Cpu,
        "The textbook three steps per (batch, query head): S = scale · Q·Kᵀ as one BLAS sgemm into an fp32 "
        "score matrix of Nq×Nk, then a row softmax in fp32 (bottom-right causal mask applied, row maximum "
        "subtracted before exponentiating), then O = P·V as a second sgemm. Inputs are widened to fp32 "
        "first and the output is rounded to the problem's dtype at the end. Heads run in parallel, one per "
        "thread, each with its own score matrix; when there are fewer heads than threads the spare threads "
        "go to BLAS instead.",
        "O(B·H·N·d) for inputs and output plus O(T·Nq·Nk) fp32 scores (T = worker threads): the full score "
        "matrix of every head in flight is materialized, which is what limits the sequence length.",
        "Short and medium sequences on a CPU, where the N² score matrix fits in cache or memory and BLAS "
        "runs near the machine's peak. It is the baseline the tiled GPU kernels are meant to beat: its "
        "memory grows with N², theirs with N."};
    return kInfo;
  }

  std::vector<RuleResult> check(const Problem& p, const DeviceInfo& d) const override {
    RuleSet rules(p, d);
    rules.target(Target::Cpu);
    // BLAS takes 32-bit sizes: a score matrix or length beyond that cannot be described to sgemm.
    constexpr int64_t kMaxBlas = std::numeric_limits<int>::max();
    const bool fits = p.q_len * p.kv_len <= kMaxBlas;
    rules.custom(RuleResult{
        "blas_int_range", RuleKind::Input, "kv_len", std::to_string(p.q_len) + "×" + std::to_string(p.kv_len),
        "q_len·kv_len ≤ " + std::to_string(kMaxBlas), fits,
        "the score matrix is " + std::to_string(p.q_len) + "×" + std::to_string(p.kv_len) +
            (fits ? "; within" : "; exceeds") + " the 32-bit element count BLAS sgemm can address",
        fits ? "" : "use shorter sequences, or cpu-reference, which never stores the score matrix"});
    return rules.take();
  }

  MemoryPrediction predict_memory(const Problem& p, const DeviceInfo&) const override {
    return {p.output_bytes(), cpu::Fp32Inputs::workspace_bytes(p) + uint64_t(cpu::max_threads(p)) * per_thread_bytes(p)};
  }

  void run(const Problem& p, const Tensors& t, ExecContext& ctx) const override {
    const cpu::Fp32Inputs in(p, t, ctx);
    const float *q = in.q(), *k = in.k(), *v = in.v();

    const int workers = cpu::threads_for(p, ctx.threads());
    // Heads are the outer parallelism; BLAS's own threads take what is left, so the two never
    // oversubscribe the cores (set before any worker starts: the call is not thread-safe).
    if (openblas_set_num_threads) openblas_set_num_threads(std::max(1, ctx.threads() / workers));

    Workspace scratch(ctx, std::size_t(workers) * per_thread_bytes(p));
    const std::size_t scores_elems = std::size_t(p.q_len * p.kv_len);
    const std::size_t head_elems = std::size_t(p.q_len * p.head_dim);
    const bool direct_out = p.dtype == DType::F32;  // write fp32 output in place, no staging buffer
    cpu::parallel_for(p.batch * p.q_heads, workers, [&](int worker, int64_t bh) {
      float* s = scratch.as<float>() + std::size_t(worker) * (per_thread_bytes(p) / sizeof(float));
      float* o_stage = s + scores_elems;
      const int64_t b = bh / p.q_heads, h = bh % p.q_heads;
      const int64_t kv_head = b * p.kv_heads + h / p.group_size();
      const float* qh = q + std::size_t(bh) * head_elems;
      const float* kh = k + std::size_t(kv_head * p.kv_len * p.head_dim);
      const float* vh = v + std::size_t(kv_head * p.kv_len * p.head_dim);
      float* oh = direct_out ? static_cast<float*>(t.o) + std::size_t(bh) * head_elems : o_stage;
      attend_one_head(p, qh, kh, vh, s, oh);
      if (!direct_out)
        for (std::size_t i = 0; i < head_elems; ++i)
          store_from_float(p.dtype, t.o, std::size_t(bh) * head_elems + i, o_stage[i]);
    });
  }

 private:
  // Row-major X[r×c] is column-major Xᵀ, so S = Q·Kᵀ (row-major Nq×Nk) is computed as the
  // column-major Sᵀ = K·Qᵀ (Nk×Nq), and O = P·V as Oᵀ = Vᵀ·Pᵀ (d×Nq).
  static void attend_one_head(const Problem& p, const float* q, const float* k, const float* v, float* s,
                              float* o) {
    const int nq = int(p.q_len), nk = int(p.kv_len), d = int(p.head_dim);
    const float alpha = float(p.softmax_scale()), one = 1.0f, zero = 0.0f;
    sgemm_("T", "N", &nk, &nq, &d, &alpha, k, &d, q, &d, &zero, s, &nk);
    softmax_rows(p, s);
    sgemm_("N", "N", &d, &nq, &nk, &one, v, &d, s, &nk, &zero, o, &d);
  }

  // In place over the Nq×Nk scores; masked keys (and every key of a row that sees none) become 0.
  static void softmax_rows(const Problem& p, float* s) {
    const int64_t offset = p.kv_len - p.q_len;  // bottom-right causal alignment
    for (int64_t i = 0; i < p.q_len; ++i) {
      float* row = s + i * p.kv_len;
      const int64_t visible = p.causal ? std::clamp<int64_t>(i + offset + 1, 0, p.kv_len) : p.kv_len;
      std::fill(row + visible, row + p.kv_len, 0.0f);
      if (visible == 0) continue;
      const float mx = *std::max_element(row, row + visible);
      float sum = 0;
      for (int64_t j = 0; j < visible; ++j) sum += (row[j] = std::exp(row[j] - mx));
      const float inv = 1.0f / sum;
      for (int64_t j = 0; j < visible; ++j) row[j] *= inv;
    }
  }

  // Scores, plus an fp32 staging head of O when the output dtype is 16-bit.
  static uint64_t per_thread_bytes(const Problem& p) {
    const uint64_t stage = p.dtype == DType::F32 ? 0 : uint64_t(p.q_len * p.head_dim);
    return (uint64_t(p.q_len) * uint64_t(p.kv_len) + stage) * sizeof(float);
  }
};

}  // namespace

std::unique_ptr<Backend> make_cpu_math_backend() { return std::make_unique<CpuMathBackend>(); }

}  // namespace attnscope
