#!/usr/bin/env bash
# RAN as call 30 at the end of the tenth session (H100; results and this file as run in
# docs/results/issue15-2026-12-07j/call30/); its candidate is on main now. Kept as the template of the next call: the
# preparation below applied a patch that main already holds.
# Call 30 (issue 15, ~6 min on an H100), prepared in 2026-12-07's tenth session, which got no device (ten starts failed,
# then no new machine was lent). Two candidates for the d=64 1k cells in one binary, against main's (2e1458d, "main")
# and cudnn, in rotation (equal 0.2 s budgets, V1 … Vn Vn … V1):
# - non-causal: call 29's split of the ragged tile by key steps over the three consumers, with the persistent grid's
#   tile order rotated by round (tile_coords `rotate`) so that the ragged tiles spread over every block (the two d=64
#   non-causal persistent kernels change);
# - causal: a consumer of the 192-row tiles skips the key tiles its own 64 rows do not see (kSkipsIdleKeys,
#   causal_idle_key_steps: empty turns, slots released once filled; d=64 at 1k 9 of a head's 81 consumer steps, so its
#   MMA work equals cudnn's). The d=64 and d=96 causal persistent kernels change; spill-free, and the key loop's SASS
#   is main's (the skip's count goes through REDUX into a uniform register; without it ptxas moved the loop's index
#   and descriptor arithmetic off the uniform datapath and half the exp2s above the P·V wait).
# The other 58 kernels are SASS-identical to main's. The candidate is docs/results/issue15-2026-12-07j/call30/
# candidate.patch (on main 2e1458d; CPU tests pass with it). Prepare here, from a checkout of main at /work/wt/final
# (the tests compile in absolute paths), with build-gpu configured as in earlier calls:
#   cmake --build build-gpu -j2 --target attnscope-cli && cp build-gpu/bin/attnscope-cli /tmp/final-cli   # main's
#   git apply docs/results/issue15-2026-12-07j/call30/candidate.patch
#   cmake --build build-gpu -j2 --target attnscope-cli attnscope_gpu_tests
#   D=/work/main/.gpu/final; rm -rf $D; mkdir -p $D/tree && git ls-files -co --exclude-standard \
#     | grep -v '^docs/results\|\.png$' | tar -cf - -T - | tar -C $D/tree -xf -
#   tar -cf - build-gpu/bin/attnscope-cli build-gpu/tests/attnscope_gpu_tests | xz -T2 -6 > $D/bin.tar.xz
#   xz -T2 -6 -c /tmp/final-cli > $D/final-cli.xz
# The tenth session left that package in /work/main/.gpu/final (15 MB; MAIN: the commit it was built on). Where
# `git diff $(cat .gpu/final/MAIN) -- kernels engine tests ':!*.md'` is empty and
# `(cd /work/wt/final && sha256sum -c /work/main/.gpu/final/PATCH.sha256)` passes, it is this candidate on today's main
# and the preparation can be skipped.
# Then on the device (carry [".gpu/final"], kind nvidia-h100-x1): bash .gpu/final/tree/docs/handoff/next-device-call.sh
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
rot() {  # rot NAME CELLS (HIDDEN passes through to gpu_run.sh)
  CELLS="$2" ROTATE="main|/tmp/final-cli||;cand|||;cudnn||cudnn|" ABBA_TIME=0.2 $F3 rotate 2>&1 | grep -E "^\| (dtype|bfloat16|float16)"
  mv $OUT/flash3/rotate.jsonl $OUT/flash3/rotate-$1.jsonl; mv $OUT/flash3/rotate.md $OUT/flash3/rotate-$1.md
}
t "d=64 causal: main / candidate (skip) / cudnn"
rot d64causal "bfloat16:1:64:1024;float16:1:64:1024;bfloat16:1:64:2048;bfloat16:1:64:4096;bfloat16:1:64:8192;bfloat16:1:64:16384"
t "d=96 causal (H = 16): main / candidate (skip) / cudnn"
HIDDEN=1536 rot d96causal "bfloat16:1:96:1024;bfloat16:1:96:2048;bfloat16:1:96:4096;bfloat16:1:96:16384"
t "d=64 non-causal: main / candidate (rotated split) / cudnn (1k, 4k, 16k have a 64-row ragged tile; 2k, 8k none)"
rot d64 "bfloat16:0:64:1024;float16:0:64:1024;bfloat16:0:64:2048;bfloat16:0:64:4096;bfloat16:0:64:8192;bfloat16:0:64:16384"
t "the d=64 standard grid, both dtypes: flash3 (the candidate), cudnn, main's flash3 (before)"
DTYPES="bfloat16 float16" HEAD_DIMS=64 GRID_BACKENDS=flash3,cudnn BEFORE=/tmp/final-cli $F3 grid 2>&1 | grep -E "^\| (bfloat16|float16)"
t done
