#!/usr/bin/env bash
# The device call of 2026-12-07's fourth session ("call 6", ~6 min on an H100; ~9 with PROFILE=1) for issue 15. What it checks:
#   * Consumers skip the key tiles that hold nothing for their own rows (ATTNSCOPE_FLASH3_SKIP, on by default): a
#     192-row causal tile spans 192 keys of diagonal, and the last query tile of a 192-row tiling of 1k rows holds
#     64 rows (the other two consumers computed zeros). Measured against SKIP=off in the same run: d=64 and d=96,
#     both dtypes and masks (d=96: causal; its 192x112 non-causal tile does not skip), 1k-16k.
#   * d=128 non-causal below 4k keys on its length tile, 128x128x2 persistent with its own output tile
#     (kLengthTiles), against the row's 128x176 blocks (ATTNSCOPE_FLASH3_LENGTH=off) at every N, and the short tile
#     at every N (LENGTH=always) so the threshold can be set from this run alone; 128x160x2p at 1k-2k.
#   * d=128 on three consumers (bf16 alternatives): 192x80x3p without a mask, 192x64x4p causal, 1k-16k.
#   * The GPU tests (SkippedKeyTilesChangeNothingButTime, LengthTilesMatchTheReference, EveryVariantMatchesTheReference
#     and the rest), sanity first.
#   * Last, with PROFILE=1, Nsight Compute with source-level stall sampling on flash3's and cudnn's d=128 kernels.
# Also pending: on a 2-GPU kind, scripts/shard_bench.sh (issue 17's <= 0.6x target).
#
# Prepare here (no GPU needed), from a checkout of main at /work/wt/final (the tests compile in absolute paths):
#   cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DATTNSCOPE_WITH_GUI=OFF -DCMAKE_CUDA_ARCHITECTURES=90a-real
#   cmake --build build-gpu -j2 --target attnscope-cli attnscope_gpu_tests
#   D=/work/main/.gpu/final; rm -rf $D/tree; mkdir -p $D/tree && git ls-files -co --exclude-standard \
#     | grep -v '^docs/results\|\.png$' | tar -cf - -T - | tar -C $D/tree -xf -
#   tar -cf - build-gpu/bin/attnscope-cli build-gpu/tests/attnscope_gpu_tests | xz -T2 -6 > $D/bin.tar.xz
# Then on the device (carry [".gpu/final"]): bash .gpu/final/tree/docs/handoff/next-device-call.sh
set -o pipefail
FINAL_OUT=$OUT; OUT=/tmp/o; mkdir -p $OUT/flash3 $OUT/d96
export PATH=/usr/local/cuda/bin:$PATH PYTHONUNBUFFERED=1
# Each step's start saves what is there so far: a call cut by its time limit still brings back the steps before.
save() { tar -C /tmp -cJf "$FINAL_OUT/results.tar.xz" o; for d in flash3 d96; do for f in $OUT/$d/*.md; do
  [ -f "$f" ] && cp "$f" "$FINAL_OUT/$d-$(basename "$f")"; done; done; }
T0=$(date +%s); t() { save; echo "== $(( $(date +%s) - T0 )) s: $*"; }
cd .gpu/final/tree && mkdir -p /work/wt && ln -sfn "$PWD" /work/wt/final
tar -xJf ../bin.tar.xz
grep -q ATTNSCOPE_FLASH3_SKIP build-gpu/bin/attnscope-cli && grep -q ATTNSCOPE_FLASH3_LENGTH build-gpu/bin/attnscope-cli ||
  { echo "build-gpu/bin/attnscope-cli predates this call's kernels"; exit 4; }
nvidia-smi --query-gpu=name,clocks.sm,power.draw,power.limit --format=csv,noheader
F3="env OUT=$OUT/flash3 BUILD=build-gpu bash kernels/flash3/gpu_run.sh"
t "flash3 sanity (every kernel once at 1k, 20 s timeout)"
$F3 sanity 2>&1 | tail -8; S=$?
[ "$S" = 0 ] || { t "sanity failed: nothing else runs"; exit 3; }
t "flash3 GPU tests"
TESTS='*Flash3*' TESTS_TIMEOUT=280 timeout 290 $F3 tests 2>&1 | tail -12
t "d=64 and d=128 at the defaults beside cudnn, both dtypes and masks; then SKIP=off and the length tiles"
CELLS='bfloat16:0:64,128:1024:16384:x2;float16:0:64,128:1024:16384:x2;bfloat16:1:64,128:1024:16384:x2;float16:1:64,128:1024:16384:x2' \
VGRID='skip-off:bfloat16:0:64:ATTNSCOPE_FLASH3_SKIP=off;skip-off:float16:0:64:ATTNSCOPE_FLASH3_SKIP=off;skip-off:bfloat16:1:64:ATTNSCOPE_FLASH3_SKIP=off;skip-off:float16:1:64:ATTNSCOPE_FLASH3_SKIP=off;length-off:bfloat16:0:128:ATTNSCOPE_FLASH3_LENGTH=off;length-off:float16:0:128:ATTNSCOPE_FLASH3_LENGTH=off;length-always:bfloat16:0:128:ATTNSCOPE_FLASH3_LENGTH=always:4096:16384:x2;length-always:float16:0:128:ATTNSCOPE_FLASH3_LENGTH=always:4096:16384:x2;tile-128x160x2p:bfloat16:0:128:ATTNSCOPE_FLASH3_TILE=128x160x2p:1024:2048:x2;tile-192x80x3p:bfloat16:0:128:ATTNSCOPE_FLASH3_TILE=192x80x3p;tile-192x64x4p:bfloat16:1:128:ATTNSCOPE_FLASH3_TILE=192x64x4p' \
  $F3 cells vgrid 2>&1 | tail -50
t "d=96 (H = 16) at the defaults beside cudnn, and SKIP=off"
HIDDEN=1536 OUT=$OUT/d96 BUILD=build-gpu CELLS='bfloat16:0:96:1024:16384:x2;float16:0:96:1024:16384:x2;bfloat16:1:96:1024:16384:x2;float16:1:96:1024:16384:x2' \
VGRID='skip-off:bfloat16:1:96:ATTNSCOPE_FLASH3_SKIP=off;skip-off:float16:1:96:ATTNSCOPE_FLASH3_SKIP=off' \
  bash kernels/flash3/gpu_run.sh cells vgrid 2>&1 | tail -25
[ -n "${PROFILE:-}" ] || { t done; exit 0; }  # ~220 s more: only when the device budget allows (PROFILE=1)
t "Nsight Compute, full set with source-level stall sampling: flash3 and cudnn, bf16 d=128 N=8k, both masks"
NCU_SET=full PROFILE_CAUSAL="0 1" PROFILE_ENTRIES='flash3 flash3 forward_kernel X=;cudnn cudnn sdpa|fprop|fmha X=' \
  timeout 220 $F3 profile 2>&1 | tail -40
t done  # at most 8 files come back: everything in one archive (save), the tables beside it
