#!/usr/bin/env bash
# Lead's final device call: GPU suite at main 8a99a2d (prebuilt 90a binaries), the fault sweep, and the
# standard grid for flash3 / flash2 / cudnn with PyTorch's cuDNN SDPA on the same shapes.
set -o pipefail
export PATH=/usr/local/cuda/bin:$PATH PYTHONUNBUFFERED=1
T0=$(date +%s); t() { echo "== $(( $(date +%s) - T0 )) s: $*"; }
mkdir -p /work/wt && ln -sfn "$PWD" /work/wt/final          # compiled-in paths (CLI, source dir)
tar -xJf .gpu/final/bin.tar.xz
TC=$(python3 -c "import nvidia.cudnn as m; print(list(m.__path__)[0] + '/lib')" 2>/dev/null)
# Same libcudnn as PyTorch, so the comparison runs one library underneath.
[ -f "$TC/libcudnn.so.9" ] && export ATTNSCOPE_CUDNN_LIBRARY="$TC/libcudnn.so.9" LD_LIBRARY_PATH="$TC:${LD_LIBRARY_PATH:-}"
C=build-gpu/bin/attnscope-cli; G=build-gpu/tests/attnscope_gpu_tests
{ nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,temperature.gpu --format=csv; $C devices; } 2>&1 | tee $OUT/devices.txt
t "GPU suite (all but the fault sweep)"
timeout 100 $G --gtest_filter='-GpuFaultSweep.*' > $OUT/gpu_tests.log 2>&1; echo "suite exit $?"
grep -E "^\[  (FAILED|PASSED|SKIPPED) +\]|^\[==========\]" $OUT/gpu_tests.log | head -40
t "fault sweep"
timeout 75 $G --gtest_filter='GpuFaultSweep.*' > $OUT/fault_sweep.log 2>&1; echo "fault exit $?"
grep -E "^\[ +(OK|FAILED|PASSED|SKIPPED) +\]|Failure|Expected" $OUT/fault_sweep.log | head -12
t "grid"
A="--device cuda:0 --tokens 16384 --hidden 2048 --seq 1024:16384:x2 --head-dim 64,128 --dtype bfloat16 --backends flash3,flash2,cudnn --min-samples 10 --min-time 0.05 --max-time 0.5 --stream"
timeout 35 $C run $A > $OUT/bench_full.jsonl 2> $OUT/run.log; echo "full exit $?"
timeout 35 $C run $A --causal > $OUT/bench_causal.jsonl 2>> $OUT/run.log; echo "causal exit $?"
t "torch cudnn"
timeout 25 python3 scripts/torch_sdpa_bench.py --json $OUT/torch_sdpa.json --seq 1024,2048,4096,8192,16384 --head-dim 64,128 \
  --dtype bfloat16 --backends cudnn --min-samples 10 --min-time 0.05 --max-time 0.5 >> $OUT/run.log 2>&1; echo "torch exit $?"
python3 scripts/bench_table.py --ours $OUT/bench_full.jsonl $OUT/bench_causal.jsonl --torch $OUT/torch_sdpa.json --markdown $OUT/table.md 2>&1 | tail -45
t done
