// cudnn: NVIDIA cuDNN's fused attention (SDPA forward) through cudnn-frontend. The rules are cuDNN's
// own: the frontend's validate() judges the problem (its sentences become our input reasons), and on a
// real GPU the heuristics must yield a plan that builds (their failure is an environment reason). The
// graph code is in graph/sdpa_graph.cpp, built only when cuDNN's and the frontend's headers were found.
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "attnscope/backend.hpp"
#include "attnscope/build_info.hpp"
#include "attnscope/rules.hpp"
#include "cudnn/cudnn_sdpa.hpp"

namespace attnscope {
namespace {

#ifndef ATTNSCOPE_HAVE_CUDNN
#define ATTNSCOPE_HAVE_CUDNN 0
#endif

const char* const kInstallHint =
    "install cuDNN 9 (NVIDIA's package cudnn9-cuda-13, or `pip install nvidia-cudnn-cu13` and its lib folder on "
    "LD_LIBRARY_PATH)";

RuleResult environment_rule(std::string rule, std::string observed, std::string required, bool met,
                            std::string reason, std::string hint) {
  RuleResult r;
  r.rule = std::move(rule);
  r.kind = RuleKind::Environment;
  r.field = "device";
  r.observed = std::move(observed);
  r.required = std::move(required);
  r.met = met;
  r.reason = std::move(reason);
  r.hint = std::move(hint);
  return r;
}

// "cuda:1" → 1; profiles and the CPU have none.
int cuda_ordinal(const DeviceInfo& d) {
  if (d.kind != DeviceKind::Cuda || d.id.rfind("cuda:", 0) != 0) return -1;
  return std::stoi(d.id.substr(5));
}

#if ATTNSCOPE_HAVE_CUDNN
std::string cudnn_name() { return "cuDNN " + cudnn_sdpa::library().version_text; }

// What would pass, read from cuDNN's sentence (its wording is the reason; this is only the hint).
std::string hint_for(const std::string& message) {
  auto has = [&](const char* s) { return message.find(s) != std::string::npos; };
  if (has("requires SM") || has("architecture")) return "use an Ampere or newer GPU (sm80+), or mem-efficient";
  if (has("hidden_dim") || has("head dim") || has("d_qk") || has("d_v"))
    return "use a head dim cuDNN supports here (a multiple of 8, at most 256 on Hopper), or flash2/mem-efficient";
  if (has("data type") || has("FP16/BF16") || has("FLOAT") || has("dtype"))
    return "choose float16 or bfloat16, or mem-efficient for float32";
  if (has("s_q > max_s_kv") || has("max_s_q > max_s_kv") || has("Bottom right"))
    return "use q_len ≤ kv_len for a bottom-right causal mask, or turn causal off";
  return "change the problem as cuDNN's message says, or pick another backend";
}

RuleResult cudnn_rule(const Problem& p, const cudnn_sdpa::Verdict& v, const std::string& sm) {
  RuleResult r;
  r.rule = "cudnn_support";
  // cuDNN's sentence judges the graph; one about the GPU's architecture is about the device instead.
  const bool about_device = v.message.find("requires SM") != std::string::npos;
  r.kind = about_device ? RuleKind::Environment : RuleKind::Input;
  r.field = about_device ? "device" : "problem";
  r.observed = p.describe();
  r.required = "a graph " + cudnn_name() + " supports on " + sm;
  r.met = v.ok;
  r.reason = cudnn_name() + " (cudnn-frontend " + cudnn_sdpa::frontend_version() + ") refuses this graph on " + sm +
             ": " + v.message + (v.code.empty() ? "" : " [" + v.code + "]");
  r.hint = hint_for(v.message);
  return r;
}
#endif

class CudnnBackend final : public CudaBackend {
 public:
  // plan: empty = cuDNN's heuristic choice; otherwise one named execution plan, as its own series.
  explicit CudnnBackend(std::string plan = {}) : plan_(std::move(plan)) {
    info_ = BackendInfo{
        plan_.empty() ? "cudnn" : "cudnn[" + plan_ + "]",
        plan_.empty() ? "cuDNN fused attention (cudnn-frontend)" : "cuDNN plan " + plan_,
        "vendor",
        Target::Cuda,
        "NVIDIA cuDNN's fused scaled-dot-product attention, called through cudnn-frontend's graph API "
        "(the path PyTorch's cuDNN SDPA backend takes). AttnScope describes the problem as a graph — Q, K "
        "and V in our [batch, heads, length, head_dim] layout, the softmax scale, a bottom-right causal "
        "mask, an fp32 log-sum-exp output — and cuDNN decides the rest: its rules accept or refuse the graph "
        "(their words are shown as the reason), its heuristics rank the engines that implement it, and the "
        "first one that builds is compiled once per problem (outside the timed region) and run. On Hopper "
        "these are FlashAttention-3-like kernels with TMA loads and wgmma tensor-core multiplies; on Ampere, "
        "FlashAttention-2-like ones. Other engines that support the graph can be measured one by one "
        "(cudnn[plan]), which shows how much the heuristic choice matters.",
        "O(B·H·Nq·d) for the output plus O(B·H·Nq) for the fp32 log-sum-exp, and whatever workspace the "
        "chosen engine asks for (usually none); the score matrix never exists.",
        "float16/bfloat16 prefill on Hopper and newer, where it is among the fastest attention kernels; "
        "whenever cuDNN is installed and the shape is one it supports (head dims multiple of 8 up to 256, "
        "GQA/MQA, causal)."};
  }

