#!/usr/bin/env bash
# Call 16 (2026-12-07, sixth session, ~5 min on an H100): the tail split (flash3.hpp, TailSplit) against the same
# kernels without it and against call 15's binary (before.tar.xz: main at 1ff7a1a, the kernels of call 14). Every
# kernel's SASS moved a little (KernelArgs grew; the persistent non-causal kernels gained the split), so the causal
# cells are measured against the before binary too. In one run:
#   * sanity and every flash3 GPU test (Flash3GpuGrid.TailSplitMatchesTheReference among them);
#   * non-causal d=64 and d=128 in both dtypes, d=256 in bf16: flash3 (default: split wherever the grid is persistent),
#     cudnn, before; the same kernels with ATTNSCOPE_FLASH3_SPLIT=off; d=128's 128×176 row on the persistent grid with
#     and without the split;
#   * causal d=64 and d=128 in bf16: flash3, cudnn, before.
# Prepare here (see docs/handoff/next-device-call.sh), with before.tar.xz = call 15's build-gpu/bin/attnscope-cli.
# Then on the device (carry [".gpu/final"]): bash .gpu/final/tree/docs/results/issue15-h100-2026-12-07f/call16/run.sh
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
t "non-causal cells: flash3 (split), cudnn, before"
CELLS='bfloat16:0:64,128:1024:16384:x2;float16:0:64,128:1024:16384:x2;bfloat16:0:256:1024:16384:x2' $F3 cells >/dev/null 2>&1
t "non-causal variants: split off; d=128's row on the persistent grid with and without the split"
VGRID='whole:bfloat16:0:64,128,256:ATTNSCOPE_FLASH3_SPLIT=off;whole:float16:0:64,128:ATTNSCOPE_FLASH3_SPLIT=off;'\
'p176split:bfloat16:0:128:ATTNSCOPE_FLASH3_GRID=persistent;p176split:float16:0:128:ATTNSCOPE_FLASH3_GRID=persistent;'\
'p176whole:bfloat16:0:128:ATTNSCOPE_FLASH3_GRID=persistent+ATTNSCOPE_FLASH3_SPLIT=off;'\
'p176whole:float16:0:128:ATTNSCOPE_FLASH3_GRID=persistent+ATTNSCOPE_FLASH3_SPLIT=off' $F3 vgrid 2>&1 | grep -E "^\| (bfloat16|float16)"
t "causal cells: flash3, cudnn, before"
CELLS='bfloat16:1:64,128:1024:16384:x2' $F3 cells 2>&1 | grep -E "^\| (bfloat16|float16)"
t done
