#pragma once
// Helpers for GPU backend tests: skip with a reason when no GPU is usable, run a backend on seeded
// inputs with poisoned outputs, and compare against the fp64 reference.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "attnscope/backend.hpp"
#include "attnscope/problem.hpp"
#include "attnscope/reference.hpp"

namespace attnscope::gputest {

// Empty when GPU 0 can run this build's kernels; otherwise why not (no driver, no device, no kernel
// image for this GPU, ...). Evaluated once per process.
const std::string& gpu_unavailable_reason();

struct CheckResult {
  ErrorStats err;                     // O against the fp64 reference on the checked heads
  double lowp_baseline_rel_l2 = 0;    // filled by callers who want it (plain_lowp_error)
  int64_t unwritten = 0;              // poisoned elements left in O (whole tensor) and LSE
  bool lse_ok = true;                 // LSE within 1e-3 (+1e-4·|ref|) of the reference, -inf where no key
  std::string error;                  // exception text from the run, if any
};

// Run backend b on GPU 0 with seeded inputs (seed), outputs (and LSE if b.writes_lse()) poisoned with
// NaN first; compare O (and LSE) against the fp64 reference on reference_heads(p, max_heads) (all
// heads if max_heads <= 0). unwritten = poisoned elements left.
CheckResult run_against_reference(const Backend& b, const Problem& p, int64_t max_heads = 8, uint64_t seed = 7);

// rel-L2 error of a plain low-precision computation on the same inputs (S in fp32 from dtype inputs,
// softmax fp32, P rounded to p.dtype, PV accumulated fp32, O rounded to p.dtype), on the same heads:
// the tolerance anchor ("≤ 2× a plain fp16 computation").
double plain_lowp_error(const Problem& p, int64_t max_heads = 8, uint64_t seed = 7);

// The accuracy rule every GPU backend test applies: no launch error, every poisoned output (and LSE)
// overwritten, within the dtype's tolerance, and — for float16/bfloat16 — at most twice as wrong as a
// plain low-precision computation on the same inputs (FlashAttention's test rule); for float32 within
// fp32_bound (`fp32_why` says why that bound). Fails the calling test through gtest assertions.
inline void expect_matches_reference(const Backend& b, const Problem& p, int64_t max_heads, uint64_t seed,
                                     double fp32_bound = 1e-5, const char* fp32_why = "fp32 should be near 1e-6") {
  SCOPED_TRACE(p.describe());
  const CheckResult r = run_against_reference(b, p, max_heads, seed);
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.unwritten, 0) << "poisoned outputs left unwritten";
  EXPECT_EQ(r.err.non_finite, 0);
  EXPECT_TRUE(r.lse_ok) << "log-sum-exp differs from the reference";
  EXPECT_LE(r.err.rel_l2, accuracy_tolerance(p.dtype));
  if (p.dtype != DType::F32) {
    const double plain = plain_lowp_error(p, max_heads, seed);
    EXPECT_LE(r.err.rel_l2, 2.0 * plain + 1e-5) << "plain " << to_string(p.dtype) << " error " << plain;
  } else {
    EXPECT_LE(r.err.rel_l2, fp32_bound) << fp32_why;
  }
}

}  // namespace attnscope::gputest

#define ATTNSCOPE_REQUIRE_GPU()                                                     \
  do {                                                                              \
    const std::string& attnscope_gpu_reason_ = ::attnscope::gputest::gpu_unavailable_reason(); \
    if (!attnscope_gpu_reason_.empty()) GTEST_SKIP() << attnscope_gpu_reason_;      \
  } while (0)
