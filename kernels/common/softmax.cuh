#pragma once
// The online softmax of one query row, written once for every attention kernel (exp2 domain).
//
// A kernel that streams K/V tiles keeps, per query row, the running maximum m of the scores seen so
// far (in log2 units: score · scale · log2 e) and the running sum l of 2^(score − m). For each tile:
// the tile's maximum raises m (the old l and the row's output are multiplied by α = 2^(m_old − m_new)),
// then every score becomes p = 2^(score − m) and is added to l. At the end o / l is the output and
// (m + log2 l) · ln 2 the row's log-sum-exp in natural units.
//
// Here: the constants, 2^x on the special-function unit, the −inf conventions, the finalisation, and
// RunningRow — the step for kernels that hold a row's scores in plain registers (the SIMT kernels:
// mem-efficient fp32, small-k, split-kv's CUDA-core kernel). The tensor-core kernels use the same
// verbs on m16n8 accumulator fragments (common/fragment_softmax.cuh).
#include <cmath>

namespace attnscope::attn {

inline constexpr float kLog2e = 1.4426950408889634f;  // log2(e): scale · kLog2e turns e^x into 2^x
inline constexpr float kLn2 = 0.6931471805599453f;    // ln(2): log2 units back to natural units

// 2^x in one MUFU.EX2 (exp2f adds range handling for results below 2^-126, which a softmax weight
// that small does not need); 2^-inf = 0, which the −inf conventions below rely on.
__device__ __forceinline__ float exp2_fast(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
  return y;
}

// 2^x for x <= 0 without the MUFU unit, on the FMA and integer pipes (FlashAttention-4's trick for a
// softmax that waits on MUFU.EX2, which issues a quarter as fast as an FFMA): x = k + f with k the
// nearest integer (adding 1.5·2^23 leaves k in the float's low mantissa bits) and |f| <= 1/2; 2^f by a
// cubic with p(0) = 1 fitted for relative error on [-1/2, 1/2] (at most 1.2e-4, below float16's and
// bfloat16's rounding, 4.9e-4 and 3.9e-3); 2^k added to the exponent field. x is clamped at -127, where
// f = 0 and p = 1 make the sum of the two fields exactly +0: a masked score (−inf) weighs exactly 0, as
// with MUFU, so a row that sees no key still sums to 0. Nine instructions for one MUFU's work: only part
// of a row goes this way.
__device__ __forceinline__ float exp2_fma(float x) {
  x = fmaxf(x, -127.f);
  const float rounded = x + 12582912.f;
  const float f = x - (rounded - 12582912.f);
  const float p = fmaf(fmaf(fmaf(0.0545928255f, f, 0.242217839f), f, 0.693368614f), f, 1.f);
  return __int_as_float(__float_as_int(p) + (__float_as_int(rounded) << 23));
}

// The maximum to subtract: a row that has seen only masked keys keeps m = −inf, and subtracting 0
// instead turns every −inf score into 2^-inf = 0 (and α into 0) rather than NaN.
__device__ __forceinline__ float usable_max(float m) { return m == -INFINITY ? 0.f : m; }

// What the output is multiplied by at the end: 1/l, or 0 for a row that saw no key (output zeros).
__device__ __forceinline__ float inverse_sum(float l) { return l > 0.f ? 1.f / l : 0.f; }

// The row's log-sum-exp in natural units from m (log2 units) and the complete sum l; −inf for a row
// that saw no key.
__device__ __forceinline__ float log_sum_exp(float m, float l) {
  return l > 0.f ? (m + log2f(l)) * kLn2 : -INFINITY;
}

// One row's running state, for scores already in log2 units (the SIMT kernels fold scale · log2 e
// into q or into one multiply per score). The caller reduces a tile's maximum over the lanes that
// share the row, then: alpha = raise_max(tile_max); output *= alpha; p = exp2_fast(s − offset());
// add(Σ p).
struct RunningRow {
  float m = -INFINITY;  // running maximum, log2 units
  float l = 0.f;        // running sum of 2^(s − m) (this thread's share, where lanes split a row)

  // Raises m to cover tile_max and rescales l; returns α for the row's output (0 while nothing was
  // visible before, 1 when the maximum did not move).
  __device__ __forceinline__ float raise_max(float tile_max) {
    const float m_new = fmaxf(m, tile_max);
    const float alpha = exp2_fast(m - usable_max(m_new));
    m = m_new;
    l *= alpha;
    return alpha;
  }
  // The lazy variant: m moves (to tile_max) only when tile_max exceeds it by more than `margin` (log2
  // units), so p stays ≤ 2^margin and most tiles skip the rescale. Returns whether m moved, with α.
  // Also taken for the first visible key (m = −inf); never while every key was masked (tile_max = −inf).
  __device__ __forceinline__ bool raise_max_beyond(float tile_max, float margin, float& alpha) {
    if (!(tile_max > m + margin)) return false;
    alpha = exp2_fast(m - tile_max);  // 0 when m was −inf: l and the output are still 0
    m = tile_max;
    l *= alpha;
    return true;
  }
  __device__ __forceinline__ float offset() const { return usable_max(m); }  // subtract before exp2_fast
  __device__ __forceinline__ float prob(float s) const { return exp2_fast(s - offset()); }
  __device__ __forceinline__ void add(float tile_sum) { l += tile_sum; }
};

}  // namespace attnscope::attn
