"""triton-flash: AttnScope's own fused attention forward in Triton (FlashAttention-2's algorithm).

One program computes BLOCK_M query rows of one (batch, head): it keeps the running row maximum m, the
running sum l and the unnormalized output in registers, streams K and V in BLOCK_N-key tiles, and
rescales by exp2(m_old - m_new) whenever the maximum grows (online softmax). Scores are kept in log2
units (scale · log2 e folded into one multiply) so each probability is one exp2. Key tiles that every
row of the block may see run without a mask; only the tail (the diagonal for causal, the ragged end of
the keys) pays for the masked loop. Causal masks are bottom-right aligned like AttnScope's problem:
query i sees key j iff j <= i + (N_K - N_Q); a row that sees no key is written as zeros.
Layout: [B, H, N, D] tensors with unit stride in D; GQA by reading KV head h // GROUP.
"""
import math

import torch
import triton
import triton.language as tl


@triton.jit
def _tile(acc, l_i, m_i, q, k_base, v_base, stride_kn, stride_vn, offs_m, lo, hi, shift, N_K,
          HEAD_DIM: tl.constexpr, BLOCK_N: tl.constexpr, MASKED: tl.constexpr, CAUSAL: tl.constexpr, SCALE_LOG2):
    offs_n = tl.arange(0, BLOCK_N)
    offs_d = tl.arange(0, HEAD_DIM)
    for start_n in range(lo, hi, BLOCK_N):
        cols = start_n + offs_n
        if MASKED:
            k = tl.load(k_base + cols[None, :] * stride_kn + offs_d[:, None], mask=cols[None, :] < N_K, other=0.0)
        else:
            k = tl.load(k_base + cols[None, :] * stride_kn + offs_d[:, None])
        s = tl.dot(q, k) * SCALE_LOG2
        if MASKED:
            visible = cols[None, :] < N_K
            if CAUSAL:
                visible = visible & (cols[None, :] <= offs_m[:, None] + shift)
            s = tl.where(visible, s, float("-inf"))
        m_new = tl.maximum(m_i, tl.max(s, 1))
        m_ref = tl.where(m_new == float("-inf"), 0.0, m_new)  # a row with no visible key yet: no NaN
        alpha = tl.exp2(m_i - m_ref)
        p = tl.exp2(s - m_ref[:, None])
        l_i = l_i * alpha + tl.sum(p, 1)
        if MASKED:
            v = tl.load(v_base + cols[:, None] * stride_vn + offs_d[None, :], mask=cols[:, None] < N_K, other=0.0)
        else:
            v = tl.load(v_base + cols[:, None] * stride_vn + offs_d[None, :])
        acc = tl.dot(p.to(v.dtype), v, acc * alpha[:, None])
        m_i = m_new
    return acc, l_i, m_i


# Two tilings, both two warpgroups of 64 query rows each (wgmma's M) with cp.async-pipelined K/V tiles:
# every config is one more compile per (dtype, head dim, causal) on first use, seconds each, so the list is
# short. 128×128 at three stages takes 224 of the 227 KiB of shared memory at head dim 128; two leave room.
@triton.autotune(
    configs=[triton.Config({"BLOCK_M": 128, "BLOCK_N": bn}, num_warps=8, num_stages=s) for bn, s in ((64, 3), (128, 2))],
    key=["N_Q", "N_K", "HEAD_DIM", "CAUSAL"])
@triton.jit
def _attention_fwd(Q, K, V, O, SCALE_LOG2, stride_qb, stride_qh, stride_qn, stride_kb, stride_kh, stride_kn,
                   stride_vb, stride_vh, stride_vn, stride_ob, stride_oh, stride_on, H, GROUP, N_Q, N_K,
                   HEAD_DIM: tl.constexpr, CAUSAL: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr):
    start_m = tl.program_id(0)
    bh = tl.program_id(1)
    b = (bh // H).to(tl.int64)
    h = (bh % H).to(tl.int64)
    hk = h // GROUP
    offs_m = start_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_d = tl.arange(0, HEAD_DIM)
    q = tl.load(Q + b * stride_qb + h * stride_qh + offs_m[:, None] * stride_qn + offs_d[None, :],
                mask=offs_m[:, None] < N_Q, other=0.0)
    k_base = K + b * stride_kb + hk * stride_kh
    v_base = V + b * stride_vb + hk * stride_vh
    m_i = tl.full([BLOCK_M], float("-inf"), tl.float32)
    l_i = tl.zeros([BLOCK_M], tl.float32)
    acc = tl.zeros([BLOCK_M, HEAD_DIM], tl.float32)
    shift = N_K - N_Q
    # Keys [0, full) are visible to every row of this block; [full, hi) need the mask.
    hi = N_K
    full = (N_K // BLOCK_N) * BLOCK_N
    if CAUSAL:
        hi = tl.maximum(tl.minimum(N_K, start_m * BLOCK_M + BLOCK_M + shift), 0)
        full = tl.maximum(tl.minimum(full, ((start_m * BLOCK_M + shift + 1) // BLOCK_N) * BLOCK_N), 0)
    acc, l_i, m_i = _tile(acc, l_i, m_i, q, k_base, v_base, stride_kn, stride_vn, offs_m, 0, full, shift, N_K,
                          HEAD_DIM, BLOCK_N, False, CAUSAL, SCALE_LOG2)
    acc, l_i, m_i = _tile(acc, l_i, m_i, q, k_base, v_base, stride_kn, stride_vn, offs_m, full, hi, shift, N_K,
                          HEAD_DIM, BLOCK_N, True, CAUSAL, SCALE_LOG2)
    out = acc / tl.where(l_i == 0.0, 1.0, l_i)[:, None]
    tl.store(O + b * stride_ob + h * stride_oh + offs_m[:, None] * stride_on + offs_d[None, :],
             out.to(O.dtype.element_ty), mask=offs_m[:, None] < N_Q)


SUPPORTED_HEAD_DIMS = (16, 32, 64, 128)


def attention(q, k, v, causal=False, scale=None, out=None):
    """softmax(scale · q kᵀ [+ bottom-right causal mask]) v for [B, H, N, D] tensors (fp16/bf16)."""
    B, H, N_Q, D = q.shape
    H_KV, N_K = k.shape[1], k.shape[2]
    if D not in SUPPORTED_HEAD_DIMS or H % H_KV != 0:
        raise ValueError(f"triton-flash takes head dims {SUPPORTED_HEAD_DIMS} and H % H_KV == 0 (got D={D}, "
                         f"H={H}, H_KV={H_KV})")
    for t in (q, k, v):
        if t.stride(-1) != 1:
            raise ValueError("triton-flash needs unit stride in the head dimension")
    out = torch.empty_like(q) if out is None else out
    scale = 1.0 / math.sqrt(D) if scale is None else scale
    grid = lambda meta: (triton.cdiv(N_Q, meta["BLOCK_M"]), B * H)
    _attention_fwd[grid](q, k, v, out, scale * 1.4426950408889634, q.stride(0), q.stride(1), q.stride(2),
                         k.stride(0), k.stride(1), k.stride(2), v.stride(0), v.stride(1), v.stride(2),
                         out.stride(0), out.stride(1), out.stride(2), H, H // H_KV, N_Q, N_K,
                         HEAD_DIM=D, CAUSAL=bool(causal))
    return out
