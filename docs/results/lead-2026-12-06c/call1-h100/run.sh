#!/usr/bin/env bash
# The device call the 2026-12-06 session prepared and could not make (its device time ran out after machine
# starts failed): it verifies on a GPU what landed after the last green GPU suite (c53e9c6) — the run-time
# loaded CUDA libraries (static cudart; CUPTI, cuBLAS, driver and NVML through engine/cuda/dynamic_library),
# the library backends' GPU tests, flash3 at main, sharded runs (GpuShardedRun), Record::phase_s — then issue
# 14's grid (our cudnn against PyTorch's cuDNN, both timed by our CUPTI harness) and `backends --plans`.
#
# Prepare here (no GPU needed), from a checkout at /work/wt/final (the tests compile in absolute paths):
#   cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DATTNSCOPE_WITH_GUI=OFF -DCMAKE_CUDA_ARCHITECTURES=90a-real
#   cmake --build build-gpu -j2
#   mkdir -p .gpu/final && tar -cf - build-gpu/bin/attnscope-cli build-gpu/tests/attnscope_gpu_tests \
#     build-gpu/tests/attnscope_tests | xz -T2 -6 > .gpu/final/bin.tar.xz
#   cp xformers-0.0.35-py39-none-manylinux_2_28_x86_64.whl .gpu/final/   # from PyPI (pip download --no-deps)
#   cp docs/handoff/next-device-call.sh .gpu/final/                       # `.gpu/` is ignored: carry it
# Then on the device (carry [".gpu/final"]): bash .gpu/final/next-device-call.sh   (~300 s)
# Afterwards: the interactive phase for issue 12 (ATTNSCOPE_BENCH_PHASES=interactive ATTNSCOPE_BUILD_DIR=build-gpu
# scripts/gpu_bench.sh) and the rest of issue 13's grid (docs/results/issue13-h100-2026-12-06/run.sh, longer caps).
set -o pipefail
export PATH=/usr/local/cuda/bin:$PATH PYTHONUNBUFFERED=1
T0=$(date +%s); t() { echo "== $(( $(date +%s) - T0 )) s: $*"; }
mkdir -p /work/wt && ln -sfn "$PWD" /work/wt/final
tar -xJf .gpu/final/bin.tar.xz
python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/xf .gpu/final/xformers-0.0.35-*.whl && export PYTHONPATH=/tmp/xf
TC=$(python3 -c "import nvidia.cudnn as m; print(list(m.__path__)[0] + '/lib')" 2>/dev/null)
[ -f "$TC/libcudnn.so.9" ] && export ATTNSCOPE_CUDNN_LIBRARY="$TC/libcudnn.so.9" LD_LIBRARY_PATH="$TC:${LD_LIBRARY_PATH:-}"
C=build-gpu/bin/attnscope-cli; G=build-gpu/tests/attnscope_gpu_tests
{ nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm --format=csv,noheader
  echo "ldd (cud|cupti|cublas):"; ldd $C | grep -E 'cud|cupti|cublas'; echo "--"; $C devices; } > $OUT/devices.txt 2>&1
tail -8 $OUT/devices.txt | cut -c1-160
t suite
timeout 200 $G --gtest_filter='-GpuFaultSweep.*' > $OUT/gpu_tests.log 2>&1; echo "suite exit $?"
grep -E "^\[  (FAILED|PASSED|SKIPPED) +\]|^\[==========\]|\[ info \]" $OUT/gpu_tests.log | cut -c1-200 | head -30
t "issue 14: cudnn and torch-cudnn, one harness"
A="--device cuda:0 --tokens 16384 --hidden 2048 --seq 1024:16384:x2 --head-dim 64,128 --dtype bfloat16,float16 --backends cudnn,torch-cudnn --min-samples 5 --min-time 0.02 --max-time 0.1 --stream"
timeout 32 $C run $A > $OUT/cudnn_full.jsonl 2> $OUT/run.log; echo "full exit $?"
timeout 32 $C run $A --causal > $OUT/cudnn_causal.jsonl 2>> $OUT/run.log; echo "causal exit $?"
python3 scripts/grid_table.py $OUT/cudnn_full.jsonl $OUT/cudnn_causal.jsonl --ratio cudnn/torch-cudnn 2>&1 | cut -c1-160 | tail -42
t "records and plans"
timeout 15 $C run --device cuda:0 --seq 2048 --head-dim 128 --dtype bfloat16 --backends cublas-math,flash3 \
  --min-samples 3 --min-time 0.01 --max-time 0.1 --stream > /tmp/check.jsonl 2>> $OUT/run.log; echo "run exit $?"
python3 - /tmp/check.jsonl <<'PY'
import json, sys
for l in open(sys.argv[1]):
    m = json.loads(l)
    if m.get('type') == 'start': print('timer', m['device'].get('timer'), '|', m['device'].get('timer_note'))
    if m.get('type') == 'record':
        r = m['record']
        print(r['backend'], r['status'], round(r.get('tflops') or 0, 1), r.get('memory', {}).get('method'), len(r.get('kernels', [])), [k[:40] for k in r.get('kernels', [])][:2])
PY
ATTNSCOPE_PYTHON=none timeout 15 $C backends --plans --device cuda:0 --seq 8192 --head-dim 128 --dtype bfloat16 > /tmp/plans.txt 2>&1; echo "plans exit $?"
grep -E "plans \(" /tmp/plans.txt | cut -c1-200
t done
