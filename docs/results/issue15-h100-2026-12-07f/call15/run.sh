#!/usr/bin/env bash
# Call 15 (2026-12-07, sixth session): the handoff call (docs/handoff/next-device-call.sh: tests, d=256 causal on
# blocks, stall sampling of the causal kernels) and a wave-quantization probe: the standard grid's d=128 non-causal
# cells have B·H·(N/128) = 2048 query tiles on 132 SMs, 15.5 waves, so the last wave runs half full (−3 % if the tiles
# take equal time). H = 33 makes 4224 tiles, exactly 32 waves: if flash3 and cudnn gain ~3 % TFLOP/s there over H = 16,
# the grid cells' missing 2–3 % are the last wave's.
set -o pipefail
bash .gpu/final/tree/docs/handoff/next-device-call.sh
OUTQ=$OUT/quant; mkdir -p $OUTQ
cd .gpu/final/tree
TC=$(python3 -c "import nvidia.cudnn as m; print(list(m.__path__)[0] + '/lib')" 2>/dev/null)
[ -f "$TC/libcudnn.so.9" ] && export ATTNSCOPE_CUDNN_LIBRARY="$TC/libcudnn.so.9" LD_LIBRARY_PATH="$TC:${LD_LIBRARY_PATH:-}"
echo "== quantization probe"
for rep in 1 2; do
  for shape in "4 4096" "2 8192" "1 16384"; do
    set -- $shape
    for h in 16 33; do
      for grid in "" persistent; do
        ATTNSCOPE_FLASH3_GRID=$grid timeout 60 build-gpu/bin/attnscope-cli run --device cuda:0 --batch $1 --heads $h --seq $2 \
          --head-dim 128 --dtype bfloat16 --min-samples 10 --min-time 0.05 --max-time 0.5 --stream --no-check \
          --backends $([ -z "$grid" ] && echo flash3,cudnn || echo flash3) 2>>$OUTQ/run.log \
          | sed "s/^{/{\"variant\":\"${grid:-blocks}-r$rep\",/" >>$OUTQ/quant.jsonl
      done
    done
  done
done
python3 - $OUTQ/quant.jsonl <<'PY'
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    if d.get("type") != "record": continue
    r, p = d["record"], d["record"]["problem"]
    print(f'{d["variant"]:14} {r["backend"]:7} B={p["batch"]} H={p["q_heads"]:2} N={p["q_len"]:5} {r.get("tflops") or 0:7.1f} TFLOP/s {r["status"]}')
PY
