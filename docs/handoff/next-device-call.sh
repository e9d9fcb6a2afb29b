#!/usr/bin/env bash
# The next device call for issue 15 ("call 15", ~4 min on an H100), prepared at the end of 2026-12-07's fifth session.
# Nothing in it needs a rebuild: it measures the committed kernels (main after ba835f4) to decide the next changes.
#   1. sanity and every flash3 GPU test (32; the kernels are those of call 14, byte-identical SASS);
#   2. d=256 causal on the block grid against its persistent row, both dtypes, 1k-16k (call 7: blocks +4 % from 8k):
#      the evidence for a kLengthTiles row (d=256 causal from 8k keys on blocks);
#   3. Nsight Compute stall sampling per SASS instruction of d=64 causal 4k and d=128 causal 8k (bf16): where the
#      causal kernels' time goes after the softmax order (only d=128 non-causal was sampled, calls 7 and 10).
# Prepare here (no GPU needed), from a checkout of main at /work/wt/final (the tests compile in absolute paths):
#   cmake --build build-gpu -j2 --target attnscope-cli attnscope_gpu_tests
#   D=/work/main/.gpu/final; rm -rf $D/tree; mkdir -p $D/tree && git ls-files -co --exclude-standard \
#     | grep -v '^docs/results\|\.png$' | tar -cf - -T - | tar -C $D/tree -xf -
#   tar -cf - build-gpu/bin/attnscope-cli build-gpu/tests/attnscope_gpu_tests | xz -T2 -6 > $D/bin.tar.xz
# Then on the device (carry [".gpu/final"]): bash .gpu/final/tree/docs/handoff/next-device-call.sh
# Earlier calls' scripts: docs/results/issue15-h100-2026-12-07e/callN/run.sh.
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
TESTS='*Flash3*' TESTS_TIMEOUT=200 timeout 210 $F3 tests 2>&1 | grep -E "FAILED|PASSED|tests exit" | head -12
t "d=256 causal: persistent row against the block grid, both dtypes"
VGRID='blocks:bfloat16:1:256:ATTNSCOPE_FLASH3_GRID=blocks;blocks:float16:1:256:ATTNSCOPE_FLASH3_GRID=blocks' \
  $F3 vgrid >/dev/null 2>&1
CELLS='bfloat16:1:256:1024:16384:x2;float16:1:256:1024:16384:x2' $F3 cells >/dev/null 2>&1
python3 kernels/flash3/table.py grid $OUT/flash3/grid_cells.jsonl $OUT/flash3/vgrid.jsonl | tee $OUT/flash3/d256.md | grep -E "\| 256 \|"
t "Nsight Compute stall sampling: d=64 causal 4k, d=128 causal 8k (bf16)"
NCU=$(command -v ncu || echo /usr/local/cuda/bin/ncu)
for p in "64 4096" "128 8192"; do
  set -- $p
  timeout 100 "$NCU" -k regex:forward_kernel -c 1 --set full --import-source yes -o "$OUT/d$1c" build-gpu/bin/attnscope-cli run \
    --device cuda:0 --tokens 16384 --hidden 2048 --min-samples 1 --max-time 1 --seq $2 --head-dim $1 --dtype bfloat16 --causal \
    --backends flash3 >"$OUT/ncu-d$1c.log" 2>&1 || echo "ncu d=$1 failed ($?)"
  "$NCU" -i "$OUT/d$1c.ncu-rep" --page source --csv --print-source sass >"$OUT/d$1c-sass.csv" 2>&1
  rm -f "$OUT/d$1c.ncu-rep"; wc -l "$OUT/d$1c-sass.csv"
done
t done
