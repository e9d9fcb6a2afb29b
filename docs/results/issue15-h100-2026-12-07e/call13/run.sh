#!/usr/bin/env bash
# The device call for issue 15 after call 12 ("call 13", ~1.5 min on an H100): d=128 non-causal at 8k and 16k, the
# 176-key row (ATTNSCOPE_FLASH3_LENGTH=off) against the short tile (128x128x2 persistent, LENGTH=always) and call 9's
# binary's row, interleaved three times per dtype so that a drift of the clocks hits all three alike. (Call 12 read
# the short tile 3 % above the row at 8k and the row 3-5 % below call 9's binary's row, which ran nearly the same code.)
# Prepare here as in docs/results/issue15-h100-2026-12-07e/call12/run.sh. Then on the device (carry [".gpu/final"]):
#   bash .gpu/final/tree/docs/handoff/next-device-call.sh
set -o pipefail
FINAL_OUT=$OUT; OUT=/tmp/o; mkdir -p $OUT
export PATH=/usr/local/cuda/bin:$PATH PYTHONUNBUFFERED=1
cd .gpu/final/tree && tar -xJf ../bin.tar.xz && mkdir -p /tmp/before && tar -C /tmp/before -xJf ../before.tar.xz
nvidia-smi --query-gpu=name,clocks.sm,power.draw,power.limit --format=csv,noheader
GRID=(--device cuda:0 --tokens 16384 --hidden 2048 --min-samples 10 --min-time 0.05 --max-time 0.5 --stream --seq 8192,16384
      --head-dim 128 --backends flash3)
for rep in 1 2 3; do
  for dt in bfloat16 float16; do
    ATTNSCOPE_FLASH3_LENGTH=off build-gpu/bin/attnscope-cli run "${GRID[@]}" --dtype $dt 2>/dev/null | sed "s/^{/{\"variant\":\"row\",\"rep\":$rep,/" >>$OUT/interleaved.jsonl
    ATTNSCOPE_FLASH3_LENGTH=always build-gpu/bin/attnscope-cli run "${GRID[@]}" --dtype $dt 2>/dev/null | sed "s/^{/{\"variant\":\"short\",\"rep\":$rep,/" >>$OUT/interleaved.jsonl
    /tmp/before/build-gpu/bin/attnscope-cli run "${GRID[@]}" --dtype $dt 2>/dev/null | sed "s/^{/{\"variant\":\"before\",\"rep\":$rep,/" >>$OUT/interleaved.jsonl
  done
  echo "rep $rep done at $(date +%T)"
done
nvidia-smi --query-gpu=name,clocks.sm,power.draw,temperature.gpu --format=csv,noheader
python3 - <<'PY'
import json
rows={}
for l in open('/tmp/o/interleaved.jsonl'):
    if not l.startswith('{'): continue
    m=json.loads(l)
    if m.get('type')!='record': continue
    r=m['record']; p=r['problem']
    rows.setdefault((p['dtype'],p['q_len'],m['variant']),[]).append(round(r['tflops'],1))
for k in sorted(rows): print(k, rows[k])
PY
cp $OUT/interleaved.jsonl "$FINAL_OUT/"
