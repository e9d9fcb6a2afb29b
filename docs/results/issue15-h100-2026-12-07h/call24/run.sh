#!/usr/bin/env bash
# Call B (issue 15, 2026-12-07 eighth session): the candidate of candidate-precheck.patch (applies to 11cf16e;
# kStaleMax for d=128 with a check before the exp2s that sent a warp whose scores would overflow down the plain
# softmax; the tree row maximum everywhere): sanity, the whole standard grid in both dtypes beside cudnn and main's binary (BEFORE), A B C C B A of
# main / s2 (call 23's experiment, no overflow guard) / the candidate at d=128, the flash3 GPU tests, d=256.
# (Recorded after the call from call 25's script, which only reordered the steps and renamed the candidate.)
set -o pipefail
FINAL_OUT=$OUT; OUT=/tmp/o; mkdir -p $OUT/flash3
export PATH=/usr/local/cuda/bin:$PATH PYTHONUNBUFFERED=1
save() { tar -C /tmp -cJf "$FINAL_OUT/results.tar.xz" o; }
T0=$(date +%s); t() { save; echo "== $(( $(date +%s) - T0 )) s: $*"; }
R=$PWD; B=$R/.gpu/b
mkdir -p /tmp/base && tar -C /tmp/base -xJf $R/.gpu/final/bin.tar.xz
xz -dc $B/s2cli.xz > /tmp/s2cli && chmod +x /tmp/s2cli
cd $B/tree && mkdir -p /work/wt && ln -sfn "$PWD" /work/wt/exp && ln -sfn "$PWD" /work/wt/final && tar -xJf ../bin.tar.xz
nvidia-smi --query-gpu=name,clocks.sm,power.draw,power.limit --format=csv,noheader
F3="env OUT=$OUT/flash3 BUILD=build-gpu bash kernels/flash3/gpu_run.sh"
t "sanity"
$F3 sanity 2>&1 | tail -3; S=$?
[ "$S" = 0 ] || { t "sanity failed: nothing else runs"; exit 3; }
t "the standard grid, d=64 and 128, both dtypes: flash3, cudnn, main's flash3 (before)"
DTYPES="bfloat16 float16" GRID_BACKENDS=flash3,cudnn BEFORE=/tmp/base/build-gpu/bin/attnscope-cli $F3 grid 2>&1 | grep -E "^\| (bfloat16|float16)"
t "A B C C B A at d=128 (bf16, same time budget each): main, s2, candidate"
declare -A CLI=([base]=/tmp/base/build-gpu/bin/attnscope-cli [s2]=/tmp/s2cli [s3]=build-gpu/bin/attnscope-cli)
TC=$(python3 -c "import nvidia.cudnn as m; print(list(m.__path__)[0] + '/lib')" 2>/dev/null)
for c in "" --causal; do
  for k in base s2 s3 s3 s2 base; do
    n=$((n + 1)); timeout 60 "${CLI[$k]}" run --device cuda:0 --tokens 16384 --hidden 2048 --min-samples 10 --min-time 0 --max-time 0.15 \
      --noise 0.0001 --no-check --stream --seq 1024:16384:x2 --head-dim 128 --dtype bfloat16 $c --backends flash3 2>>$OUT/run.log \
      | sed "s/\"backend\":\"flash3\"/\"backend\":\"flash3[$k-$n]\"/" >>$OUT/ab.jsonl
  done
done
t "flash3 GPU tests (the candidate)"
TESTS='*Flash3*' TESTS_TIMEOUT=240 timeout 250 $F3 tests 2>&1 | grep -E "FAILED|PASSED|tests exit" | head -12
t "d=256, both dtypes"
DTYPES="bfloat16 float16" $F3 d256 2>&1 | grep -E "^\| (bfloat16|float16)"
t done
