#!/usr/bin/env bash
# Call 19 (2026-12-07, sixth session, ~4 min on an H100): the output staged in the last K slot (kStageOInK: the
# persistent 128×176 and 128×192 tiles, which have no room for an output tile of their own) against call 17's binary
# (before.tar.xz: main at bc4f9d2). The finisher of a split tile no longer clears the flags (the launch's memset does),
# so every persistent non-causal kernel moved a little too. In one run:
#   * sanity and every flash3 GPU test;
#   * d=128 non-causal 4k–16k and causal 16k (the 128×176 length tile), both dtypes, and d=64 and d=256 non-causal at
#     4k and 16k (bf16): flash3, cudnn, before, twice;
#   * abba: d=128 non-causal 8k and 16k, both dtypes.
# Prepare as for call 17 with before.tar.xz = call 17's build-gpu/bin/attnscope-cli. On the device (carry
# [".gpu/final"]): bash .gpu/final/tree/docs/results/issue15-h100-2026-12-07f/call19/run.sh
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
for rep in 1 2; do
  t "cells, round $rep: flash3, cudnn, before"
  CELLS='bfloat16:0:128:4096:16384:x2;float16:0:128:4096:16384:x2;bfloat16:1:128:16384;float16:1:128:16384;bfloat16:0:64,256:4096,16384' \
    $F3 cells 2>&1 | grep -E "^\| (bfloat16|float16)" | tail -12
  mv $OUT/flash3/grid_cells.jsonl $OUT/flash3/grid_cells_r$rep.jsonl
done
t "abba"
CELLS='bfloat16:0:128:8192,16384;float16:0:128:8192,16384' $F3 abba 2>&1 | grep -E "^\| (bfloat16|float16)"
t done
