// cpu-reference: exact attention in double precision, one (batch, head) at a time on every core.
// It is the yardstick every other backend's output is checked against, so it favours plainness over
// speed: it calls the same reference_attention_head the executors use for their checks.
#include <memory>

#include "attnscope/backend.hpp"
#include "attnscope/reference.hpp"
#include "attnscope/rules.hpp"
#include "cpu_common/cpu_parallel.hpp"

namespace attnscope {
namespace {

class CpuReferenceBackend final : public Backend {
 public:
  const BackendInfo& info() const override {
    static const BackendInfo kInfo{
        "cpu-reference",
        "CPU reference (fp64)",
        "reference",
        Target::Cpu,
        "For every (batch, query head) pair and every query row: compute the scores s_j = scale · q·k_j in "
        "double precision over the keys the row may see (bottom-right causal mask), subtract the row "
        "maximum, exponentiate, accumulate the sum and the weighted values in double, and divide once at "
        "the end. Inputs are read in their stored dtype and widened exactly; the output is rounded once "
        "to the problem's dtype, and the log-sum-exp of every row is written too. Heads run in parallel "
        "on all hardware threads; nothing else is clever.",
        "O(B·H·N·d) for the output; per thread one head of output and LSE in double (O(N·d)); 16-bit "
        "inputs are first widened to fp32 copies (O(B·H·N·d)). The score matrix is never stored.",
        "Checking correctness: every other backend's output is compared with this one. Small problems on "
        "a machine without a GPU. Not for timing comparisons — it is deliberately simple, not fast.",
        /*is_reference=*/true};
    return kInfo;
  }

  std::vector<RuleResult> check(const Problem& p, const DeviceInfo& d) const override {
    return RuleSet(p, d).target(Target::Cpu).take();  // any dtype, head dim and length
  }

  MemoryPrediction predict_memory(const Problem& p, const DeviceInfo&) const override {
    MemoryPrediction m;
    m.output_bytes = p.output_bytes() + p.lse_bytes();
    m.workspace_bytes = cpu::Fp32Inputs::workspace_bytes(p) + uint64_t(cpu::max_threads(p)) * per_thread_bytes(p);
    return m;
  }

  bool writes_lse() const override { return true; }

  void run(const Problem& p, const Tensors& t, ExecContext& ctx) const override {
    // reference_attention_head reads whole float tensors: 16-bit inputs are widened once per run.
    const cpu::Fp32Inputs in(p, t, ctx);
    const float *q = in.q(), *k = in.k(), *v = in.v();

    const int workers = cpu::threads_for(p, ctx.threads());
    Workspace scratch(ctx, std::size_t(workers) * per_thread_bytes(p));
    const std::size_t head_elems = std::size_t(p.q_len * p.head_dim);
    cpu::parallel_for(p.batch * p.q_heads, workers, [&](int worker, int64_t bh) {
      double* o_head = scratch.as<double>() + std::size_t(worker) * (head_elems + std::size_t(p.q_len));
      double* lse_head = o_head + head_elems;
      const HeadIndex at{bh / p.q_heads, bh % p.q_heads};
      reference_attention_head(p, q, k, v, at, o_head, lse_head);
      const std::size_t o_base = std::size_t(bh) * head_elems;
      for (std::size_t i = 0; i < head_elems; ++i) store_from_float(p.dtype, t.o, o_base + i, float(o_head[i]));
      if (t.lse)
        for (int64_t r = 0; r < p.q_len; ++r) t.lse[std::size_t(bh * p.q_len + r)] = float(lse_head[r]);
    });
  }

 private:
  static uint64_t per_thread_bytes(const Problem& p) {
    return uint64_t(p.q_len) * uint64_t(p.head_dim + 1) * sizeof(double);  // one head of O and LSE
  }
};

}  // namespace

std::unique_ptr<Backend> make_cpu_reference_backend() { return std::make_unique<CpuReferenceBackend>(); }

}  // namespace attnscope
