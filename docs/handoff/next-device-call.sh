#!/usr/bin/env bash
# The device call for issue 15 after call 13 ("call 14", ~3.5 min on an H100): the committed kernels. Against call 9's
# binary (before.tar.xz), every d=128 non-causal kernel with two consumers and up to 176 keys is byte-identical
# (cuobjdump); the causal kernels lay their tiles from the last row up (the first overlapping the second, from row 0);
# three-consumer non-causal kernels encode each descriptor at its wgmma again. In one run:
#   * sanity and every flash3 GPU test;
#   * causal d=64 and d=128 in both dtypes, causal d=96 (H = 16) and d=256 in bf16, non-causal d=64 in both dtypes and
#     d=96 in bf16: flash3, cudnn and before.
# Prepare here as in docs/results/issue15-h100-2026-12-07e/call12/run.sh. Then on the device (carry [".gpu/final"]):
#   bash .gpu/final/tree/docs/handoff/next-device-call.sh
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
TESTS='*Flash3*' TESTS_TIMEOUT=200 timeout 210 $F3 tests 2>&1 | grep -E "FAILED|PASSED|tests exit" | head -12
t "cells: flash3, cudnn, before"
CELLS='bfloat16:1:64,128:1024:16384:x2;float16:1:64,128:1024:16384:x2' $F3 cells >/dev/null 2>&1
t "more cells"
CELLS='bfloat16:1:256:1024:16384:x2;bfloat16:0:64:1024:16384:x2;float16:0:64:1024:16384:x2' $F3 cells >/dev/null 2>&1
HIDDEN=1536 CELLS='bfloat16:1:96:1024:16384:x2;bfloat16:0:96:1024:16384:x2' $F3 cells 2>&1 | grep -E "^\| (bfloat16|float16)"
t done
