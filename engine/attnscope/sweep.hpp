#pragma once
// Sweep specs: lists and ranges of values, expanded into problems.
//   "4096"            one value
//   "64,128"          a list
//   "512:16384:x2"    geometric range (start:stop:xFACTOR), stop included when reached
//   "128:1024:+128"   arithmetic range (start:stop:+STEP)
// Items may be mixed: "1,512:4096:x2".
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "attnscope/problem.hpp"

namespace attnscope {

// Throws InvalidInput naming `field` when the text is malformed, a value is outside [min_value, the
// field's ProblemLimits maximum] ("seq"/"q_len"/"kv_len", "head_dim", "batch", "heads"), or the
// expansion would exceed max_count values.
std::vector<int64_t> parse_int_sweep(std::string_view text, std::string_view field,
                                     int64_t min_value = 1, std::size_t max_count = 4096);
std::vector<DType> parse_dtype_list(std::string_view text);  // "float16,bfloat16"; throws InvalidInput

struct SweepSpec {
  Problem base;                      // batch, heads, causal, scale, ...
  std::vector<int64_t> q_lens;       // empty ⇒ base.q_len
  std::vector<int64_t> kv_lens;      // empty ⇒ same as q_len of the point (self-attention)
  std::vector<int64_t> head_dims;    // empty ⇒ base.head_dim
  std::vector<DType> dtypes;         // empty ⇒ base.dtype
  // The standard benchmark grid keeps work per point constant:
  std::optional<int64_t> total_tokens;  // batch = total_tokens / q_len (at least 1)
  std::optional<int64_t> hidden;        // q_heads = hidden / head_dim; kv_heads scaled by the same GQA ratio
};

// The most points one sweep may expand to (each takes at least milliseconds to measure; a plan this
// long runs for hours). expand() refuses more with an InvalidInput for the field "sweep".
inline constexpr uint64_t kMaxSweepPoints = 100'000;
inline constexpr uint64_t kMaxPlanItems = 100'000;  // points × backends of one run
// Points the spec expands to (dtypes × head dims × q lengths × kv lengths), saturating, without
// expanding anything.
uint64_t count_points(const SweepSpec& s);

// Cartesian product in the order dtype → head_dim → q_len → kv_len (length varies fastest, so a
// plot per dtype/head dim is contiguous). Every problem is validated; throws InvalidInput.
std::vector<Problem> expand(const SweepSpec& s);

// The distinct single problems whose eligibility describes a sweep: every dtype × head dim (× batch and
// heads), at the smallest and the largest lengths — memory fit changes with length; the dtype and
// head-dim rules do not. In the order of their first point.
std::vector<Problem> eligibility_probes(const std::vector<Problem>& points);

}  // namespace attnscope
