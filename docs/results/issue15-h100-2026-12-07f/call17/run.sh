#!/usr/bin/env bash
# Call 17 (2026-12-07, sixth session, ~6 min on an H100): the committed kernels (main at bc4f9d2: d=128 non-causal on
# the persistent grid with the split last round, d=256 causal on blocks) on the whole standard grid, for the table of
# docs/performance.md, against cudnn and call 15's binary (before.tar.xz) in the same run; and two alternative d=128
# non-causal tiles with the split (128×192 persistent; 128×160 persistent with its own output tile). In one run:
#   * sanity and every flash3 GPU test;
#   * d=64 and d=128, causal and not, both dtypes, 1k–16k: flash3, cudnn, before; d=256 both masks and dtypes;
#   * d=128 non-causal, both dtypes: ATTNSCOPE_FLASH3_TILE=128x192x2p and 128x160x2p (bf16 only: alternatives).
# Prepare here (see docs/handoff/next-device-call.sh), with before.tar.xz = call 15's build-gpu/bin/attnscope-cli.
# Then on the device (carry [".gpu/final"]): bash .gpu/final/tree/docs/results/issue15-h100-2026-12-07f/call17/run.sh
set -o pipefail
FINAL_OUT=$OUT; OUT=/tmp/o; mkdir -p $OUT/flash3
export PATH=/usr/local/cuda/bin:$PATH PYTHONUNBUFFERED=1
save() { tar -C /tmp -cJf "$FINAL_OUT/results.tar.xz" o; cp $OUT/flash3/*.md "$FINAL_OUT/" 2>/dev/null; }
T0=$(date +%s); t() { save; echo "== $(( $(date +%s) - T0 )) s: $*"; }
cd .gpu/final/tree && mkdir -p /work/wt && ln -sfn "$PWD" /work/wt/final
tar -xJf ../bin.tar.xz
mkdir -p /tmp/before && tar -C /tmp/before -xJf ../before.tar.xz
export BEFORE=/tmp/before/build-gpu/bin/attnscope-cli
nvidia-smi --query-gpu=name,clocks.sm,power.draw,power.limit --format=csv,noheader
F3="env OUT=$OUT/flash3 BUILD=build-gpu bash kernels/flash3/gpu_run.sh"
t "flash3 sanity (every kernel once at 1k, 20 s timeout)"
$F3 sanity 2>&1 | tail -3; S=$?
[ "$S" = 0 ] || { t "sanity failed: nothing else runs"; exit 3; }
t "flash3 GPU tests"
TESTS='*Flash3*' TESTS_TIMEOUT=240 timeout 250 $F3 tests 2>&1 | grep -E "FAILED|PASSED|tests exit" | head -12
t "standard grid: flash3, cudnn, before"
CELLS='bfloat16:0:64,128:1024:16384:x2;float16:0:64,128:1024:16384:x2;bfloat16:1:64,128:1024:16384:x2;float16:1:64,128:1024:16384:x2' \
  $F3 cells >/dev/null 2>&1
t "d=256"
CELLS='bfloat16:0:256:1024:16384:x2;float16:0:256:1024:16384:x2;bfloat16:1:256:1024:16384:x2;float16:1:256:1024:16384:x2' \
  $F3 cells >/dev/null 2>&1
t "d=128 non-causal alternatives with the split"
VGRID='p192:bfloat16:0:128:ATTNSCOPE_FLASH3_TILE=128x192x2p;p160:bfloat16:0:128:ATTNSCOPE_FLASH3_TILE=128x160x2p' \
  $F3 vgrid 2>&1 | grep -E "^\| (bfloat16|float16)"
t done
