#!/usr/bin/env bash
# The device call for issue 15 after 2026-12-07's fourth session ("call 7", ~3 min on an H100; ~5 with PROFILE=1):
#   * sanity, then the flash3 GPU tests at main's head (the skipped key tiles were removed after call 6: the kernels
#     are byte-identical to b073474's again; the launch takes the Choice, flash3_choice.cpp; the variants' test);
#   * the standard grid at d=64 and d=128, both dtypes and masks, flash3 beside cudnn (d=128 non-causal now on its
#     short tile below 8k keys);
#   * with PROFILE=1, Nsight Compute with source-level stall sampling on flash3's and cudnn's d=128 non-causal kernels
#     (bf16 N=8k): which wait the quarter of idle tensor time is.
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
FINAL_OUT=$OUT; OUT=/tmp/o; mkdir -p $OUT/flash3
export PATH=/usr/local/cuda/bin:$PATH PYTHONUNBUFFERED=1
# Each step's start saves what is there so far: a call cut by its time limit still brings back the steps before.
save() { tar -C /tmp -cJf "$FINAL_OUT/results.tar.xz" o; cp $OUT/flash3/*.md "$FINAL_OUT/" 2>/dev/null; }
T0=$(date +%s); t() { save; echo "== $(( $(date +%s) - T0 )) s: $*"; }
cd .gpu/final/tree && mkdir -p /work/wt && ln -sfn "$PWD" /work/wt/final
tar -xJf ../bin.tar.xz
grep -q ATTNSCOPE_FLASH3_LENGTH build-gpu/bin/attnscope-cli && ! grep -q ATTNSCOPE_FLASH3_SKIP build-gpu/bin/attnscope-cli ||
  { echo "build-gpu/bin/attnscope-cli is not main's head after call 6"; exit 4; }
nvidia-smi --query-gpu=name,clocks.sm,power.draw,power.limit --format=csv,noheader
F3="env OUT=$OUT/flash3 BUILD=build-gpu bash kernels/flash3/gpu_run.sh"
t "flash3 sanity (every kernel once at 1k, 20 s timeout)"
$F3 sanity 2>&1 | tail -8; S=$?
[ "$S" = 0 ] || { t "sanity failed: nothing else runs"; exit 3; }
t "flash3 GPU tests"
TESTS='*Flash3*' TESTS_TIMEOUT=200 timeout 210 $F3 tests 2>&1 | tail -12
t "d=64 and d=128 at the defaults beside cudnn, both dtypes and masks"
CELLS='bfloat16:0:64,128:1024:16384:x2;float16:0:64,128:1024:16384:x2;bfloat16:1:64,128:1024:16384:x2;float16:1:64,128:1024:16384:x2' \
  $F3 cells 2>&1 | tail -42
t "d=64 at 1k-4k on two consumers (128 query rows: 1k is 8 tiles a head, not 5 1/3), bf16"
VGRID='2c-blocks:bfloat16:0:64:ATTNSCOPE_FLASH3_TILE=128x128x4:1024:4096:x2;2c-persistent:bfloat16:1:64:ATTNSCOPE_FLASH3_TILE=128x128x4p:1024:4096:x2' \
  $F3 vgrid 2>&1 | tail -16
t "d=256 beside cudnn, both dtypes (float16 never measured), and on the block grid"
DTYPES=bfloat16,float16 $F3 d256 2>&1 | tail -24
[ -n "${PROFILE:-}" ] || { t done; exit 0; }  # ~120 s more: only when the device budget allows (PROFILE=1)
t "Nsight Compute, full set with source-level stall sampling: flash3 and cudnn, bf16 d=128 N=8k, non-causal"
NCU_SET=full PROFILE_CAUSAL="0" PROFILE_ENTRIES='flash3 flash3 forward_kernel X=;cudnn cudnn sdpa|fprop|fmha X=' \
  timeout 150 $F3 profile 2>&1 | tail -30
t "flash3's d=128 non-causal kernel: stall samples per SASS instruction (source page, CSV)"
NCU=$(command -v ncu || echo /usr/local/cuda/bin/ncu)
timeout 100 "$NCU" -k regex:forward_kernel -c 1 --set full --import-source yes -o "$OUT/flash3-d128" build-gpu/bin/attnscope-cli run \
  --device cuda:0 --tokens 16384 --hidden 2048 --min-samples 1 --max-time 1 --seq 8192 --head-dim 128 --dtype bfloat16 \
  --backends flash3 >"$OUT/ncu-flash3-rep.log" 2>&1 || echo "ncu report failed ($?)"
"$NCU" -i "$OUT/flash3-d128.ncu-rep" --page source --csv --print-source sass >"$OUT/flash3-d128-sass.csv" 2>&1 ||
  "$NCU" -i "$OUT/flash3-d128.ncu-rep" --page source --csv >"$OUT/flash3-d128-sass.csv" 2>&1
wc -l "$OUT/flash3-d128-sass.csv"; head -3 "$OUT/flash3-d128-sass.csv" | cut -c1-400
t done  # at most 8 files come back: everything in one archive (save), the tables beside it
