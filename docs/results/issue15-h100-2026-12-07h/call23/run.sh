#!/usr/bin/env bash
# Call A (issue 15, 2026-12-07 eighth session): the stale-maximum softmax (s1: O rescaled every step; s2: only when a
# row's maximum grew by more than 2^8), the tree row maximum alone (v1), against main (base), bf16, A B C D D C B A per
# cell group with the same time budget each (no early stop), cudnn beside; then the alternatives 128x128x3p (d=128
# non-causal) and 128x128x4p (d=64 causal); then s2's GPU tests.
# (Recorded after the call; it ran from .gpu/exp with .gpu/final's main binary. s1 and s2 had no overflow guard: a row
# maximum jumping by 2^128 would have overflowed. v1 also compiled the alternative tile 128x128x3p.)
set -o pipefail
FINAL_OUT=$OUT; O=/tmp/o; mkdir -p $O
export PATH=/usr/local/cuda/bin:$PATH PYTHONUNBUFFERED=1
save() { tar -C /tmp -cJf "$FINAL_OUT/results.tar.xz" o; }
T0=$(date +%s); t() { save; echo "== $(( $(date +%s) - T0 )) s: $*"; }
R=$PWD; E=$R/.gpu/exp; F=$R/.gpu/final
mkdir -p /tmp/base && tar -C /tmp/base -xJf $F/bin.tar.xz && tar -C $E -xJf $E/bins.tar.xz
declare -A CLI=([base]=/tmp/base/build-gpu/bin/attnscope-cli [v1]=$E/v1/attnscope-cli [s1]=$E/s1/attnscope-cli [s2]=$E/s2/attnscope-cli)
chmod +x $E/*/attnscope-cli $E/*/attnscope_gpu_tests
TC=$(python3 -c "import nvidia.cudnn as m; print(list(m.__path__)[0] + '/lib')" 2>/dev/null)
[ -f "$TC/libcudnn.so.9" ] && export ATTNSCOPE_CUDNN_LIBRARY="$TC/libcudnn.so.9" LD_LIBRARY_PATH="$TC:${LD_LIBRARY_PATH:-}"
nvidia-smi --query-gpu=name,clocks.sm,clocks.max.sm,power.draw,power.limit,temperature.gpu --format=csv,noheader | tee $O/env.txt
tag() { sed "s/\"backend\":\"\([^\"[]*\)\"/\"backend\":\"\1[$1]\"/"; }
run() {  # run <binary key> <tag> <dtype> <d> <causal 0|1> <seq> <backends> [env...]
  local k=$1 tg=$2 dt=$3 d=$4 c=$5 seq=$6 b=$7; shift 7
  local flag=(); [[ $c == 1 ]] && flag=(--causal)
  env "$@" timeout 60 "${CLI[$k]}" run --device cuda:0 --tokens 16384 --hidden 2048 --min-samples 10 --min-time 0 \
    --max-time 0.15 --noise 0.0001 --no-check --stream --seq "$seq" --head-dim $d --dtype $dt "${flag[@]}" --backends $b \
    2>>$O/run.log | tag $tg >>$O/ab.jsonl
}
t "sanity: s2 and s1 at 1k, d=64/128, both masks, checked against fp64"
for k in s2 s1; do for c in "" --causal; do
  timeout 30 "${CLI[$k]}" run --device cuda:0 --tokens 16384 --hidden 2048 --seq 1024 --head-dim 64,128 --dtype bfloat16 $c \
    --backends flash3 2>>$O/run.log | tag $k >>$O/sanity.jsonl || echo "sanity $k $c failed ($?)"
done; done
grep -o '"backend":"[^"]*"\|"status":"[a-z_]*"\|"pass":[a-z]*\|"tflops":[0-9.]*' $O/sanity.jsonl | paste - - - - | sort | uniq -c
t "A B C D D C B A: d=128 non-causal and causal 1k-4k, d=64 causal and non-causal 1k-4k (bf16)"
for cell in "128 0" "128 1" "64 1" "64 0"; do
  set -- $cell
  for k in base v1 s1 s2 s2 s1 v1 base; do run $k $k-$((++n[$1$2])) bfloat16 $1 $2 1024:4096:x2 flash3; done
  run base cudnn bfloat16 $1 $2 1024:4096:x2 cudnn
done
t "alternatives (bf16): 128x128x3p at d=128 non-causal (v1), 128x128x4p at d=64 causal (base), beside the rows"
run v1 alt3p-v1 bfloat16 128 0 1024:4096:x2 flash3 ATTNSCOPE_FLASH3_TILE=128x128x3p
run v1 row-v1 bfloat16 128 0 1024:4096:x2 flash3
run base alt4p-base bfloat16 64 1 1024:4096:x2 flash3 ATTNSCOPE_FLASH3_TILE=128x128x4p
run base row-base bfloat16 64 1 1024:4096:x2 flash3
run base alt4p-base2 bfloat16 64 1 1024:4096:x2 flash3 ATTNSCOPE_FLASH3_TILE=128x128x4p
t "s2's flash3 GPU tests"
mkdir -p /work/wt/exp/build-gpu/bin && ln -sfn $R/kernels /work/wt/exp/kernels && cp ${CLI[s2]} /work/wt/exp/build-gpu/bin/attnscope-cli
mkdir -p /work/wt && ln -sfn $R /work/wt/final 2>/dev/null
timeout 200 $E/s2/attnscope_gpu_tests --gtest_filter='*Flash3*' > $O/tests-s2.log 2>&1; echo "tests exit $?"
grep -E "^\[  (FAILED|PASSED|SKIPPED) +\]|^\[==========\]" $O/tests-s2.log | head -20
t done
