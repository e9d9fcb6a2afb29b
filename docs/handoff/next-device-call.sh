#!/usr/bin/env bash
# The device call the next session should make first (~300 s on an H100): flash3's call 4, which has still not run
# (kernels/flash3/NOTES.md, docs/performance.md "Call 4"): clusters of two sharing K/V by TMA multicast, 128x160x2p,
# 128x192x2c2, the long causal tile (default from 16k keys, float16 never run), the float16 grid of the d=64 persistent
# default — `sanity` first: a cluster deadlock traps there, not in the tests — then the GPU tests of what landed after
# e9ebf0b (flash3's clusters and long tile; the GUI's changes touch no GPU code). Issue 13's do_bench question was
# settled on 2026-12-07 (second session; docs/performance.md, first section). TRIM=1 cuts it to ~150 s.
# Also pending: on a 2-GPU kind, scripts/shard_bench.sh (issue 17's <= 0.6x target).
#
# Prepare here (no GPU needed), from a checkout of main at /work/wt/final (the tests compile in absolute paths):
#   cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DATTNSCOPE_WITH_GUI=OFF -DCMAKE_CUDA_ARCHITECTURES=90a-real
#   cmake --build build-gpu -j2
#   D=/work/main/.gpu/final; rm -rf $D/tree; mkdir -p $D/tree && git ls-files -co --exclude-standard \
#     | grep -v '^docs/results\|\.png$' | tar -cf - -T - | tar -C $D/tree -xf -
#   tar -cf - build-gpu/bin/attnscope-cli build-gpu/tests/attnscope_gpu_tests | xz -T2 -6 > $D/bin.tar.xz
# Then on the device (carry [".gpu/final"]): bash .gpu/final/tree/docs/handoff/next-device-call.sh
set -o pipefail
FINAL_OUT=$OUT; OUT=/tmp/o; mkdir -p $OUT/flash3
export PATH=/usr/local/cuda/bin:$PATH PYTHONUNBUFFERED=1
T0=$(date +%s); t() { echo "== $(( $(date +%s) - T0 )) s: $*"; }
cd .gpu/final/tree && mkdir -p /work/wt && ln -sfn "$PWD" /work/wt/final
tar -xJf ../bin.tar.xz
# A binary from before the clusters ignores ATTNSCOPE_FLASH3_CLUSTER and would measure the default twice (2026-12-07, call 16).
grep -q ATTNSCOPE_FLASH3_LONG build-gpu/bin/attnscope-cli || { echo "build-gpu/bin/attnscope-cli predates call 4's kernels"; exit 4; }
TC=$(python3 -c "import nvidia.cudnn as m; print(list(m.__path__)[0] + '/lib')" 2>/dev/null)
[ -f "$TC/libcudnn.so.9" ] && export ATTNSCOPE_CUDNN_LIBRARY="$TC/libcudnn.so.9" LD_LIBRARY_PATH="$TC:${LD_LIBRARY_PATH:-}"
nvidia-smi --query-gpu=name,clocks.sm,power.draw,power.limit --format=csv,noheader
F3="env OUT=$OUT/flash3 BUILD=build-gpu bash kernels/flash3/gpu_run.sh"
t "flash3 sanity (each new kernel once at 1k, 20 s timeout)"
$F3 sanity 2>&1 | tail -8; S=$?
t "flash3 call 4: cells against cudnn, variants, then the flash3/flash2/executor GPU tests"
# TRIM=1 (short of device time): only the d=128 non-causal cells and clusters, the long tile's off switch, and the new tests.
if [ "${TRIM:-0}" = 1 ]; then
  export TESTS='*Flash3GpuGrid.Clusters*:*Flash3GpuGrid.LongSequence*:*Executor*:*Cupti*'
  export CELLS='bfloat16:0:128:1024:16384:x2;bfloat16:1:128:8192:16384:x2'
  export VGRID='c2:bfloat16:0:128:ATTNSCOPE_FLASH3_CLUSTER=2;long-off:bfloat16:1:128:ATTNSCOPE_FLASH3_LONG=off:8192:16384:x2'
else
export TESTS='*Flash3*:*Flash2*:*Executor*:*Cupti*:*AccuracyCheck*:*L2Flush*'
export CELLS='bfloat16:0:128:1024:16384:x2;float16:0:128:1024:16384:x2;float16:0:64:1024:16384:x2;bfloat16:1:128:8192:16384:x2;float16:1:128:8192:16384:x2'
export VGRID='c2:bfloat16:0:128:ATTNSCOPE_FLASH3_CLUSTER=2;c2:float16:0:128:ATTNSCOPE_FLASH3_CLUSTER=2;tile-128x192x2c2:bfloat16:0:128:ATTNSCOPE_FLASH3_TILE=128x192x2c2:4096:16384:x2;tile-128x160x2p:bfloat16:0:128:ATTNSCOPE_FLASH3_TILE=128x160x2p:4096:16384:x2;long-off:bfloat16:1:128:ATTNSCOPE_FLASH3_LONG=off:8192:16384:x2;long-off:float16:1:128:ATTNSCOPE_FLASH3_LONG=off:8192:16384:x2'
fi
[ "$S" = 0 ] && timeout 260 $F3 cells vgrid tests 2>&1 | tail -70
t done
# At most 8 files come back: everything in one archive, the flash3 tables beside it.
tar -C /tmp -cJf "$FINAL_OUT/results.tar.xz" o; cp $OUT/flash3/*.md "$FINAL_OUT/" 2>/dev/null
