#!/usr/bin/env bash
# Call 12 as it ran: the bottom-up causal tiles with the first tile clamped to row 0 (overlapping the second), against
# call 9's binary (before.tar.xz), in one run: sanity and every flash3 GPU test; d=64, 128, 256 (bf16, both masks),
# d=96 (H = 16), d=64 and 128 in fp16 (both masks): flash3, cudnn, before; d=128 non-causal at 8k-16k on the short
# tile and on 128x192 (blocks and persistent).
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
t "flash3 GPU tests"
TESTS='*Flash3*' TESTS_TIMEOUT=200 timeout 210 $F3 tests 2>&1 | grep -E "FAILED|PASSED|tests exit" | head -12
t "cells: flash3, cudnn, before"
CELLS='bfloat16:1:64,128,256:1024:16384:x2;bfloat16:0:64,128,256:1024:16384:x2;float16:1:64,128:1024:16384:x2;float16:0:64,128:1024:16384:x2' \
  $F3 cells >/dev/null 2>&1
HIDDEN=1536 CELLS='bfloat16:1:96:1024:16384:x2;bfloat16:0:96:1024:16384:x2' $F3 cells 2>&1 | grep -E "^\| (bfloat16|float16)"
t "d=128 non-causal tiles at 8k-16k"
VGRID='short:bfloat16:0:128:ATTNSCOPE_FLASH3_LENGTH=always:8192:16384:x2;w192:bfloat16:0:128:ATTNSCOPE_FLASH3_TILE=128x192x2:8192:16384:x2;w192p:bfloat16:0:128:ATTNSCOPE_FLASH3_TILE=128x192x2p:8192:16384:x2' \
  $F3 vgrid >/dev/null 2>&1
t done
