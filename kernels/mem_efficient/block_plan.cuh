#pragma once
// What one thread block of the mem-efficient kernels works on, shared by the fp32 SIMT path and the
// tensor-core path: which (batch, head, query rows), which K/V tiles it must visit under the
// bottom-right causal mask, and which tiles need element-wise masking (the online softmax itself is
// common/softmax.cuh and common/fragment_softmax.cuh).
#include <cuda_runtime.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "mem_efficient/mem_efficient.hpp"

namespace attnscope::mem_efficient {

// One block = kRowsPerBlock query rows of one (batch, query head). Blocks are numbered in groups of
// `heads_per_group` (batch, head) pairs; inside a group the row block is the slow index and runs in
// reverse, so under a causal mask the longest rows (most K/V tiles) of the group start first and the
// short ones fill the tail. One head per group (the default) keeps the blocks that share K/V next to
// each other, for L2 reuse; a kernel that wants the longest-first order across more heads (to shorten
// the tail of the last wave) passes a larger group, sized by its launcher (see the 3×TF32 kernel).
struct BlockPlan {
  int64_t q_offset;   // element offset of this (batch, q head)'s first Q/O row
  int64_t kv_offset;  // element offset of the matching (batch, kv head)'s first K/V row
  int64_t lse_offset; // offset of this (batch, q head) in lse
  int row0;           // first query row of the block
  int rows;           // valid query rows in the block (≤ kRowsPerBlock)
  int diag;           // kv_len - q_len: query i sees key j iff j <= i + diag (causal)
  int n_tiles;        // K/V tiles to visit (0: every row of the block sees no key)

  __device__ static BlockPlan make(const Params& p, int64_t heads_per_group = 1) {
    const int64_t row_blocks = (p.q_len + kRowsPerBlock - 1) / kRowsPerBlock;
    const int64_t heads = p.batch * p.q_heads;
    const int64_t group_blocks = heads_per_group * row_blocks;
    const int64_t group = int64_t(blockIdx.x) / group_blocks;
    const int64_t idx = int64_t(blockIdx.x) - group * group_blocks;
    const int64_t first_head = group * heads_per_group;
    // The last group may hold fewer heads.
    const int64_t group_heads = heads - first_head < heads_per_group ? heads - first_head : heads_per_group;
    const int64_t rb = row_blocks - 1 - idx / group_heads;
    const int64_t bh = first_head + idx % group_heads;
    const int64_t h = bh % p.q_heads, b = bh / p.q_heads;
    const int64_t kvh = h / (p.q_heads / p.kv_heads);  // GQA: consecutive query heads share a KV head

    BlockPlan plan;
    plan.q_offset = ((b * p.q_heads + h) * p.q_len) * p.head_dim;
    plan.kv_offset = ((b * p.kv_heads + kvh) * p.kv_len) * p.head_dim;
    plan.lse_offset = (b * p.q_heads + h) * p.q_len;
    plan.row0 = int(rb * kRowsPerBlock);
    plan.rows = int(p.q_len - plan.row0 < kRowsPerBlock ? p.q_len - plan.row0 : kRowsPerBlock);
    plan.diag = int(p.kv_len - p.q_len);
    // Keys [0, key_end) can be seen by some row of the block.
    int64_t key_end = p.kv_len;
    if (p.causal) {
      const int64_t last_visible = int64_t(plan.row0) + kRowsPerBlock - 1 + plan.diag;
      key_end = last_visible < 0 ? 0 : (last_visible + 1 < p.kv_len ? last_visible + 1 : p.kv_len);
    }
    plan.n_tiles = int((key_end + kKeysPerTile - 1) / kKeysPerTile);
    return plan;
  }

  // Whether tile t holds a key some row of the block must not see (past kv_len, or above the
  // diagonal): only those tiles pay for the element-wise mask.
  __device__ bool tile_needs_mask(const Params& p, int t) const {
    const int64_t key_last = int64_t(t) * kKeysPerTile + kKeysPerTile - 1;
    return key_last >= p.kv_len || (p.causal && key_last > int64_t(row0) + diag);
  }
  // 32-bit on purpose (lengths are < 2^24 by validation): this runs per score in masked tiles, where
  // 64-bit compares cost registers the tensor-core kernel does not have.
  __device__ static bool visible(const Params& p, int row, int key, int diag) {
    return key < int(p.kv_len) && (!p.causal || key <= row + diag);
  }
};

inline int64_t grid_blocks(const Params& p) {
  const int64_t row_blocks = (p.q_len + kRowsPerBlock - 1) / kRowsPerBlock;
  const int64_t blocks = row_blocks * p.q_heads * p.batch;
  if (blocks > 0x7fffffff)
    throw std::runtime_error("mem-efficient: " + std::to_string(blocks) +
                             " thread blocks exceed the grid limit of 2^31-1; reduce batch, heads or q_len");
  return blocks;
}

}  // namespace attnscope::mem_efficient
