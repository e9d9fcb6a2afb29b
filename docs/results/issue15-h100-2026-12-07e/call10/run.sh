#!/usr/bin/env bash
# Call 10 as it ran: where O is rescaled, against the committed kernels (bin.tar.xz) in one run, bf16 d=64 and d=128 at
# 1k-16k, both masks. v1: O rescaled between the issues of S(j) and P·V(j-1) (FA3's place); v2: the rescale skipped
# while a row's maximum grows by at most 2^8, warp by warp (FA4's trick); v3: both. v1..v3.tar.xz held
# build-gpu/bin/attnscope-cli built with ATTNSCOPE_EXP_RESCALE_IN_ISSUE / ATTNSCOPE_EXP_LAZY set in flash3_traits.cuh
# (an experiment's switches, removed with it). Then Nsight Compute's stall sampling on the committed d=128 kernel.
set -o pipefail
FINAL_OUT=$OUT; OUT=/tmp/o; mkdir -p $OUT/flash3
export PATH=/usr/local/cuda/bin:$PATH PYTHONUNBUFFERED=1
save() { tar -C /tmp -cJf "$FINAL_OUT/results.tar.xz" o; cp $OUT/flash3/*.md "$FINAL_OUT/" 2>/dev/null; }
T0=$(date +%s); t() { save; echo "== $(( $(date +%s) - T0 )) s: $*"; }
cd .gpu/final/tree && mkdir -p /work/wt && ln -sfn "$PWD" /work/wt/final
tar -xJf ../bin.tar.xz
for b in v1 v2 v3; do mkdir -p /tmp/$b && tar -C /tmp/$b -xJf ../$b.tar.xz; done
nvidia-smi --query-gpu=name,clocks.sm,power.draw,power.limit --format=csv,noheader
F3="env OUT=$OUT/flash3 BUILD=build-gpu bash kernels/flash3/gpu_run.sh"
t "flash3 sanity (every kernel once at 1k, 20 s timeout)"
$F3 sanity 2>&1 | tail -8; S=$?
[ "$S" = 0 ] || { t "sanity failed: nothing else runs"; exit 3; }
C='bfloat16:0:64,128:1024:16384:x2;bfloat16:1:64,128:1024:16384:x2'
t "committed flash3 and cudnn"
CELLS="$C" $F3 cells >/dev/null 2>&1
for b in v1 v2 v3; do
  t "$b"
  env OUT=$OUT/$b BUILD=/tmp/$b/build-gpu GRID_BACKENDS=flash3 CELLS="$C" bash kernels/flash3/gpu_run.sh cells >/dev/null 2>&1
  ls $OUT/$b
done
t "flash3's d=128 non-causal kernel: stall samples per SASS instruction"
NCU=$(command -v ncu || echo /usr/local/cuda/bin/ncu)
timeout 100 "$NCU" -k regex:forward_kernel -c 1 --set full --import-source yes -o "$OUT/flash3-d128" build-gpu/bin/attnscope-cli run \
  --device cuda:0 --tokens 16384 --hidden 2048 --min-samples 1 --max-time 1 --seq 8192 --head-dim 128 --dtype bfloat16 \
  --backends flash3 >"$OUT/ncu-flash3-rep.log" 2>&1 || echo "ncu report failed ($?)"
"$NCU" -i "$OUT/flash3-d128.ncu-rep" --page source --csv --print-source sass >"$OUT/flash3-d128-sass.csv" 2>&1
"$NCU" -i "$OUT/flash3-d128.ncu-rep" --page details >"$OUT/flash3-d128-details.txt" 2>&1
rm -f "$OUT/flash3-d128.ncu-rep"; wc -l "$OUT/flash3-d128-sass.csv"
t done
