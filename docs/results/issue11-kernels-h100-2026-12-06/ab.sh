#!/usr/bin/env bash
# Issue 11, item 5 (one attention step in kernels/common/): what the one device call ran.
#   ab.sh BEFORE_DIR AFTER_DIR OUT_DIR
# Each DIR holds attnscope-cli and attnscope_gpu_tests built here (90a-real, GUI off) from main before
# the change (2d35b7c) and from the change. First the GPU tests of every touched backend on the after
# build, then the affected kernels' benchmarks as A/B/A/B (before, after, before, after) in one call,
# so A vs A gives the run-to-run spread.
set -uo pipefail
before=${1:?before dir} after=${2:?after dir} out=${3:?out dir}
common=(--device cuda:0 --stream --min-samples 10 --min-time 0.05 --max-time 1)
grid=(--tokens 16384 --hidden 2048 --seq 1024:16384:x2 --head-dim 64,128 --dtype bfloat16,float32
      --backends flash2,mem-efficient)
decode=(--heads 32 --kv-heads 8 --q-len 1 --kv-len 8192,65536 --head-dim 128 --dtype bfloat16
        --backends split-kv-decode)

timeout 90 "$after/attnscope_gpu_tests" --gtest_filter='*Flash2*:*MemEfficient*:*SplitKv*:*SmallK*:*GpuBackend*' \
  > "$out/gpu_tests.log" 2>&1
echo "gpu tests: rc=$? $(grep -E '^\[  (PASSED|FAILED)  \]' "$out/gpu_tests.log" | tr '\n' ' ')"

for phase in A1 B1 A2 B2; do
  case $phase in A*) dir=$before ;; *) dir=$after ;; esac
  start=$(date +%s)
  {
    "$dir/attnscope-cli" run "${common[@]}" "${grid[@]}"
    "$dir/attnscope-cli" run "${common[@]}" "${grid[@]}" --causal
    "$dir/attnscope-cli" run "${common[@]}" "${decode[@]}" --batch 1
    "$dir/attnscope-cli" run "${common[@]}" "${decode[@]}" --batch 16
  } > "$out/$phase.jsonl" 2>> "$out/stderr.log"
  echo "$phase ($dir): $(grep -c '"type":"record"' "$out/$phase.jsonl") records in $(( $(date +%s) - start )) s"
done
