#!/usr/bin/env bash
# Issue 17's check on a host with several GPUs: one 40-point sweep on cuda:0, then the same plan with
# --device all (one worker per GPU), their wall times and ratio (the issue asks for <= 0.6 on two GPUs),
# and how many records each GPU measured. Both result files and logs stay in OUT.
#   scripts/shard_bench.sh [BUILD_DIR] [OUT]     (BUILD_DIR holds bin/attnscope-cli; default build)
set -euo pipefail
BUILD="${1:-build}"
OUT="${2:-shard-bench}"
CLI="$BUILD/bin/attnscope-cli"
mkdir -p "$OUT"
SWEEP=(run --seq 512:20480:+512 --heads 16 --head-dim 128 --dtype bfloat16 --backends flash2)

"$CLI" devices | tee "$OUT/devices.txt"
# Wall seconds of a command whose output goes to LOG.
timed() {
  local log="$1" t0 t1
  shift
  t0=$(date +%s.%N)
  "$@" >"$log" 2>&1
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }'
}
ONE="${ONE_DEVICE:-cuda:0}" ALL="${ALL_DEVICES:-all}"  # (cpu and cpu,cpu try the script without GPUs)
one=$(timed "$OUT/one-gpu.log" "$CLI" "${SWEEP[@]}" --device "$ONE" --json "$OUT/one-gpu.json")
all=$(timed "$OUT/all-gpus.log" "$CLI" "${SWEEP[@]}" --device "$ALL" --json "$OUT/all-gpus.json")
echo "one GPU: ${one} s; --device all: ${all} s; ratio $(awk -v a="$all" -v b="$one" 'BEGIN { printf "%.2f", a / b }')" |
  tee "$OUT/summary.txt"
python3 -c '
import collections, json, sys
d = json.load(open(sys.argv[1]))
print("records per GPU:", dict(collections.Counter(r["device"] for r in d["records"])))
print("records:", len(d["records"]), "ok:", sum(r["status"] == "ok" for r in d["records"]))
' "$OUT/all-gpus.json" | tee -a "$OUT/summary.txt"
