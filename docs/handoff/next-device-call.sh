#!/usr/bin/env bash
# The next device call for issue 15 ("call 21", ~4 min on an H100), prepared at the end of 2026-12-07's sixth session.
# Nothing in it needs a rebuild: it measures the committed kernels (main after 4211ec1; call 19's binary, 33 flash3 GPU
# tests passed) to decide the next changes for the cells still short of the bar (kernels/flash3/NOTES.md, "Next"):
#   1. sanity and every flash3 GPU test;
#   2. Nsight Compute stall sampling per SASS instruction of d=128 non-causal 4k (bf16: the 128×128 persistent length
#      tile with the split last round, 1.04× cudnn) and of cudnn's kernel on the same problem;
#   3. the 1k cells and d=128 non-causal 4k by the A B B A protocol (gpu_run.sh abba), both dtypes.
# Prepare here (no GPU needed), from a checkout of main at /work/wt/final (the tests compile in absolute paths):
#   cmake --build build-gpu -j2 --target attnscope-cli attnscope_gpu_tests
#   D=/work/main/.gpu/final; rm -rf $D/tree; mkdir -p $D/tree && git ls-files -co --exclude-standard \
#     | grep -v '^docs/results\|\.png$' | tar -cf - -T - | tar -C $D/tree -xf -
#   tar -cf - build-gpu/bin/attnscope-cli build-gpu/tests/attnscope_gpu_tests | xz -T2 -6 > $D/bin.tar.xz
# Then on the device (carry [".gpu/final"]): bash .gpu/final/tree/docs/handoff/next-device-call.sh
# Earlier calls' scripts: docs/results/issue15-h100-2026-12-07f/callN/run.sh (and -07e for calls 7–14).
set -o pipefail
FINAL_OUT=$OUT; OUT=/tmp/o; mkdir -p $OUT/flash3
export PATH=/usr/local/cuda/bin:$PATH PYTHONUNBUFFERED=1
save() { tar -C /tmp -cJf "$FINAL_OUT/results.tar.xz" o; cp $OUT/flash3/*.md "$FINAL_OUT/" 2>/dev/null; }
T0=$(date +%s); t() { save; echo "== $(( $(date +%s) - T0 )) s: $*"; }
cd .gpu/final/tree && mkdir -p /work/wt && ln -sfn "$PWD" /work/wt/final
tar -xJf ../bin.tar.xz
nvidia-smi --query-gpu=name,clocks.sm,power.draw,power.limit --format=csv,noheader
F3="env OUT=$OUT/flash3 BUILD=build-gpu bash kernels/flash3/gpu_run.sh"
t "flash3 sanity (every kernel once at 1k, 20 s timeout)"
$F3 sanity 2>&1 | tail -3; S=$?
[ "$S" = 0 ] || { t "sanity failed: nothing else runs"; exit 3; }
t "flash3 GPU tests"
TESTS='*Flash3*' TESTS_TIMEOUT=240 timeout 250 $F3 tests 2>&1 | grep -E "FAILED|PASSED|tests exit" | head -12
t "Nsight Compute stall sampling: d=128 non-causal 4k (bf16), flash3 and cudnn"
TC=$(python3 -c "import nvidia.cudnn as m; print(list(m.__path__)[0] + '/lib')" 2>/dev/null)
[ -f "$TC/libcudnn.so.9" ] && export ATTNSCOPE_CUDNN_LIBRARY="$TC/libcudnn.so.9" LD_LIBRARY_PATH="$TC:${LD_LIBRARY_PATH:-}"
NCU=$(command -v ncu || echo /usr/local/cuda/bin/ncu)
for b in "flash3 forward_kernel" "cudnn sdpa|fprop|fmha"; do
  set -- $b
  timeout 100 "$NCU" -k "regex:$2" -c 1 --set full --import-source yes -o "$OUT/$1-d128-4k" build-gpu/bin/attnscope-cli run \
    --device cuda:0 --tokens 16384 --hidden 2048 --min-samples 1 --max-time 1 --seq 4096 --head-dim 128 --dtype bfloat16 \
    --backends $1 >"$OUT/ncu-$1.log" 2>&1 || echo "ncu $1 failed ($?)"
  "$NCU" -i "$OUT/$1-d128-4k.ncu-rep" --page source --csv --print-source sass >"$OUT/$1-d128-4k-sass.csv" 2>&1
  "$NCU" -i "$OUT/$1-d128-4k.ncu-rep" --page details --csv >"$OUT/$1-d128-4k-details.csv" 2>&1
  rm -f "$OUT/$1-d128-4k.ncu-rep"; wc -l "$OUT/$1-d128-4k-sass.csv"
done
t "abba: the 1k cells and d=128 non-causal 4k"
CELLS='bfloat16:0:64,128:1024;float16:0:64,128:1024;bfloat16:1:64,128:1024;float16:1:64,128:1024;bfloat16:0:128:4096;float16:0:128:4096' \
  $F3 abba 2>&1 | grep -E "^\| (bfloat16|float16)"
t done
