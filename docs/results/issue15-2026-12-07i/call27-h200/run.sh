#!/usr/bin/env bash
# Call 27 (issue 15, 2026-12-07 ninth session; ran on an H200: no H100 could be started): the causal ragged first tile trimmed to its own rows (candidate, the 31
# causal kernels changed, the 35 others byte-identical to main's) — sanity, the flash3 GPU tests, then gpu_run.sh's
# rotate step (V1 … Vn Vn … V1, 0.2 s each): main / candidate / cudnn on causal cells; d=128 non-causal from 8k on its
# row (128×176) / the 128×128 length tile (LENGTH=always) / cudnn; d=64 non-causal 1k on the persistent grid / blocks /
# the last round whole / cudnn.
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
t "flash3 GPU tests (the candidate)"
TESTS='*Flash3*' TESTS_TIMEOUT=240 timeout 250 $F3 tests 2>&1 | grep -E "FAILED|PASSED|tests exit" | head -12
t "causal: main / candidate / cudnn"
CELLS="bfloat16:1:64:1024;float16:1:64:1024;bfloat16:1:64:2048;bfloat16:1:64:4096;bfloat16:1:128:1024" \
  ROTATE="main|/tmp/base-cli||;cand|||;cudnn||cudnn|" ABBA_TIME=0.2 $F3 rotate 2>&1 | grep -E "^\| (dtype|bfloat16|float16)"
mv $OUT/flash3/rotate.jsonl $OUT/flash3/rotate-causal.jsonl; mv $OUT/flash3/rotate.md $OUT/flash3/rotate-causal.md
t "d=128 non-causal from 8k: 128x176 row / 128x128 length tile / cudnn"
CELLS="bfloat16:0:128:8192;bfloat16:0:128:16384;float16:0:128:8192;float16:0:128:16384" \
  ROTATE="row|||;len128|||ATTNSCOPE_FLASH3_LENGTH=always;cudnn||cudnn|" ABBA_TIME=0.2 $F3 rotate 2>&1 | grep -E "^\| (dtype|bfloat16|float16)"
mv $OUT/flash3/rotate.jsonl $OUT/flash3/rotate-d128.jsonl; mv $OUT/flash3/rotate.md $OUT/flash3/rotate-d128.md
t "d=64 non-causal 1k: persistent / blocks / last round whole / cudnn"
CELLS="bfloat16:0:64:1024;float16:0:64:1024" \
  ROTATE="row|||;blocks|||ATTNSCOPE_FLASH3_GRID=blocks;whole|||ATTNSCOPE_FLASH3_SPLIT=off;cudnn||cudnn|" ABBA_TIME=0.2 $F3 rotate 2>&1 \
  | grep -E "^\| (dtype|bfloat16|float16)"
mv $OUT/flash3/rotate.jsonl $OUT/flash3/rotate-d64.jsonl; mv $OUT/flash3/rotate.md $OUT/flash3/rotate-d64.md
t done
