#pragma once
// Builders for the rules backends share, so every reason reads the same way:
//   "<field> is <observed>; <backend> <requires/supports> <required>" + hint "<what would pass>".
// A backend says why it has a rule, and where to go instead, through the optional Why of each
// builder — never by editing a finished RuleResult.
#include <initializer_list>
#include <string>
#include <vector>

#include "attnscope/backend.hpp"

namespace attnscope {

// A backend's own words on a standard rule. Empty fields keep the standard text.
struct Why {  // default member initializers: `{.reason = …}` may leave the others out without a warning
  std::string reason{};       // why this backend has the rule; appended to the reason in parentheses
  std::string hint{};         // the fix for this backend; replaces the standard hint
  std::string alternative{};  // where else to go; appended to the hint after "; "
};

class RuleSet {
 public:
  RuleSet(const Problem& p, const DeviceInfo& d) : p_(p), d_(d) {}

  // Environment rules.
  RuleSet& target(Target t);                       // device kind must match (CUDA backend on the CPU ⇒ unmet)
  RuleSet& built_with_cuda(bool built);           // this build of AttnScope has CUDA (build::with_cuda())
  // A run-time library this backend needs ("cuda-driver", "cublas") was found on this machine; judged on
  // real devices only (profiles carry no runtime_libraries), so a what-if verdict stays about the hardware.
  RuleSet& runtime_library(std::string_view id, Why why = {});
  // The environment rules every CUDA backend starts with: target(Cuda), built_with_cuda,
  // runtime_library("cuda-driver") and kernel_image_for(images), with min_compute_capability(min_cc, fallback) before the image rule
  // when min_cc > 0 (so the image rule's hint knows whether a rebuild can help).
  RuleSet& cuda_backend(const std::vector<int>& images, int min_cc = 0, std::string fallback = {}, Why why = {});
  // "device is sm75 (T4); needs sm80 or newer" — hint: use <fallback>.
  RuleSet& min_compute_capability(int cc, std::string fallback, Why why = {});
  // A kernel image exists for this GPU. Its hint names the rebuild that adds one — unless an earlier
  // min_compute_capability already rules the GPU out, when no rebuild can help and the hint says so.
  RuleSet& kernel_image_for(const std::vector<int>& built_ccs);
  // Input rules.
  RuleSet& dtype_in(std::initializer_list<DType> allowed, Why why = {});
  RuleSet& head_dim_at_most(int64_t max, Why why = {});
  RuleSet& head_dim_in(const std::vector<int64_t>& allowed, Why why = {});  // hint names the nearest allowed value
  RuleSet& head_dim_multiple_of(int64_t m, Why why = {});                  // reason: "for 16-byte vector loads"
  RuleSet& q_len_at_most(int64_t max, Why why = {});
  // Device rule, judged on GPUs that pass min_compute_capability: `need` bytes of shared memory per
  // block (for `what`: "head_dim 128", "float32 with head_dim 64") against the device's
  // shared_memory_per_block.
  RuleSet& shared_memory_fits(uint64_t need, const std::string& what, Why why = {});
  RuleSet& custom(RuleResult r);

  std::vector<RuleResult> take() { return std::move(results_); }

 private:
  RuleResult& add(std::string rule, RuleKind kind, std::string field, std::string observed,
                  std::string required, bool met, std::string reason, std::string hint, const Why& why = {});
  const Problem& p_;
  const DeviceInfo& d_;
  std::vector<RuleResult> results_;
  int min_cc_ = 0;  // from min_compute_capability, 0 when not given
};

// The rule a run-time library stands for: "CUPTI not found (…): timing falls back to CUDA events" with its
// fix. RuleSet::runtime_library adds it to a backend; `devices` lists one per library the same way.
RuleResult runtime_library_rule(const RuntimeLibrary& lib);

// "float16, bfloat16" / "float16 or bfloat16"
std::string join_dtypes(const std::vector<DType>& ts, std::string_view last_sep = " or ");
// Nearest allowed value (ties go up).
int64_t nearest_allowed(int64_t value, const std::vector<int64_t>& allowed);
// "1.5 GiB", "512 MiB", "12 KiB", "100 B"
std::string format_bytes(uint64_t bytes);
// Whole KiB, rounded up: "99 KiB" (shared-memory sizes, which the programming guide gives in KiB).
std::string format_kib(uint64_t bytes);

}  // namespace attnscope
