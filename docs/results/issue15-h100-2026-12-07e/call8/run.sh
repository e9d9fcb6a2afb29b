#!/usr/bin/env bash
# Call 8 as it ran (2026-12-07, fifth session): the new kernels (the softmax ordered before the wait for the
# warpgroup's own P·V at every head dim, and the descriptor adds) against call 7's binary (before.tar.xz), one run.
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
$F3 sanity 2>&1 | tail -8; S=$?
[ "$S" = 0 ] || { t "sanity failed: nothing else runs"; exit 3; }
t "d=64 and d=128 beside cudnn and the binary before (both dtypes and masks)"
CELLS='bfloat16:0:64,128:1024:16384:x2;float16:0:64,128:1024:16384:x2;bfloat16:1:64,128:1024:16384:x2;float16:1:64,128:1024:16384:x2' \
  $F3 cells 2>&1 | tail -42
t "d=96 (H = 16) and d=256 (H = 8) at 1k-16k, bf16, beside cudnn and before"
CELLS='bfloat16:0:256:1024:16384:x2;bfloat16:1:256:1024:16384:x2' $F3 cells >/dev/null 2>&1
HIDDEN=1536 CELLS='bfloat16:0:96:1024:16384:x2;bfloat16:1:96:1024:16384:x2' $F3 cells 2>&1 | grep -E "\| (96|256) \|"
t "flash3 GPU tests"
TESTS='*Flash3*' TESTS_TIMEOUT=200 timeout 210 $F3 tests 2>&1 | tail -6
t done
