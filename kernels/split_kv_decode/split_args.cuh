#pragma once
// What the split kernels (CUDA-core and tensor-core) receive: one struct passed by value, built once
// by forward() from Params and the Plan.
#include <cstdint>

#include "common/mma_sm80.cuh"

namespace attnscope::split_kv::detail {

struct SplitArgs {
  const void* q;
  const void* k;
  const void* v;
  void* o;          // final output (splits == 1)
  float* lse;       // final lse or null (splits == 1)
  float* o_part;    // [splits][rows_total][D] fp32 (splits > 1)
  float* lse_part;  // [splits][rows_total] natural log (splits > 1)
  int64_t q_heads, kv_heads, q_len, kv_len;
  int64_t group;        // query heads per KV head
  int64_t rows;         // group × q_len: query rows of one KV head
  int64_t rows_total;   // B·Hq·Nq
  int64_t splits, tiles_per_split, row_chunks;
  int row_groups;
  bool causal;
  float scale_log2;     // softmax scale · log2 e
};

// Output row of query row `row` (0 ≤ row < group × q_len) of KV unit (b, hkv): the group's query
// heads are consecutive, so the rows of one KV unit are consecutive output rows.
__device__ __forceinline__ int64_t output_row(const SplitArgs& a, int64_t b, int64_t hkv, int64_t row) {
  return (b * a.q_heads + hkv * a.group) * a.q_len + row;
}

// Which part of the work block blockIdx.x owns: grid = KV units × splits × row chunks, chunk fastest.
// 32-bit on purpose: a 64-bit division is a subroutine of ~70 dependent instructions, and these run
// before the block issues its first copy — at B = 1 the whole kernel is a few microseconds of
// streaming, so its start matters. (Grid, split and head counts are far below 2^31.)
struct BlockWork {
  int64_t b, hkv, kv_unit;  // batch, KV head, b · Hkv + hkv
  int64_t split, chunk;
};
__device__ __forceinline__ BlockWork block_work(const SplitArgs& a, unsigned row_chunks) {
  const unsigned bid = blockIdx.x, splits = unsigned(a.splits), kv_heads = unsigned(a.kv_heads);
  const unsigned chunk = bid % row_chunks, rest = bid / row_chunks;
  const unsigned split = rest % splits, kv_unit = rest / splits;
  return {int64_t(kv_unit / kv_heads), int64_t(kv_unit % kv_heads), int64_t(kv_unit), int64_t(split), int64_t(chunk)};
}

// The keys one block streams: its range [key_begin, key_end) of one KV unit's cache, in tiles of KT
// keys, and the copies of a K/V tile into shared memory (the two split kernels differ only in where a
// 16-byte chunk lands: the `dst` offset of (key, chunk)).
template <class T, int D, int KT>
struct KvStream {
  int64_t key_begin, key_end;
  int ntiles;
  const T* k;
  const T* v;

  __device__ KvStream(const SplitArgs& a, int64_t kv_unit, int64_t split)
      : key_begin(split * a.tiles_per_split * KT),
        key_end(min(a.kv_len, key_begin + a.tiles_per_split * KT)),
        ntiles(int((key_end - key_begin + KT - 1) / KT)),
        k(static_cast<const T*>(a.k) + kv_unit * a.kv_len * D),
        v(static_cast<const T*>(a.v) + kv_unit * a.kv_len * D) {}

  // cp.async copies of tile t into ks and vs by kThreads threads; keys past the range are
  // zero-filled, never stale (0 · V stays 0; a stale NaN would not).
  template <int kThreads, class Dst>
  __device__ __forceinline__ void copy_tile(int t, T* ks, T* vs, Dst dst) const {
    constexpr int kChunks = D / 8;  // 16-byte chunks per key row
    static_assert(KT * kChunks % kThreads == 0, "every thread copies the same number of chunks");
    const int64_t t0 = key_begin + int64_t(t) * KT;
#pragma unroll
    for (int i = 0; i < KT * kChunks / kThreads; ++i) {
      const int c = threadIdx.x + i * kThreads;
      const int key = c / kChunks, chunk = c % kChunks;
      const bool valid = t0 + key < key_end;
      const int64_t off = (valid ? t0 + key : key_begin) * D + chunk * 8;
      const int to = dst(key, chunk);
      sm80::cp_async_16(sm80::smem_addr(ks + to), k + off, valid);
      sm80::cp_async_16(sm80::smem_addr(vs + to), v + off, valid);
    }
  }
};

}  // namespace attnscope::split_kv::detail
