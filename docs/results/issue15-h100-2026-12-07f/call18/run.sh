#!/usr/bin/env bash
# Call 18 (2026-12-07, sixth session, ~4 min on an H100): call 17's binary (main at bc4f9d2) again.
#   * abba (gpu_run.sh): the standard grid, d=64 and d=128, causal and not, both dtypes, flash3 and cudnn in the order
#     flash3, cudnn, cudnn, flash3 with equal wall-clock budgets per point. Call 17's 16k samples showed the H100 stepping
#     its clock down (1980 → 1740 MHz) while flash3 ran, and the convergence rule sampling it 53 times against cudnn's 16;
#   * the 1k cells' alternatives, bf16: d=64 causal on two consumers (128×128×4, persistent and blocks), d=128
#     non-causal on 128×128×3 and without the split.
# Prepare as for call 17 (same bin.tar.xz). On the device (carry [".gpu/final"]):
#   bash .gpu/final/tree/docs/results/issue15-h100-2026-12-07f/call18/run.sh
set -o pipefail
FINAL_OUT=$OUT; OUT=/tmp/o; mkdir -p $OUT/flash3
export PATH=/usr/local/cuda/bin:$PATH PYTHONUNBUFFERED=1
save() { tar -C /tmp -cJf "$FINAL_OUT/results.tar.xz" o; cp $OUT/flash3/*.md "$FINAL_OUT/" 2>/dev/null; }
T0=$(date +%s); t() { save; echo "== $(( $(date +%s) - T0 )) s: $*"; }
cd .gpu/final/tree && mkdir -p /work/wt && ln -sfn "$PWD" /work/wt/final
tar -xJf ../bin.tar.xz
nvidia-smi --query-gpu=name,clocks.sm,power.draw,power.limit --format=csv,noheader
F3="env OUT=$OUT/flash3 BUILD=build-gpu bash kernels/flash3/gpu_run.sh"
t "abba: flash3, cudnn, cudnn, flash3 with equal budgets"
CELLS='bfloat16:0:64,128:1024:16384:x2;float16:0:64,128:1024:16384:x2;bfloat16:1:64,128:1024:16384:x2;float16:1:64,128:1024:16384:x2' \
  $F3 abba 2>&1 | grep -E "^\| (bfloat16|float16)"
t "1k alternatives"
VGRID='t128x128x4p:bfloat16:1:64:ATTNSCOPE_FLASH3_TILE=128x128x4p:1024,2048;t128x128x4:bfloat16:1:64:ATTNSCOPE_FLASH3_TILE=128x128x4:1024,2048;'\
't128x128x3:bfloat16:0:128:ATTNSCOPE_FLASH3_TILE=128x128x3:1024,2048;whole:bfloat16:0:128:ATTNSCOPE_FLASH3_SPLIT=off:1024,2048' \
  $F3 vgrid 2>&1 | grep -E "^\| (bfloat16|float16)"
CELLS='bfloat16:1:64:1024,2048;bfloat16:0:128:1024,2048' $F3 cells 2>&1 | grep -E "^\| (bfloat16|float16)"
python3 kernels/flash3/table.py grid $OUT/flash3/grid_cells.jsonl $OUT/flash3/vgrid.jsonl | tee $OUT/flash3/alternatives.md
t done
