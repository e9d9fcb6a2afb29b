#!/usr/bin/env bash
# Call 26 (issue 15, 2026-12-07 eighth session): the committed kernels (main 0d68a2a; SASS identical to call 25's) on the
# cells call 25 left short, by gpu_run.sh abba (flash3, cudnn, cudnn, flash3 with equal 0.2 s budgets).
set -o pipefail
FINAL_OUT=$OUT; OUT=/tmp/o; mkdir -p $OUT/flash3
export PATH=/usr/local/cuda/bin:$PATH PYTHONUNBUFFERED=1
save() { tar -C /tmp -cJf "$FINAL_OUT/results.tar.xz" o; }
T0=$(date +%s); t() { save; echo "== $(( $(date +%s) - T0 )) s: $*"; }
cd .gpu/final/tree && tar -xJf ../bin.tar.xz
nvidia-smi --query-gpu=name,clocks.sm,power.draw,power.limit --format=csv,noheader
F3="env OUT=$OUT/flash3 BUILD=build-gpu bash kernels/flash3/gpu_run.sh"
t "the short cells, A B B A"
CELLS="bfloat16:0:128:8192;bfloat16:0:128:16384;float16:0:128:8192;bfloat16:0:64:1024;float16:0:64:1024;bfloat16:1:64:1024;float16:1:64:1024" \
  ABBA_TIME=0.2 $F3 abba 2>&1 | grep -E "^\| (bfloat16|float16)"
t done
