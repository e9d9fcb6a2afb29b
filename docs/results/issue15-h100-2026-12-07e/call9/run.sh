#!/usr/bin/env bash
# The device call for issue 15 after call 8 ("call 9", ~4 min on an H100). Call 8 measured, against call 7's
# binary in the same run, both changes of that session together: the softmax ordered before the wait for the
# warpgroup's own P·V (Cfg::kSoftmaxUnderOwnPv) and wgmma descriptors advanced by one add (TileDesc): d=128 +2 to
# +5 %, d=64 / d=96 −2 to −5 %. This call separates them:
#   * bin.tar.xz: the order at d=128 only, the descriptor adds everywhere (the committed kernels);
#   * descs-off.tar.xz: the same with every descriptor encoded anew (the old make_desc per wgmma);
#   * before.tar.xz: call 7's binary (neither change).
# d=64, 96, 128, 256 (bf16, both masks, 1k-16k) for all three and cudnn, in one run; then the flash3 GPU tests.
# Prepare here (no GPU needed), from a checkout of main at /work/wt/final (the tests compile in absolute paths):
#   cmake --build build-gpu -j2 --target attnscope-cli attnscope_gpu_tests
#   D=/work/main/.gpu/final; rm -rf $D/tree; mkdir -p $D/tree && git ls-files -co --exclude-standard \
#     | grep -v '^docs/results\|\.png$' | tar -cf - -T - | tar -C $D/tree -xf -
#   tar -cf - build-gpu/bin/attnscope-cli build-gpu/tests/attnscope_gpu_tests | xz -T2 -6 > $D/bin.tar.xz
#   (before.tar.xz, descs-off.tar.xz: build-gpu/bin/attnscope-cli of the binaries compared against.)
# Then on the device (carry [".gpu/final"]): bash .gpu/final/tree/docs/handoff/next-device-call.sh
set -o pipefail
FINAL_OUT=$OUT; OUT=/tmp/o; mkdir -p $OUT/flash3
export PATH=/usr/local/cuda/bin:$PATH PYTHONUNBUFFERED=1
save() { tar -C /tmp -cJf "$FINAL_OUT/results.tar.xz" o; cp $OUT/flash3/*.md "$FINAL_OUT/" 2>/dev/null; }
T0=$(date +%s); t() { save; echo "== $(( $(date +%s) - T0 )) s: $*"; }
cd .gpu/final/tree && mkdir -p /work/wt && ln -sfn "$PWD" /work/wt/final
tar -xJf ../bin.tar.xz
for b in before descs-off; do mkdir -p /tmp/$b && tar -C /tmp/$b -xJf ../$b.tar.xz; done
nvidia-smi --query-gpu=name,clocks.sm,power.draw,power.limit --format=csv,noheader
F3="env OUT=$OUT/flash3 BUILD=build-gpu bash kernels/flash3/gpu_run.sh"
t "flash3 sanity (every kernel once at 1k, 20 s timeout)"
$F3 sanity 2>&1 | tail -8; S=$?
[ "$S" = 0 ] || { t "sanity failed: nothing else runs"; exit 3; }
t "d=64, 128, 256 and 96: flash3, cudnn, before; then descs-off"
C='bfloat16:0:64,128,256:1024:16384:x2;bfloat16:1:64,128,256:1024:16384:x2'
C96='bfloat16:0:96:1024:16384:x2;bfloat16:1:96:1024:16384:x2'
BEFORE=/tmp/before/build-gpu/bin/attnscope-cli CELLS="$C" $F3 cells >/dev/null 2>&1
BEFORE=/tmp/before/build-gpu/bin/attnscope-cli HIDDEN=1536 CELLS="$C96" $F3 cells 2>&1 | grep -E "^\| bfloat16"
t "descs-off"
G="env OUT=$OUT/descs-off BUILD=/tmp/descs-off/build-gpu GRID_BACKENDS=flash3 bash kernels/flash3/gpu_run.sh"
CELLS="$C" $G cells >/dev/null 2>&1; HIDDEN=1536 CELLS="$C96" $G cells 2>&1 | grep -E "^\| bfloat16"
t "flash3 GPU tests"
TESTS='*Flash3*' TESTS_TIMEOUT=200 timeout 210 $F3 tests 2>&1 | tail -4
t done
