#pragma once
// The attention step on mma.sync m16n8 accumulator fragments, written once for the tensor-core
// kernels (flash2, mem-efficient's 16-bit and 3×TF32 kernels, split-kv's tensor-core split kernel):
// mask, row maximum, rescale, exp2, row sum, finalisation. In the spirit of FlashAttention's
// mask.h/softmax.h and ThunderKittens' row verbs; common/softmax.cuh explains the online softmax.
//
// Layout (PTX ISA, mma.m16n8 C fragment): lane (g = lane / 4, tq = lane % 4) holds elements e = 0..3
// of every n8 tile: row g + 8·(e / 2), column 2·tq + e % 2. A warp owning kM m16 tiles of rows gives
// each lane 2·kM rows; "slot" r = 2m + e/2 is row 16m + 8(e/2) + g = 8r + g of the warp's rows, so a
// lane's row of slot r is (its row of slot 0) + 8r.
//
// Scores S arrive raw (Q·Kᵀ accumulators, masked keys −inf) and the scale goes into the exponent:
// p = 2^(S · scale_log2 − m) is one FFMA and one MUFU.EX2 per score (as in FlashAttention-2), m kept
// in log2 units.
#include "common/mma_sm80.cuh"
#include "common/softmax.cuh"

namespace attnscope::attn {

// Sets to −inf every score that visible(slot, key) rejects. key0 is the lane's first key (the key of
// element 0 of n8 tile 0: tile start + 2·tq); element e of n8 tile n holds key key0 + 8n + e % 2.
// Callers test once per tile whether any key needs it (ragged end, causal diagonal).
template <int kM, int kN, class Key, class Visible>
__device__ __forceinline__ void mask_scores(float (&s)[kM][kN][4], Key key0, Visible&& visible) {
#pragma unroll
  for (int m = 0; m < kM; ++m)
#pragma unroll
    for (int n = 0; n < kN; ++n)
#pragma unroll
      for (int e = 0; e < 4; ++e)
        if (!visible(2 * m + e / 2, key0 + 8 * n + e % 2)) s[m][n][e] = -INFINITY;
}

// Multiplies the rows of one m16 tile of an accumulator ([n8 tiles][4]) by alpha_lo (row g) and
// alpha_hi (row g + 8).
template <int kN>
__device__ __forceinline__ void scale_rows(float (&o)[kN][4], float alpha_lo, float alpha_hi) {
#pragma unroll
  for (int n = 0; n < kN; ++n) o[n][0] *= alpha_lo, o[n][1] *= alpha_lo, o[n][2] *= alpha_hi, o[n][3] *= alpha_hi;
}
// The same for a warp's kM m16 tiles, one factor per row slot.
template <int kM, int kN>
__device__ __forceinline__ void scale_rows(float (&o)[kM][kN][4], const float (&alpha)[2 * kM]) {
#pragma unroll
  for (int m = 0; m < kM; ++m) scale_rows(o[m], alpha[2 * m], alpha[2 * m + 1]);
}

// The running max and sum of a lane's 2·kM rows.
template <int kM>
struct FragmentSoftmax {
  static constexpr int kSlots = 2 * kM;
  float m[kSlots];  // running maximum of S · scale_log2 (log2 units); −inf before any visible key
  float l[kSlots];  // this lane's share of the running sum (the quad's 4 lanes add up in finish())

  __device__ __forceinline__ FragmentSoftmax() {
#pragma unroll
    for (int r = 0; r < kSlots; ++r) m[r] = -INFINITY, l[r] = 0.f;
  }

  // One tile. S becomes P (ready to be packed as the A operand of P·V); m and l move; rescale_o(alpha)
  // multiplies the output's rows by alpha[slot] (scale_rows does it for [kM][n][4] accumulators).
  // kSkipUnchanged: the warp skips the rescale unless one of its rows' maximum grew (exact: the factor
  // would be 2^0 = 1) — after the first tiles maxima rarely move, so the output's 4·n multiplies per
  // row pair mostly disappear, for one vote per tile.
  template <bool kSkipUnchanged, int kN, class RescaleO>
  __device__ __forceinline__ void step(float (&s)[kM][kN][4], float scale_log2, RescaleO&& rescale_o) {
    float alpha[kSlots];
    bool grew = false;
#pragma unroll
    for (int r = 0; r < kSlots; ++r) {
      const int mt = r / 2, h = r % 2;
      float x = -INFINITY;
#pragma unroll
      for (int n = 0; n < kN; ++n) x = fmaxf(x, fmaxf(s[mt][n][2 * h], s[mt][n][2 * h + 1]));
      const float m_new = fmaxf(m[r], sm80::quad_max(x) * scale_log2);
      grew |= m_new > m[r];
      alpha[r] = exp2_fast(m[r] - usable_max(m_new));  // 0 from −inf (nothing seen before)
      m[r] = m_new;
    }
    if (!kSkipUnchanged || __any_sync(0xffffffffu, grew)) {
#pragma unroll
      for (int r = 0; r < kSlots; ++r) l[r] *= alpha[r];
      rescale_o(alpha);
    }
#pragma unroll
    for (int r = 0; r < kSlots; ++r) {
      const int mt = r / 2, h = r % 2;
      const float sub = usable_max(m[r]);
      float sum = 0.f;
#pragma unroll
      for (int n = 0; n < kN; ++n)
#pragma unroll
        for (int c = 0; c < 2; ++c) {
          float& x = s[mt][n][2 * h + c];
          x = exp2_fast(fmaf(x, scale_log2, -sub));
          sum += x;
        }
      l[r] += sum;
    }
  }

  // After the last tile: each lane gets its rows' complete sums (quad reduction). Then inverse_sum(r)
  // and log_sum_exp(r) finish slot r.
  __device__ __forceinline__ void finish() {
#pragma unroll
    for (int r = 0; r < kSlots; ++r) l[r] = sm80::quad_sum(l[r]);
  }
  __device__ __forceinline__ float inverse_sum(int r) const { return attn::inverse_sum(l[r]); }
  __device__ __forceinline__ float log_sum_exp(int r) const { return attn::log_sum_exp(m[r], l[r]); }
};

}  // namespace attnscope::attn
