#!/usr/bin/env bash
# One device call for flash3 (prebuilt binaries carried in BUILD, nothing compiled there): the flash3 GPU
# tests (with the SASS check), the standard grid at bfloat16 for flash3 and flash2, causal and not,
# PyTorch's cuDNN SDPA on the same shapes, the schedule ladder at bf16 d=128 N=8k, and a table last.
#   OUT=dir kernels/flash3/gpu_run.sh [BUILD]        (run from the repository root)
set -uo pipefail
BUILD="${1:-build}"
OUT="${OUT:-$PWD/flash3-out}"
mkdir -p "$OUT"
CLI="$BUILD/bin/attnscope-cli"
ARGS=(--device cuda:0 --tokens 16384 --hidden 2048 --dtype bfloat16 --min-samples 10 --min-time 0.05 --max-time 1)
nvidia-smi --query-gpu=name,clocks.sm,clocks.max.sm,power.draw,temperature.gpu --format=csv | tee "$OUT/tests.log"
timeout 60 "$BUILD/tests/attnscope_gpu_tests" --gtest_filter='*Flash3*' --gtest_brief=1 2>&1 | tail -60 | tee -a "$OUT/tests.log"
echo "tests exit code ${PIPESTATUS[0]}" | tee -a "$OUT/tests.log"
# Registers, shared memory and stack of every flash3 kernel as compiled (the carried binary).
/usr/local/cuda/bin/cuobjdump --dump-resource-usage "$BUILD/tests/attnscope_gpu_tests" 2>&1 | grep -A1 "flash3" >"$OUT/resources.txt"
for causal in full causal; do
  flag=(); [[ $causal == causal ]] && flag=(--causal)
  timeout 35 "$CLI" run "${ARGS[@]}" --seq 1024:16384:x2 --head-dim 64,128 "${flag[@]}" --backends flash3,flash2 --stream \
    >"$OUT/bench_$causal.jsonl" 2>>"$OUT/tests.log"
done
# The ladder: each schedule at bf16 d=128 N=8k (B=2, H=16), causal and not.
for schedule in serial overlap pingpong; do
  for causal in full causal; do
    flag=(); [[ $causal == causal ]] && flag=(--causal)
    ATTNSCOPE_FLASH3_SCHEDULE=$schedule timeout 8 "$CLI" run "${ARGS[@]}" --seq 8192 --head-dim 128 "${flag[@]}" \
      --backends flash3 --stream | sed "s/^{/{\"schedule\":\"$schedule\",/" >>"$OUT/ladder.jsonl" 2>>"$OUT/tests.log"
  done
done
timeout 30 python3 scripts/torch_sdpa_bench.py --json "$OUT/torch_cudnn.json" --backends cudnn --dtype bfloat16 \
  --seq 1024,2048,4096,8192,16384 --min-samples 10 --min-time 0.05 --max-time 1 >"$OUT/torch.log" 2>&1
python3 kernels/flash3/table.py "$OUT" | tee "$OUT/table.md"
