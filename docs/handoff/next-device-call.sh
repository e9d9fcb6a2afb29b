#!/usr/bin/env bash
# The device call the next session should make first (~330 s). What is not yet checked on a GPU at main:
#   - the whole GPU suite on the batched CUPTI executor and the kept accuracy reference (2026-12-06 evening: only
#     the 29 tests of the suites touching them ran, on an H200 — 29/29);
#   - why torch-cudnn under triton's do_bench reads 0.84–0.99× of our CUPTI span (not host work: a CUDA-graph
#     replay reads the same); --kernels shows which cuDNN kernels PyTorch launches there and in our harness.
# Also pending, with their own scripts: flash3's committed defaults (kernels/flash3/gpu_run.sh), and on a 2-GPU
# kind scripts/shard_bench.sh (issue 17's ≤ 0.6× target).
#
# Prepare here (no GPU needed), from a checkout at /work/wt/final (the tests compile in absolute paths):
#   cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DATTNSCOPE_WITH_GUI=OFF -DCMAKE_CUDA_ARCHITECTURES=90a-real
#   cmake --build build-gpu -j2
#   mkdir -p /work/main/.gpu/final/tree && git ls-files -co --exclude-standard | grep -v '^docs/results\|\.png$' \
#     | tar -cf - -T - | tar -C /work/main/.gpu/final/tree -xf -
#   tar -cf - build-gpu/bin/attnscope-cli build-gpu/tests/attnscope_gpu_tests build-gpu/tests/attnscope_tests \
#     | xz -T2 -6 > /work/main/.gpu/final/bin.tar.xz
#   cp xformers-0.0.35-py39-none-manylinux_2_28_x86_64.whl /work/main/.gpu/final/   # pip download --no-deps
# Then on the device (carry [".gpu/final"]): bash .gpu/final/tree/docs/handoff/next-device-call.sh
set -o pipefail
export PATH=/usr/local/cuda/bin:$PATH PYTHONUNBUFFERED=1
T0=$(date +%s); t() { echo "== $(( $(date +%s) - T0 )) s: $*"; }
cd .gpu/final/tree && mkdir -p /work/wt && ln -sfn "$PWD" /work/wt/final
tar -xJf ../bin.tar.xz
python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/xf ../xformers-0.0.35-*.whl && export PYTHONPATH=/tmp/xf
TC=$(python3 -c "import nvidia.cudnn as m; print(list(m.__path__)[0] + '/lib')" 2>/dev/null)
[ -f "$TC/libcudnn.so.9" ] && export ATTNSCOPE_CUDNN_LIBRARY="$TC/libcudnn.so.9" LD_LIBRARY_PATH="$TC:${LD_LIBRARY_PATH:-}"
C=build-gpu/bin/attnscope-cli; G=build-gpu/tests/attnscope_gpu_tests
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm --format=csv,noheader
t "the whole GPU suite"
timeout 270 $G --gtest_filter='-GpuFaultSweep.*' > $OUT/gpu_tests.log 2>&1; echo "suite exit $?"
grep -E "^\[  (FAILED|PASSED|SKIPPED) +\]|^\[==========\]" $OUT/gpu_tests.log | cut -c1-200 | head -30
t "library rows at bf16 d=128 N=8k, then do_bench with kernel names"
A="--device cuda:0 --tokens 16384 --hidden 2048 --seq 8192 --head-dim 128 --dtype bfloat16 --backends cudnn,torch-cudnn,torch-flash,triton-flash --stream"
timeout 25 $C run $A > $OUT/lib8k.jsonl 2> $OUT/run.log; timeout 20 $C run $A --causal >> $OUT/lib8k.jsonl 2>> $OUT/run.log
timeout 70 python3 scripts/do_bench_check.py --records $OUT/lib8k.jsonl --kernels 2>&1 | grep -v XFORMERS | tail -40
t done
