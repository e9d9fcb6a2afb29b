#!/usr/bin/env bash
# Issue 13's device call, cut to what ~100 s of device time holds (two earlier starts failed and spent the
# rest of the allowance): library backends with the machine's PyTorch 2.11 / Triton 3.6 and the carried
# xFormers 0.0.35 wheel. Binaries built here (-DATTNSCOPE_WITH_GUI=OFF -DCMAKE_CUDA_ARCHITECTURES=90a-real),
# carried as bin.tar.xz beside the tree. Run from the carried tree's root.
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
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,temperature.gpu --format=csv,noheader
t "standard grid at d=128 (bf16, B·N=16k, H·D=2048), ours and the libraries in one run"
A="--device cuda:0 --tokens 16384 --hidden 2048 --seq 1024:16384:x2 --head-dim 128 --dtype bfloat16 --min-samples 5 --min-time 0.02 --max-time 0.15 --stream
   --backends flash2,flash3,cudnn,mem-efficient,torch-flash,torch-efficient,torch-cudnn,triton-flash"
timeout 25 $C run $A > $OUT/grid_full.jsonl 2> $OUT/run.log; echo "full exit $?"
timeout 22 $C run $A --causal > $OUT/grid_causal.jsonl 2>> $OUT/run.log; echo "causal exit $?"
t "do_bench sanity (bf16 d=128 N=8k)"
timeout 10 python3 scripts/do_bench_check.py --records $OUT/grid_full.jsonl $OUT/grid_causal.jsonl > $OUT/do_bench.txt 2>&1; cat $OUT/do_bench.txt
t "GPU tests (library backends)"
timeout 22 $G --gtest_filter='LibraryBackendsGpu.*' > $OUT/gpu_tests.log 2>&1; echo "gpu tests exit $?"
grep -E "^\[  (FAILED|PASSED|SKIPPED) +\]|^\[ +OK +\]|^\[library" $OUT/gpu_tests.log | cut -c1-200 | head -20
t "seed error: xFormers 0.0.35 on this PyTorch, our reasons and the dispatch view"
{ echo "### python3: xformers.ops.memory_efficient_attention(q, q, q), fp16 [1, 4096, 16, 64]"
  python3 -c "import torch, xformers.ops as xo; q = torch.randn(1, 4096, 16, 64, device='cuda', dtype=torch.float16); xo.memory_efficient_attention(q, q, q)" 2>&1 | tail -22
  echo "### attnscope-cli backends --device cuda:0 --seq 4096 --dtype float32 --head-dim 64"
  timeout 10 $C backends --device cuda:0 --seq 4096 --dtype float32 --head-dim 64 | grep -v "^      memory:"; $C devices; } > $OUT/seed.txt 2>&1
grep -E "No operator found|was built for|would run" $OUT/seed.txt | cut -c1-240 | head -6
python3 scripts/grid_table.py $OUT/grid_full.jsonl $OUT/grid_causal.jsonl --ratio cudnn/torch-cudnn \
  --ratio triton-flash/torch-flash --ratio flash3/torch-cudnn --markdown $OUT/table.md 2>&1 | cut -c1-250
t done
