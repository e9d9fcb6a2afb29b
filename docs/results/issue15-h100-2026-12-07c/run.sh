#!/usr/bin/env bash
# The device call the next session should make first (~300-400 s on an H100): flash3's call 4, which has still not run
# (kernels/flash3/NOTES.md, docs/performance.md "Call 4"): clusters of two sharing K/V by TMA multicast, 128x160x2p,
# 128x192x2c2, the long causal tile (default from 16k keys, float16 never run), the float16 grid of the d=64 persistent
# default, and 2^x partly on the FMA pipes (ATTNSCOPE_FLASH3_EXP2=fma1|fma2, bf16 d=128) —
# `sanity` first: a cluster deadlock traps there, not in the tests — then the ladder's new lowest rung
# ("unspecialized": TMA + wgmma without warp specialization) beside the others and flash2 at N=8k, Nsight Compute on
# flash3's and cudnn's d=128 kernels (where the time short of the tensor-core peak goes), the GPU tests of what landed
# after e9ebf0b, `backends` printing the libraries' own choice on a GPU (never run there), and the d=96 kernel.
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
# Each step's start saves what is there so far: a call cut by its time limit still brings back the steps before.
save() { tar -C /tmp -cJf "$FINAL_OUT/results.tar.xz" o; cp $OUT/flash3/*.md "$FINAL_OUT/" 2>/dev/null; }
T0=$(date +%s); t() { save; echo "== $(( $(date +%s) - T0 )) s: $*"; }
cd .gpu/final/tree && mkdir -p /work/wt && ln -sfn "$PWD" /work/wt/final
tar -xJf ../bin.tar.xz
# A binary from before the clusters ignores ATTNSCOPE_FLASH3_CLUSTER and would measure the default twice (2026-12-07,
# call 16); one from before the unspecialized rung or the FMA 2^x would fail their steps.
grep -q ATTNSCOPE_FLASH3_LONG build-gpu/bin/attnscope-cli && grep -q unspecialized build-gpu/bin/attnscope-cli &&
  grep -q ATTNSCOPE_FLASH3_EXP2 build-gpu/bin/attnscope-cli ||
  { echo "build-gpu/bin/attnscope-cli predates this call's kernels"; exit 4; }
TC=$(python3 -c "import nvidia.cudnn as m; print(list(m.__path__)[0] + '/lib')" 2>/dev/null)
[ -f "$TC/libcudnn.so.9" ] && export ATTNSCOPE_CUDNN_LIBRARY="$TC/libcudnn.so.9" LD_LIBRARY_PATH="$TC:${LD_LIBRARY_PATH:-}"
nvidia-smi --query-gpu=name,clocks.sm,power.draw,power.limit --format=csv,noheader
F3="env OUT=$OUT/flash3 BUILD=build-gpu bash kernels/flash3/gpu_run.sh"
# In order of what matters most (each step's start saves what is there, so a call cut short keeps the steps before):
# sanity, the flash3 GPU tests, call 4's bfloat16 cells and variants, the ladder with flash2, d=96 beside cudnn and
# the padded path of BEFORE (../before.tar.xz: the d43a369 binary), Nsight Compute, the float16 cells and the
# other variants, the remaining GPU tests, backends, d=96's alternative tiles. Call 3's whole grid took 134 s.
t "flash3 sanity (each new kernel once at 1k, 20 s timeout)"
$F3 sanity 2>&1 | tail -8; S=$?
[ "$S" = 0 ] || { t "sanity failed: nothing else runs"; exit 3; }
t "flash3 GPU tests (d=96, the unspecialized rung, the FMA 2^x, clusters, the long tile)"
TESTS='*Flash3*' timeout 120 $F3 tests 2>&1 | tail -12
mv $OUT/flash3/tests.log $OUT/flash3/tests-flash3.log
t "bfloat16 cells against cudnn, variants"
CELLS='bfloat16:0:128:1024:16384:x2;bfloat16:1:128:4096:16384:x2;float16:0:64:1024:16384:x2' \
VGRID='c2:bfloat16:0:128:ATTNSCOPE_FLASH3_CLUSTER=2;fma1:bfloat16:0:128:ATTNSCOPE_FLASH3_EXP2=fma1:2048:16384:x2;fma2:bfloat16:0:128:ATTNSCOPE_FLASH3_EXP2=fma2:4096:16384:x2;fma1:bfloat16:1:128:ATTNSCOPE_FLASH3_EXP2=fma1:4096:16384:x2;long-off:bfloat16:1:128:ATTNSCOPE_FLASH3_LONG=off:16384' \
  timeout 170 $F3 cells vgrid 2>&1 | tail -40
t "the ladder at bf16 d=128 N=8k (flash2 beside it)"
for c in "" --causal; do
  timeout 30 build-gpu/bin/attnscope-cli run --device cuda:0 --tokens 16384 --hidden 2048 --min-samples 10 --min-time 0.05 --max-time 0.5 \
    --stream --seq 8192 --head-dim 128 --dtype bfloat16 $c --backends flash2 >>$OUT/flash3/grid_flash2.jsonl 2>>$OUT/flash3/run.log
done
LADDER_ALTS=none timeout 60 $F3 ladder 2>&1 | tail -16
t "d=96 on its own kernel: padded (beside BEFORE, a binary that runs 80 and 96 padded to 128), its grid"
mkdir -p /tmp/before && tar -xJf ../before.tar.xz -C /tmp/before && B=/tmp/before/build-gpu/bin/attnscope-cli
BEFORE=$B timeout 60 $F3 padded 2>&1 | tail -8
HIDDEN=1536 BEFORE=$B HEAD_DIMS=96 GRID_BACKENDS=flash3,cudnn timeout 90 $F3 grid 2>&1 | grep '| bfloat16 | 96 '
t "Nsight Compute: flash3, cudnn, flash3 with EXP2=fma1 (bf16 d=128 N=8k)"
timeout 100 $F3 profile 2>&1 | tail -80
t "float16 cells against cudnn, the other variants"
CELLS='float16:0:128:1024:16384:x2;float16:1:128:4096:16384:x2' \
VGRID='c2:float16:0:128:ATTNSCOPE_FLASH3_CLUSTER=2;tile-128x192x2c2:bfloat16:0:128:ATTNSCOPE_FLASH3_TILE=128x192x2c2:4096:16384:x2;tile-128x160x2p:bfloat16:0:128:ATTNSCOPE_FLASH3_TILE=128x160x2p:4096:16384:x2;long-off:float16:1:128:ATTNSCOPE_FLASH3_LONG=off:16384;fma2:bfloat16:1:128:ATTNSCOPE_FLASH3_EXP2=fma2:4096:16384:x2' \
  timeout 130 $F3 cells vgrid 2>&1 | tail -30
t "the other GPU tests"
TESTS='*Flash2*:*Executor*:*Cupti*:*AccuracyCheck*:*L2Flush*:*LibraryBackendsGpu*' timeout 150 $F3 tests 2>&1 | tail -12
t "backends on the GPU: the libraries' own choice (PyTorch's SDPA pick, xFormers' operator or its refusal)"
python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/xf ../xformers-0.0.35-*.whl && export PYTHONPATH=/tmp/xf
for dt in float32 float16; do
  timeout 40 build-gpu/bin/attnscope-cli backends --device cuda:0 --seq 4096 --head-dim 128 --dtype $dt 2>&1 | tee -a $OUT/backends.txt | grep -A4 "own choice"
done
t "d=96's alternative tiles"
HIDDEN=1536 VGRID='2c-128x176x2:bfloat16:0:96:ATTNSCOPE_FLASH3_TILE=128x176x2;2c-128x128x2p:bfloat16:1:96:ATTNSCOPE_FLASH3_TILE=128x128x2p;3c-192x112x3:bfloat16:1:96:ATTNSCOPE_FLASH3_TILE=192x112x3' \
  timeout 60 $F3 vgrid 2>&1 | grep '| bfloat16 | 96 '
t done  # at most 8 files come back: everything in one archive (save), the flash3 tables beside it
