#!/usr/bin/env bash
# GPU suite at main f881f34/c53e9c6 (prebuilt 90a binaries; c53e9c6 changed only CPU/GUI tests), then the fp16 grid
# for cudnn/flash2/flash3 (issue 14 asks for fp16 too).
set -o pipefail
export PATH=/usr/local/cuda/bin:$PATH
T0=$(date +%s); t() { echo "== $(( $(date +%s) - T0 )) s: $*"; }
mkdir -p /work/wt && ln -sfn "$PWD" /work/wt/final
tar -xJf .gpu/final/bin.tar.xz
TC=$(python3 -c "import nvidia.cudnn as m; print(list(m.__path__)[0] + '/lib')" 2>/dev/null)
[ -f "$TC/libcudnn.so.9" ] && export ATTNSCOPE_CUDNN_LIBRARY="$TC/libcudnn.so.9" LD_LIBRARY_PATH="$TC:${LD_LIBRARY_PATH:-}"
C=build-gpu/bin/attnscope-cli; G=build-gpu/tests/attnscope_gpu_tests
{ nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,temperature.gpu --format=csv; $C devices; } > $OUT/devices.txt 2>&1
t suite
timeout 150 $G --gtest_filter='-GpuFaultSweep.*' > $OUT/gpu_tests.log 2>&1; echo "suite exit $?"
grep -E "^\[  (FAILED|PASSED|SKIPPED) +\]|^\[==========\]" $OUT/gpu_tests.log | head -40
t grid
A="--device cuda:0 --tokens 16384 --hidden 2048 --seq 1024:16384:x2 --head-dim 64,128 --dtype float16 --backends flash3,flash2,cudnn --min-samples 10 --min-time 0.05 --max-time 0.5 --stream"
timeout 40 $C run $A > $OUT/bench_fp16.jsonl 2> $OUT/run.log; echo "full exit $?"
timeout 40 $C run $A --causal > $OUT/bench_fp16_causal.jsonl 2>> $OUT/run.log; echo "causal exit $?"
t torch
timeout 30 python3 scripts/torch_sdpa_bench.py --json $OUT/torch_sdpa_fp16.json --seq 1024,2048,4096,8192,16384 --head-dim 64,128 \
  --dtype float16 --backends cudnn --min-samples 10 --min-time 0.05 --max-time 0.5 >> $OUT/run.log 2>&1; echo "torch exit $?"
python3 scripts/bench_table.py --ours $OUT/bench_fp16.jsonl $OUT/bench_fp16_causal.jsonl --torch $OUT/torch_sdpa_fp16.json --markdown $OUT/table.md 2>&1 | tail -30
t done
