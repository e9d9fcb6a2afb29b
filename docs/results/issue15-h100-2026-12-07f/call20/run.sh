#!/usr/bin/env bash
# Call 20 (2026-12-07, sixth session, ~3 min on an H100): the session's final kernels (main at 4211ec1, call 19's
# binary, whose 33 flash3 GPU tests passed) on the whole standard grid against cudnn and against call 15's binary
# (before.tar.xz: the session's start, main at 510cbe8's kernels), and by the A B B A protocol where the bar is close:
#   * sanity;
#   * d=64 and d=128, causal and not, both dtypes, 1k–16k, and d=256 both masks and dtypes: flash3, cudnn, before;
#   * abba: d=128 non-causal 4k–16k and causal 8k–16k, both dtypes.
# Prepare as for call 17 with before.tar.xz = call 15's build-gpu/bin/attnscope-cli. On the device (carry
# [".gpu/final"]): bash .gpu/final/tree/docs/results/issue15-h100-2026-12-07f/call20/run.sh
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
t "standard grid and d=256: flash3, cudnn, before"
CELLS='bfloat16:0:64,128,256:1024:16384:x2;float16:0:64,128,256:1024:16384:x2;bfloat16:1:64,128,256:1024:16384:x2;float16:1:64,128,256:1024:16384:x2' \
  $F3 cells >/dev/null 2>&1
t "abba"
CELLS='bfloat16:0:128:4096:16384:x2;float16:0:128:4096:16384:x2;bfloat16:1:128:8192,16384;float16:1:128:8192,16384' $F3 abba 2>&1 | grep -E "^\| (bfloat16|float16)"
t done