  const BackendInfo& info() const override { return info_; }

  std::vector<RuleResult> check(const Problem& p, const DeviceInfo& d) const override {
    RuleSet rules(p, d);
    // No kernel-image rule: the kernels are cuDNN's, not this build's.
    rules.target(Target::Cuda)
        .built_with_cuda(build::with_cuda())
        .runtime_library("cuda-driver")
        .dtype_in({DType::F16, DType::BF16},
                  Why{"cuDNN's fused attention has float16/bfloat16 engines — and fp8 on Hopper, not offered here; "
                      "its validate() and plan building let float32 through on sm90, and running that plan faulted",
                      "", "mem-efficient for float32"});
    auto out = rules.take();
    const bool dtype_ok = p.dtype == DType::F16 || p.dtype == DType::BF16;
    if (!build::with_cuda() || !d.is_gpu() || !dtype_ok) return out;
#if !ATTNSCOPE_HAVE_CUDNN
#ifndef ATTNSCOPE_WHY_NO_CUDNN
#define ATTNSCOPE_WHY_NO_CUDNN "cuDNN support was not configured"
#endif
    out.push_back(environment_rule("cudnn_build", "built without cuDNN", "built with cuDNN 9 and cudnn-frontend",
                                   false, std::string("this build of AttnScope has no cuDNN backend: ") + ATTNSCOPE_WHY_NO_CUDNN,
                                   std::string(kInstallHint) + ", then reconfigure and rebuild"));
    return out;
#else
    const auto& lib = cudnn_sdpa::library();
    out.push_back(environment_rule("cudnn_library", lib.loaded ? "libcudnn " + lib.version_text : "libcudnn.so.9 not loadable",
                                   "libcudnn.so.9 (cuDNN 9)", lib.loaded,
                                   lib.loaded ? "cuDNN " + lib.version_text + " is loaded"
                                              : "cuDNN 9 could not be loaded: " + lib.why_not,
                                   kInstallHint));
    if (!lib.loaded) return out;
    const std::string sm = d.sm_name();
    const cudnn_sdpa::Verdict v = cudnn_sdpa::validate(p, d.compute_capability());
    out.push_back(cudnn_rule(p, v, sm));
    if (!v.ok || !d.is_real()) return out;
    // A real GPU: cuDNN's heuristics must offer a plan that builds for this graph here.
    std::string why;
    const cudnn_sdpa::Plans* plans = nullptr;
    try {
      plans = &cudnn_sdpa::plans(p, cuda_ordinal(d));
      if (!plans->verdict.ok) why = plans->verdict.message;
    } catch (const std::exception& e) {
      why = e.what();
    }
    out.push_back(environment_rule("cudnn_plan", why.empty() ? "a plan built" : "no plan built",
                                   "an execution plan for this graph", why.empty(),
                                   why.empty() ? cudnn_name() + " built a plan for this graph on " + sm
                                               : "no engine in " + cudnn_name() + " for " + sm + " and this graph: " + why,
                                   "try another head dim or dtype, a newer cuDNN, or another backend"));
    if (why.empty() && !plan_.empty()) {
      const bool offered = index_of(*plans) >= 0;
      out.push_back(environment_rule("cudnn_plan_offered", offered ? plan_ : "not offered", plan_, offered,
                                     "cuDNN's heuristics " + std::string(offered ? "offer" : "do not offer") + " plan " +
                                         plan_ + " for this graph on " + sm,
                                     "measure the plans cuDNN offers for this problem with `attnscope-cli run --each-plan`"));
    }
    return out;
#endif
  }

