#pragma once
// What the split kernels (CUDA-core and tensor-core) receive: one struct passed by value, built once
// by forward() from Params and the Plan.
#include <cstdint>

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

}  // namespace attnscope::split_kv::detail
