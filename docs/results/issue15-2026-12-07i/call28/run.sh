#!/usr/bin/env bash
# Call 28 (issue 15, 2026-12-07 ninth session): the committed kernels and choice (7c540b6: the causal ragged first tile on
# its own rows, d=128 non-causal on 128x128 at every length) — sanity, the flash3 GPU tests, the short cells in rotation
# (main / new / cudnn, 0.2 s each), the standard grid in both dtypes beside cudnn and main's binary (BEFORE), and d=128
# causal 16k on its length tile (128x176) / the row (LENGTH=off) / cudnn.
set -o pipefail
FINAL_OUT=$OUT; OUT=/tmp/o; mkdir -p $OUT/flash3
export PATH=/usr/local/cuda/bin:$PATH PYTHONUNBUFFERED=1
save() { tar -C /tmp -cJf "$FINAL_OUT/results.tar.xz" o; cp $OUT/flash3/*.md "$FINAL_OUT/" 2>/dev/null; }
T0=$(date +%s); t() { save; echo "== $(( $(date +%s) - T0 )) s: $*"; }
R=$PWD/.gpu/final
xz -dc $R/base-cli.xz > /tmp/base-cli && chmod +x /tmp/base-cli
cd $R/tree && mkdir -p /work/wt && ln -sfn "$PWD" /work/wt/final && tar -xJf ../bin.tar.xz
nvidia-smi --query-gpu=name,clocks.sm,power.draw,power.limit --format=csv,noheader
F3="env OUT=$OUT/flash3 BUILD=build-gpu bash kernels/flash3/gpu_run.sh"
t "sanity"
$F3 sanity 2>&1 | tail -3; S=$?
[ "$S" = 0 ] || { t "sanity failed: nothing else runs"; exit 3; }
t "flash3 GPU tests"
TESTS='*Flash3*' TESTS_TIMEOUT=240 timeout 250 $F3 tests 2>&1 | grep -E "FAILED|PASSED|tests exit" | head -12
t "the short cells: main / new / cudnn"
CELLS="bfloat16:0:128:8192;bfloat16:0:128:16384;float16:0:128:8192;float16:0:128:16384;bfloat16:0:64:1024;float16:0:64:1024;bfloat16:1:64:1024;float16:1:64:1024" \
  ROTATE="main|/tmp/base-cli||;new|||;cudnn||cudnn|" ABBA_TIME=0.2 $F3 rotate 2>&1 | grep -E "^\| (dtype|bfloat16|float16)"
mv $OUT/flash3/rotate.jsonl $OUT/flash3/rotate-short.jsonl; mv $OUT/flash3/rotate.md $OUT/flash3/rotate-short.md
t "the standard grid, d=64 and 128, both dtypes: flash3, cudnn, main's flash3 (before)"
DTYPES="bfloat16 float16" GRID_BACKENDS=flash3,cudnn BEFORE=/tmp/base-cli $F3 grid 2>&1 | grep -E "^\| (bfloat16|float16)"
t "d=128 causal 16k: length tile 128x176 / row 128x128 / cudnn"
CELLS="bfloat16:1:128:16384;float16:1:128:16384" \
  ROTATE="len176|||;row128|||ATTNSCOPE_FLASH3_LENGTH=off;cudnn||cudnn|" ABBA_TIME=0.2 $F3 rotate 2>&1 | grep -E "^\| (dtype|bfloat16|float16)"
mv $OUT/flash3/rotate.jsonl $OUT/flash3/rotate-causal16k.jsonl; mv $OUT/flash3/rotate.md $OUT/flash3/rotate-causal16k.md
t done
