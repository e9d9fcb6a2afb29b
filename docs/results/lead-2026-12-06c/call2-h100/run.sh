#!/usr/bin/env bash
# Second call on the warm machine (after next-device-call.sh extracted the binaries): issue 12's interactive
# phase, then issue 13's standard grid (bf16, d=64 and 128, ours and the libraries in one run), do_bench
# sanity, the seed error and dispatch views.
set -o pipefail
export PATH=/usr/local/cuda/bin:$PATH PYTHONUNBUFFERED=1
T0=$(date +%s); t() { echo "== $(( $(date +%s) - T0 )) s: $*"; }
mkdir -p /work/wt && ln -sfn "$PWD" /work/wt/final
[ -x build-gpu/bin/attnscope-cli ] || tar -xJf .gpu/final/bin.tar.xz
[ -d /tmp/xf/xformers ] || python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/xf .gpu/final/xformers-0.0.35-*.whl
export PYTHONPATH=/tmp/xf
TC=$(python3 -c "import nvidia.cudnn as m; print(list(m.__path__)[0] + '/lib')" 2>/dev/null)
[ -f "$TC/libcudnn.so.9" ] && export ATTNSCOPE_CUDNN_LIBRARY="$TC/libcudnn.so.9" LD_LIBRARY_PATH="$TC:${LD_LIBRARY_PATH:-}"
C=build-gpu/bin/attnscope-cli
t "issue 12: interactive phase"
ATTNSCOPE_BENCH_DEADLINE=$(( $(date +%s) + 200 )) ATTNSCOPE_BENCH_PHASES=interactive ATTNSCOPE_BUILD_DIR=build-gpu \
  bash scripts/gpu_bench.sh 2>&1 | cut -c1-170 | tail -60
t "issue 13: standard grid, bf16, d=64,128, ours and the libraries"
A="--device cuda:0 --tokens 16384 --hidden 2048 --seq 1024:16384:x2 --head-dim 64,128 --dtype bfloat16 --min-samples 5 --min-time 0.02 --max-time 0.1 --stream
   --backends flash2,flash3,cudnn,mem-efficient,torch-flash,torch-efficient,torch-cudnn,triton-flash"
timeout 105 $C run $A > $OUT/grid_full.jsonl 2>> $OUT/run.log; echo "full exit $?"
timeout 95 $C run $A --causal > $OUT/grid_causal.jsonl 2>> $OUT/run.log; echo "causal exit $?"
t "do_bench sanity (bf16 d=128 N=8k)"
timeout 25 python3 scripts/do_bench_check.py --records $OUT/grid_full.jsonl $OUT/grid_causal.jsonl 2>&1 | tail -20
t "seed error and dispatch views"
{ echo "### python3: xformers.ops.memory_efficient_attention(q, q, q), fp16 [1, 4096, 16, 64]"
  python3 -c "import torch, xformers.ops as xo; q = torch.randn(1, 4096, 16, 64, device='cuda', dtype=torch.float16); xo.memory_efficient_attention(q, q, q)" 2>&1 | tail -22
  for a in "--dtype float32 --head-dim 64" "--dtype float16 --head-dim 512"; do
    echo "### attnscope-cli backends --device cuda:0 --seq 4096 $a"
    timeout 40 $C backends --device cuda:0 --seq 4096 $a | grep -v "^      memory:"; done; } > $OUT/seed.txt 2>&1
grep -E "No operator found|was built for|would run|xformers" $OUT/seed.txt | cut -c1-220 | head -12
python3 scripts/grid_table.py $OUT/grid_full.jsonl $OUT/grid_causal.jsonl --ratio cudnn/torch-cudnn \
  --ratio triton-flash/torch-flash --ratio flash3/torch-cudnn 2>&1 | cut -c1-200 | tail -50
t done
