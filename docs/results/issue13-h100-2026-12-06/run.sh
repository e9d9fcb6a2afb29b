#!/usr/bin/env bash
# Issue 13's device call: library backends on the H100 with the machine's PyTorch 2.11 / Triton 3.6 and the
# carried xFormers 0.0.35 wheel. Binaries built here (-DATTNSCOPE_WITH_GUI=OFF -DCMAKE_CUDA_ARCHITECTURES=90a-real)
# and carried as bin.tar.xz beside the tree. Run from the carried tree's root.
set -o pipefail
export PATH=/usr/local/cuda/bin:$PATH PYTHONUNBUFFERED=1
T0=$(date +%s); t() { echo "== $(( $(date +%s) - T0 )) s: $*"; }
mkdir -p /work/wt && ln -sfn "$PWD" /work/wt/libs            # compiled-in paths (CLI, bridge, source dir)
tar -xJf bin.tar.xz
python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/xf xformers-0.0.35-*.whl && export PYTHONPATH=/tmp/xf
TC=$(python3 -c "import nvidia.cudnn as m; print(list(m.__path__)[0] + '/lib')" 2>/dev/null)
# Our cudnn and torch-cudnn on one libcudnn (PyTorch's).
[ -f "$TC/libcudnn.so.9" ] && export ATTNSCOPE_CUDNN_LIBRARY="$TC/libcudnn.so.9" LD_LIBRARY_PATH="$TC:${LD_LIBRARY_PATH:-}"
C=build-gpu/bin/attnscope-cli; G=build-gpu/tests/attnscope_gpu_tests
{ ldd $C | grep "not found"
  python3 -c "import sys, sysconfig as s; print(sys.executable, sys.version.split()[0], s.get_config_var('LIBDIR'), s.get_config_var('INSTSONAME'), 'shared' if s.get_config_var('Py_ENABLE_SHARED') else 'static')"
  nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,temperature.gpu --format=csv; $C devices
  python3 -m xformers.info 2>&1 | grep -E "^(xFormers|memory_efficient_attention\.[a-zA-Z0-9]+F|pytorch|build\.(torch|python|cuda)_version|gpu)"; } > $OUT/devices.txt 2>&1
t "GPU tests (library backends)"
timeout ${GT:-90} $G --gtest_filter='LibraryBackendsGpu.*' > $OUT/gpu_tests.log 2>&1; echo "gpu tests exit $?"
grep -E "^\[  (FAILED|PASSED|SKIPPED|  OK) +\]|^\[library|^\[==========\]" $OUT/gpu_tests.log | head -30
t "seed error: xFormers 0.0.35 on this PyTorch, and the dispatch view"
{ echo "### python3: xformers.ops.memory_efficient_attention(q, k, v), fp16 [1, 4096, 16, 64]"
  python3 -c "import torch, xformers.ops as xo; q = torch.randn(1, 4096, 16, 64, device='cuda', dtype=torch.float16); xo.memory_efficient_attention(q, q, q)" 2>&1 | tail -25
  for a in "--dtype float32 --head-dim 64" "--dtype float16 --head-dim 512"; do
    echo "### attnscope-cli backends --device cuda:0 --seq 4096 $a"; timeout 60 $C backends --device cuda:0 --seq 4096 $a; done; } > $OUT/seed.txt 2>&1
grep -E "No operator found|was built for|would run" $OUT/seed.txt | head -8
LIBS=$(PYTHONPATH=kernels/python_libs:$PYTHONPATH python3 -c "from attnscope_libs import bridge; print(','.join(i for i in bridge.backends() if i != 'torch-math'))" 2>/dev/null)
echo "library backends: $LIBS"
t "standard grid, ours and the libraries in one run"
A="--device cuda:0 --tokens 16384 --hidden 2048 --seq 1024:16384:x2 --head-dim 64,128 --dtype bfloat16 --backends flash2,flash3,cudnn,mem-efficient,$LIBS --min-samples 10 --min-time 0.05 --max-time 0.5 --stream"
timeout ${GR:-80} $C run $A > $OUT/grid_full.jsonl 2> $OUT/run.log; echo "full exit $?"
timeout ${GR:-80} $C run $A --causal > $OUT/grid_causal.jsonl 2>> $OUT/run.log; echo "causal exit $?"
t "do_bench sanity (bf16 d=128 N=8k)"
timeout 45 python3 scripts/do_bench_check.py --records $OUT/grid_full.jsonl $OUT/grid_causal.jsonl 2>&1 | tee -a $OUT/run.log | tail -15
python3 scripts/grid_table.py $OUT/grid_full.jsonl $OUT/grid_causal.jsonl --hide-ineligible --ratio cudnn/torch-cudnn \
  --ratio triton-flash/torch-flash --ratio flash3/torch-cudnn --markdown $OUT/table.md 2>&1 | tail -25
t done
