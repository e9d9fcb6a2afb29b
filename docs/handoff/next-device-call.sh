#!/usr/bin/env bash
# The next device call for issue 15 (~6 min on an H100), prepared at the end of 2026-12-07's eighth session: main's
# kernels (after d=128's softmax against the previous maximum, calls 23–25) — every flash3 GPU test first, then the
# cells still short of the bar (call 25) by `gpu_run.sh abba` (flash3, cudnn, cudnn, flash3 with equal budgets: what
# the clock's drift does not decide), then Nsight Compute of d=128 non-causal 8k (NOTES "Next" item 3: where the
# committed kernels lose the 1–3 points the unguarded s2 had). Call 25 ran what this script held before (the whole
# grid): docs/results/issue15-h100-2026-12-07h/call25/.
# Prepare here (no GPU needed), from a checkout of main at /work/wt/final (the tests compile in absolute paths):
#   cmake --build build-gpu -j2 --target attnscope-cli attnscope_gpu_tests
#   D=/work/main/.gpu/final; rm -rf $D/tree; mkdir -p $D/tree && git ls-files -co --exclude-standard \
#     | grep -v '^docs/results\|\.png$' | tar -cf - -T - | tar -C $D/tree -xf -
#   tar -cf - build-gpu/bin/attnscope-cli build-gpu/tests/attnscope_gpu_tests | xz -T2 -6 > $D/bin.tar.xz
# Then on the device (carry [".gpu/final"]): bash .gpu/final/tree/docs/handoff/next-device-call.sh
set -o pipefail
FINAL_OUT=$OUT; OUT=/tmp/o; mkdir -p $OUT/flash3
export PATH=/usr/local/cuda/bin:$PATH PYTHONUNBUFFERED=1
save() { tar -C /tmp -cJf "$FINAL_OUT/results.tar.xz" o; cp $OUT/flash3/*.md "$FINAL_OUT/" 2>/dev/null; }
T0=$(date +%s); t() { save; echo "== $(( $(date +%s) - T0 )) s: $*"; }
cd .gpu/final/tree && mkdir -p /work/wt && ln -sfn "$PWD" /work/wt/final
tar -xJf ../bin.tar.xz
nvidia-smi --query-gpu=name,clocks.sm,power.draw,power.limit --format=csv,noheader
F3="env OUT=$OUT/flash3 BUILD=build-gpu bash kernels/flash3/gpu_run.sh"
t "flash3 sanity (every kernel once at 1k, 20 s timeout)"
$F3 sanity 2>&1 | tail -3; S=$?
[ "$S" = 0 ] || { t "sanity failed: nothing else runs"; exit 3; }
t "flash3 GPU tests"
TESTS='*Flash3*' TESTS_TIMEOUT=240 timeout 250 $F3 tests 2>&1 | grep -E "FAILED|PASSED|tests exit" | head -12
t "the short cells, A B B A with equal budgets: bf16 d=128 non-causal 8k and 16k, fp16 d=128 non-causal 8k, d=64 1k"
CELLS="bfloat16:0:128:8192;bfloat16:0:128:16384;float16:0:128:8192;bfloat16:0:64:1024;float16:0:64:1024;bfloat16:1:64:1024;float16:1:64:1024" \
  ABBA_TIME=0.2 $F3 abba 2>&1 | grep -E "^\| (bfloat16|float16)"
t "Nsight Compute: d=128 non-causal 8k, flash3 and cudnn"
timeout 200 $F3 profile 2>&1 | tail -20
t done
