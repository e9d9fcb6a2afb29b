// The split plan of split-kv-decode: pure arithmetic on the problem and the device's block slots, so
// the backend can predict its workspace and the CPU tests can check the choice without a GPU.
#include <algorithm>
#include <cmath>

#include "split_kv_decode/split_kv_decode.hpp"

namespace attnscope::split_kv {
namespace {

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Fraction of the last wave's slots that hold a block, averaged over all waves.
double wave_efficiency(int64_t blocks, int64_t slots) {
  const double waves = double(blocks) / double(slots);
  return waves / std::ceil(waves);
}

}  // namespace

int64_t Plan::blocks() const { return kv_units * splits * row_chunks; }

Plan plan(const Problem& p, DeviceSlots slots) {
  Plan out;
  // Rows of one KV head: every query head of its group × every query position.
  const int64_t rows = p.group_size() * p.q_len;
  out.tensor_cores = uses_tensor_cores(rows, p.head_dim);
  if (out.tensor_cores) {
    out.rows_per_warp = int(rows);  // all rows in one 16-row MMA tile; every warp takes keys
  } else if (rows <= kMaxRowsPerWarp) {
    out.rows_per_warp = rows <= 1 ? 1 : rows <= 2 ? 2 : rows <= 4 ? 4 : 8;
  } else {
    out.rows_per_warp = kMaxRowsPerWarp;
    // The warps split into row groups × key groups, so the row groups divide the 4 warps: 2 or 4.
    out.row_groups = rows <= 2 * kMaxRowsPerWarp ? 2 : kThreads / 32;
    out.row_chunks = ceil_div(rows, kMaxRowsPerBlock);
  }

  const int64_t keys = out.tensor_cores ? kTcKeysPerTile : keys_per_tile(p.head_dim);
  const int64_t tiles = std::max<int64_t>(1, ceil_div(p.kv_len, keys));
  out.kv_units = p.batch * p.kv_heads;
  const int64_t base = out.kv_units * out.row_chunks;
  const int per_sm = out.tensor_cores ? 1 : slots.blocks_per_sm;  // see plan() in the header
  const int64_t total_slots = std::max<int64_t>(1, int64_t(slots.sm_count) * std::max(1, per_sm));
  constexpr int64_t kMaxSplits = 128;

  // Only split counts that tile the range evenly are distinct (s and s' with the same tiles per
  // split give the same blocks); evaluate those, then keep the smallest within 5 % of the best.
  double best = 0;
  for (int64_t s = 1; s <= std::min(tiles, kMaxSplits); ++s)
    if (ceil_div(tiles, ceil_div(tiles, s)) == s) best = std::max(best, wave_efficiency(base * s, total_slots));
  for (int64_t s = 1; s <= std::min(tiles, kMaxSplits); ++s) {
    const int64_t per_split = ceil_div(tiles, s);
    if (ceil_div(tiles, per_split) != s) continue;
    if (wave_efficiency(base * s, total_slots) >= 0.95 * best) {
      out.splits = s;
      out.tiles_per_split = per_split;
      break;
    }
  }
  return out;
}

uint64_t workspace_bytes(const Problem& p, const Plan& plan) {
  if (plan.splits <= 1) return 0;
  const uint64_t rows = uint64_t(p.batch * p.q_heads * p.q_len);
  return uint64_t(plan.splits) * rows * uint64_t(p.head_dim + 1) * sizeof(float);
}

}  // namespace attnscope::split_kv
