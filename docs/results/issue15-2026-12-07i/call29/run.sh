#!/usr/bin/env bash
# Outcome: the candidate passed every flash3 GPU test (35/35) but measured 0.98-1.00x the final kernels at d=64 non-causal (rotate-d64.md); it is not kept (ragged-split.patch applies to 0c794ce).
# Call 29 (issue 15, 2026-12-07 ninth session): the candidate splitting d=64's ragged non-causal tile by key steps over
# its three consumers (TileShape::splits_ragged_tile; the two d=64 non-causal persistent kernels changed, the other 62
# identical to 0c794ce's, "final") — sanity, the flash3 GPU tests, in rotation (0.2 s each) d=64 non-causal final /
# candidate / cudnn (1k, 4k and 16k have a ragged tile of 64 rows, 2k and 8k none), the standard grid in both dtypes
# beside cudnn and the session's first binary (BEFORE, dd10aaf), then d=128 causal 16k (main / candidate / cudnn) and
# d=64 causal 1k on the persistent grid / blocks / heads order / cudnn.
set -o pipefail
FINAL_OUT=$OUT; OUT=/tmp/o; mkdir -p $OUT/flash3
export PATH=/usr/local/cuda/bin:$PATH PYTHONUNBUFFERED=1
save() { tar -C /tmp -cJf "$FINAL_OUT/results.tar.xz" o; cp $OUT/flash3/*.md "$FINAL_OUT/" 2>/dev/null; }
T0=$(date +%s); t() { save; echo "== $(( $(date +%s) - T0 )) s: $*"; }
R=$PWD/.gpu/final
for b in base final; do xz -dc $R/$b-cli.xz > /tmp/$b-cli && chmod +x /tmp/$b-cli; done
cd $R/tree && mkdir -p /work/wt && ln -sfn "$PWD" /work/wt/final && tar -xJf ../bin.tar.xz
nvidia-smi --query-gpu=name,clocks.sm,power.draw,power.limit --format=csv,noheader
F3="env OUT=$OUT/flash3 BUILD=build-gpu bash kernels/flash3/gpu_run.sh"
t "sanity"
$F3 sanity 2>&1 | tail -3; S=$?
[ "$S" = 0 ] || { t "sanity failed: nothing else runs"; exit 3; }
t "flash3 GPU tests (the candidate)"
TESTS='*Flash3*' TESTS_TIMEOUT=260 timeout 270 $F3 tests 2>&1 | grep -E "FAILED|PASSED|tests exit" | head -12
t "d=64 non-causal: final / split / cudnn"
CELLS="bfloat16:0:64:1024;float16:0:64:1024;bfloat16:0:64:2048;bfloat16:0:64:4096;bfloat16:0:64:8192;bfloat16:0:64:16384" \
  ROTATE="final|/tmp/final-cli||;split|||;cudnn||cudnn|" ABBA_TIME=0.2 $F3 rotate 2>&1 | grep -E "^\| (dtype|bfloat16|float16)"
mv $OUT/flash3/rotate.jsonl $OUT/flash3/rotate-d64.jsonl; mv $OUT/flash3/rotate.md $OUT/flash3/rotate-d64.md
t "the standard grid, d=64 and 128, both dtypes: flash3 (the candidate), cudnn, the session's first flash3 (before)"
DTYPES="bfloat16 float16" GRID_BACKENDS=flash3,cudnn BEFORE=/tmp/base-cli $F3 grid 2>&1 | grep -E "^\| (bfloat16|float16)"
t "d=128 causal 16k: main / candidate / cudnn; d=64 causal 1k: persistent / blocks / heads / cudnn"
CELLS="bfloat16:1:128:16384;float16:1:128:16384" \
  ROTATE="main|/tmp/base-cli||;cand|||;cudnn||cudnn|" ABBA_TIME=0.2 $F3 rotate 2>&1 | grep -E "^\| (dtype|bfloat16|float16)"
mv $OUT/flash3/rotate.jsonl $OUT/flash3/rotate-d128causal.jsonl; mv $OUT/flash3/rotate.md $OUT/flash3/rotate-d128causal.md
CELLS="bfloat16:1:64:1024;float16:1:64:1024" \
  ROTATE="row|||;blocks|||ATTNSCOPE_FLASH3_GRID=blocks;heads|||ATTNSCOPE_FLASH3_ORDER=heads;cudnn||cudnn|" ABBA_TIME=0.2 $F3 rotate 2>&1 \
  | grep -E "^\| (dtype|bfloat16|float16)"
mv $OUT/flash3/rotate.jsonl $OUT/flash3/rotate-d64causal.jsonl; mv $OUT/flash3/rotate.md $OUT/flash3/rotate-d64causal.md
t done
