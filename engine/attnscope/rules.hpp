#pragma once
// Builders for the rules backends share, so every reason reads the same way:
//   "<field> is <observed>; <backend> <requires/supports> <required>" + hint "<what would pass>".
#include <initializer_list>
#include <string>
#include <vector>

#include "attnscope/backend.hpp"

namespace attnscope {

class RuleSet {
 public:
  RuleSet(const Problem& p, const DeviceInfo& d) : p_(p), d_(d) {}

  // Environment rules.
  RuleSet& target(Target t);                       // device kind must match (CUDA backend on the CPU ⇒ unmet)
  RuleSet& min_compute_capability(int cc, std::string fallback);  // "device is sm75 (T4); needs sm80 or newer — use <fallback>"
  RuleSet& built_with_cuda(bool built);           // this build of AttnScope has CUDA (pass platform::built_with_cuda())
  // A kernel image exists for this GPU. Its hint names the rebuild that adds one — unless an earlier
  // min_compute_capability already rules the GPU out, when no rebuild can help and the hint says so.
  RuleSet& kernel_image_for(const std::vector<int>& built_ccs);
  // Input rules.
  RuleSet& dtype_in(std::initializer_list<DType> allowed);
  RuleSet& head_dim_at_most(int64_t max);
  RuleSet& head_dim_in(std::initializer_list<int64_t> allowed);      // hint names the nearest allowed value
  RuleSet& head_dim_multiple_of(int64_t m, std::string why);         // why: "for 16-byte vector loads"
  RuleSet& q_len_at_most(int64_t max, std::string why);
  RuleSet& custom(RuleResult r);

  std::vector<RuleResult> take() { return std::move(results_); }

 private:
  RuleResult& add(std::string rule, RuleKind kind, std::string field, std::string observed,
                  std::string required, bool met, std::string reason, std::string hint);
  const Problem& p_;
  const DeviceInfo& d_;
  std::vector<RuleResult> results_;
  int min_cc_ = 0;  // from min_compute_capability, 0 when not given
};

// "float16, bfloat16" / "float16 or bfloat16"
std::string join_dtypes(const std::vector<DType>& ts, std::string_view last_sep = " or ");
// Nearest allowed value (ties go up).
int64_t nearest_allowed(int64_t value, const std::vector<int64_t>& allowed);
// "1.5 GiB", "512 MiB", "12 KiB", "100 B"
std::string format_bytes(uint64_t bytes);

}  // namespace attnscope
