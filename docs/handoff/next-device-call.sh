#!/usr/bin/env bash
# The next device call for issue 15 (~6 min on an H100), prepared at the end of 2026-12-07's seventh session: main's
# kernels (after the causal two-slot Q ring, calls 21–22) on the whole standard grid by the standard protocol, for
# docs/performance.md's bar table, with every flash3 GPU test first. Calls 21–22 ran what this script held before
# (stall sampling of d=128 non-causal 4k beside cudnn, A B B A of the short cells): docs/results/issue15-h100-2026-12-07g/.
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
t "the standard grid, d=64 and 128, both dtypes: flash3 and cudnn"
DTYPES="bfloat16 float16" GRID_BACKENDS=flash3,cudnn $F3 grid 2>&1 | grep -E "^\| (bfloat16|float16)"
t "d=256, both dtypes"
DTYPES="bfloat16 float16" $F3 d256 2>&1 | grep -E "^\| (bfloat16|float16)"
t done
