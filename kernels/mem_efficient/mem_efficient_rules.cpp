// Rules shared by mem-efficient and mem-efficient-fma (see mem_efficient_rules.hpp).
#include "mem_efficient/mem_efficient_rules.hpp"

#include <algorithm>

#include "attnscope/build_info.hpp"
#include "attnscope/rules.hpp"

namespace attnscope::mem_efficient {

std::vector<int> kernel_images() { return build::turing_capable_compute_capabilities(); }

int shared_bytes_for(DType t, int64_t head_dim, int cc, F32Math math) {
  const int bucket = head_dim_bucket(std::clamp<int64_t>(head_dim, 1, kMaxHeadDim));
  if (t != DType::F32) return tc_shared_bytes(bucket);
  return math == F32Math::Auto && f32_runs_3xtf32(cc, bucket) ? tf32x3_shared_bytes(bucket) : f32_shared_bytes(bucket);
}

namespace {
// The largest head-dim bucket whose tiles fit `have` bytes in dtype t (0 if none does).
int largest_bucket_fitting(DType t, uint64_t have, int cc, F32Math math) {
  for (int bucket : {256, 128, 64})
    if (uint64_t(shared_bytes_for(t, bucket, cc, math)) <= have) return bucket;
  return 0;
}
}  // namespace

RuleResult head_dim_max_rule(const Problem& p, const std::string& backend) {
  const std::string d = std::to_string(p.head_dim);
  const std::string max = std::to_string(kMaxHeadDim);
  RuleResult r;
  r.rule = "head_dim_max";
  r.field = "head_dim";
  r.observed = d;
  r.required = "≤ " + max;
  r.met = p.head_dim <= kMaxHeadDim;
  r.reason = "head_dim is " + d + "; " + backend + " needs head_dim ≤ " + max +
             " (each block keeps its 64 × head_dim output tile in registers; 256 is the largest compiled size)";
  r.hint = "nearest allowed: head_dim " + max + "; for larger head dims use naive (up to 512)";
  return r;
}

RuleResult head_dim_multiple_rule(const Problem& p, const std::string& backend) {
  const int64_t m = kHeadDimMultiple;
  const int64_t d = p.head_dim;
  const int64_t down = std::clamp<int64_t>(d / m * m, m, kMaxHeadDim);
  const int64_t up = std::clamp<int64_t>((d + m - 1) / m * m, m, kMaxHeadDim);
  RuleResult r;
  r.rule = "head_dim_multiple";
  r.field = "head_dim";
  r.observed = std::to_string(d);
  r.required = "a multiple of " + std::to_string(m);
  r.met = d % m == 0;
  r.reason = "head_dim is " + std::to_string(d) + "; " + backend + " needs a multiple of " + std::to_string(m) +
             " (Q, K, V rows are copied in 16-byte pieces: 8 float16/bfloat16 values, or 2 × 4 float32)";
  const int64_t nearest = (d - down < up - d) ? down : up;  // ties go up
  r.hint = "nearest allowed: head_dim " + std::to_string(nearest);
  if (up > d && up != nearest) r.hint += " (or " + std::to_string(up) + ")";
  if (up > d)
    r.hint += "; zero-padding Q, K and V to " + std::to_string(up) + " gives the same result if the scale stays 1/√" +
              std::to_string(d);
  return r;
}

// sm86/89/120-class parts (99 KiB) are short for float32 with head_dim > 128 (the FMA kernel's 147 KiB;
// up to 128 the 3×TF32 kernel's 99 KiB, or FMA's 83 KiB, fit); Turing (64 KiB, float32 always on FMA)
// for float32 above 64 (83/147 KiB) and for 16-bit at head_dim > 128 (96 KiB). The hint names the
// largest head dim that fits in each dtype.
RuleSet& shared_memory_rule(RuleSet& rules, const Problem& p, const DeviceInfo& dev, F32Math math) {
  const int cc = dev.compute_capability();
  const uint64_t have = dev.shared_memory_per_block;
  const int fits = largest_bucket_fitting(p.dtype, have, cc, math);
  const int fits_16bit = largest_bucket_fitting(DType::F16, have, cc, math);
  const std::string sixteen_bit = cc >= kMinComputeCapabilityBf16 ? "float16/bfloat16" : "float16";
  std::string hint;
  if (fits == 0)
    hint = "use a GPU with more shared memory per block";
  else if (p.dtype == DType::F32) {
    hint = "use head_dim ≤ " + std::to_string(fits) + " in float32 on " + dev.sm_name() + " (" +
           format_kib(shared_bytes_for(DType::F32, fits, cc, math)) + ")";
    if (math == F32Math::Auto)  // mem-efficient-fma takes float32 only
      hint += ", or " + sixteen_bit + " (" + format_kib(tc_shared_bytes(fits_16bit)) + " at head_dim " +
              std::to_string(fits_16bit) + ")";
  } else
    hint = "use head_dim ≤ " + std::to_string(fits) + " in " + std::string(to_string(p.dtype)) + " on " +
           dev.sm_name() + " (" + format_kib(tc_shared_bytes(fits)) + "), or a GPU with more shared memory per block";
  return rules.shared_memory_fits(uint64_t(shared_bytes_for(p.dtype, p.head_dim, cc, math)),
                                  std::string(to_string(p.dtype)) + " with head_dim " + std::to_string(p.head_dim),
                                  {.hint = hint});
}

}  // namespace attnscope::mem_efficient