  MemoryPrediction predict_memory(const Problem& p, const DeviceInfo&) const override {
    uint64_t workspace = 0;
#if ATTNSCOPE_HAVE_CUDNN
    // Known once check() built the graph on a GPU (the registry asks check() first).
    if (const auto* plans = cudnn_sdpa::cached_plans(p); plans && plans->verdict.ok) {
      const int64_t i = index_of(*plans);
      if (i >= 0) workspace = uint64_t(plans->workspace[std::size_t(i)]);
    }
#endif
    return {p.output_bytes() + p.lse_bytes(), workspace};
  }

  bool writes_lse() const override { return true; }

#if ATTNSCOPE_HAVE_CUDA
  void run(const Problem& p, const Tensors& t, ExecContext& ctx) const override {
#if ATTNSCOPE_HAVE_CUDNN
    // cuDNN 9.19 builds a plan for a float32 graph on sm90, and executing it faulted the context
    // (H100, 2026-12-06: every later test in the process failed on the sticky error). The dtype rule
    // refuses float32; a caller that runs anyway gets an error here, before anything is launched.
    if (p.dtype != DType::F16 && p.dtype != DType::BF16)
      throw std::runtime_error("cudnn runs float16 and bfloat16 only; " + p.describe() + " is not launched");
    const cudnn_sdpa::Plans& plans = cudnn_sdpa::plans(p, -1, t.lse != nullptr);
    if (!plans.verdict.ok) throw std::runtime_error("cuDNN built no plan: " + plans.verdict.message);
    const int64_t i = index_of(plans);
    if (i < 0) throw std::runtime_error("cuDNN offers no plan " + plan_ + " for " + p.describe());
    Workspace ws(ctx, std::size_t(plans.workspace[std::size_t(i)]));  // counted by the executor
    cudnn_sdpa::execute(p, i, t, ws.get(), ctx.stream());
#else
    (void)p, (void)t, (void)ctx;
    throw std::runtime_error("this build of AttnScope has no cuDNN backend");
#endif
  }
#endif

  std::map<std::string, std::string> library_versions() const override {
#if ATTNSCOPE_HAVE_CUDNN
    std::map<std::string, std::string> v{{"cudnn-frontend", cudnn_sdpa::frontend_version()}};
    const auto& lib = cudnn_sdpa::library();
    v["cuDNN"] = lib.loaded ? lib.version_text : "not loaded";
    return v;
#else
    return {};
#endif
  }

  std::vector<std::string> variants(const Problem& p, const DeviceInfo& d) const override {
#if ATTNSCOPE_HAVE_CUDNN
    if (!plan_.empty() || !d.is_real() || !d.is_gpu() || !cudnn_sdpa::library().loaded) return {};
    try {
      if (!cudnn_sdpa::validate(p, d.compute_capability()).ok) return {};
      const auto& plans = cudnn_sdpa::plans(p, cuda_ordinal(d));
      if (plans.verdict.ok) return plans.names;
    } catch (const std::exception&) {
    }
#else
    (void)p, (void)d;
#endif
    return {};
  }

  std::unique_ptr<Backend> with_variant(const std::string& name) const override {
    return std::make_unique<CudnnBackend>(name);
  }

  std::string variant_used(const Problem& p) const override {
#if ATTNSCOPE_HAVE_CUDNN
    if (const auto* plans = cudnn_sdpa::cached_plans(p); plans && plans->verdict.ok) {
      const int64_t i = index_of(*plans);
      if (i >= 0) return plans->names[std::size_t(i)];
    }
#else
    (void)p;
#endif
    return {};
  }

 private:
  int64_t index_of(const cudnn_sdpa::Plans& plans) const {
    if (plan_.empty()) return plans.chosen;
    for (std::size_t i = 0; i < plans.names.size(); ++i)
      if (plans.names[i] == plan_) return int64_t(i);
    return -1;
  }

  std::string plan_;
  BackendInfo info_;
};

}  // namespace

std::unique_ptr<Backend> make_cudnn_backend() { return std::make_unique<CudnnBackend>(); }

}  // namespace attnscope
