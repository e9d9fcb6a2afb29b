#!/usr/bin/env bash
# The next device call for issue 15 (~4 min on an H100), prepared at the end of 2026-12-07's ninth session, whose device
# time ran out before it could run: call 29's split of d=64's ragged non-causal tile (64 valid rows of 192 at 1k, 4k and
# 16k, split by key steps over the three consumers and merged through shared memory) together with the persistent
# grid's non-causal tile order rotated by round (tile_coords `rotate`), so that the ragged tiles, all of which the static
# deal gave to the 22 blocks with b % 6 = 5, spread over every block (kernels/flash3/NOTES.md, "Next" item 1).
# The candidate is docs/results/issue15-2026-12-07i/call30/rotated-split.patch (on main f753bfe; only the two d=64
# non-causal persistent kernels change). It passed the CPU tests; on the GPU it is unrun (call 29 ran the split without
# the rotation: GPU tests 35/35, 0.98-1.00x).
# Prepare here (no GPU needed), from a checkout of main at /work/wt/final (the tests compile in absolute paths):
#   cmake --build build-gpu -j2 --target attnscope-cli && cp build-gpu/bin/attnscope-cli /tmp/final-cli   # main's
#   git apply docs/results/issue15-2026-12-07i/call30/rotated-split.patch
#   cmake --build build-gpu -j2 --target attnscope-cli attnscope_gpu_tests
#   D=/work/main/.gpu/final; rm -rf $D; mkdir -p $D/tree && git ls-files -co --exclude-standard \
#     | grep -v '^docs/results\|\.png$' | tar -cf - -T - | tar -C $D/tree -xf -
#   tar -cf - build-gpu/bin/attnscope-cli build-gpu/tests/attnscope_gpu_tests | xz -T2 -6 > $D/bin.tar.xz
#   xz -T2 -6 -c /tmp/final-cli > $D/final-cli.xz
# Then on the device (carry [".gpu/final"]): bash .gpu/final/tree/docs/handoff/next-device-call.sh
set -o pipefail
FINAL_OUT=$OUT; OUT=/tmp/o; mkdir -p $OUT/flash3
export PATH=/usr/local/cuda/bin:$PATH PYTHONUNBUFFERED=1
save() { tar -C /tmp -cJf "$FINAL_OUT/results.tar.xz" o; cp $OUT/flash3/*.md "$FINAL_OUT/" 2>/dev/null; }
T0=$(date +%s); t() { save; echo "== $(( $(date +%s) - T0 )) s: $*"; }
R=$PWD/.gpu/final
xz -dc $R/final-cli.xz > /tmp/final-cli && chmod +x /tmp/final-cli
cd $R/tree && mkdir -p /work/wt && ln -sfn "$PWD" /work/wt/final && tar -xJf ../bin.tar.xz
nvidia-smi --query-gpu=name,clocks.sm,power.draw,power.limit --format=csv,noheader
F3="env OUT=$OUT/flash3 BUILD=build-gpu bash kernels/flash3/gpu_run.sh"
t "sanity"
$F3 sanity 2>&1 | tail -3; S=$?
[ "$S" = 0 ] || { t "sanity failed: nothing else runs"; exit 3; }
t "flash3 GPU tests (the candidate)"
TESTS='*Flash3*' TESTS_TIMEOUT=260 timeout 270 $F3 tests 2>&1 | grep -E "FAILED|PASSED|tests exit" | head -12
t "d=64 non-causal in rotation: main / candidate / cudnn (1k, 4k, 16k have a 64-row ragged tile; 2k, 8k none)"
CELLS="bfloat16:0:64:1024;float16:0:64:1024;bfloat16:0:64:2048;bfloat16:0:64:4096;bfloat16:0:64:8192;bfloat16:0:64:16384" \
  ROTATE="main|/tmp/final-cli||;cand|||;cudnn||cudnn|" ABBA_TIME=0.2 $F3 rotate 2>&1 | grep -E "^\| (dtype|bfloat16|float16)"
t "the d=64 standard grid, both dtypes: flash3 (the candidate), cudnn, main's flash3 (before)"
DTYPES="bfloat16 float16" HEAD_DIMS=64 GRID_BACKENDS=flash3,cudnn BEFORE=/tmp/final-cli $F3 grid 2>&1 | grep -E "^\| (bfloat16|float16)"
t done
