#!/usr/bin/env bash
# Issue 17's check on a host with several GPUs, in one go: the same 40-point plan on one GPU, then with
# --device all (one worker per GPU); the wall times and their ratio (the issue asks for <= 0.6 on two
# GPUs), how many records each GPU measured, that every record names its GPU and the merged file is in
# plan order, and each point's median on its GPU against the one-GPU run (a worker must not perturb
# another). Everything docs/performance.md cites lands in OUT: devices.txt, one-gpu.{json,log},
# all-gpus.{json,log}, summary.md (the commands, the numbers, the verdict).
#   scripts/shard_bench.sh [BUILD_DIR] [OUT]     (BUILD_DIR holds bin/attnscope-cli; default build)
# On the device tool's 2-GPU kind, with a CLI built here (-DATTNSCOPE_WITH_GUI=OFF
# -DCMAKE_CUDA_ARCHITECTURES=90a-real) carried in .gpu/NAME: `cd .gpu/NAME && scripts/shard_bench.sh build $OUT`
# (about 2-3 minutes). ONE_DEVICE / ALL_DEVICES (cpu and cpu,cpu) try the script without GPUs.
set -euo pipefail
BUILD="${1:-build}"
OUT="${2:-shard-bench}"
CLI="$BUILD/bin/attnscope-cli"
ONE="${ONE_DEVICE:-cuda:0}" ALL="${ALL_DEVICES:-all}"
mkdir -p "$OUT"
# 40 points of one backend: long enough per point that starting workers is small beside it.
SWEEP=(run --seq 512:20480:+512 --heads 16 --head-dim 128 --dtype bfloat16 --backends flash2)
[ "$ONE" = cpu ] && SWEEP=(run --seq 64:2560:+64 --heads 2 --head-dim 32 --dtype float32 --backends cpu-math
                           --min-samples 3 --min-time 0.05 --max-time 0.5)

{ command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=index,name,pci.bus_id,clocks.max.sm,power.limit --format=csv
  "$CLI" devices; } >"$OUT/devices.txt" 2>&1
cat "$OUT/devices.txt"
if [ "$ALL" = all ] && [ "$(grep -c '^cuda:[0-9]' "$OUT/devices.txt")" -lt 2 ]; then
  echo "shard_bench: this host has fewer than two GPUs (devices.txt); --device all would not shard" | tee "$OUT/summary.md"
  exit 1
fi
# Wall seconds of a command whose output goes to LOG.
timed() {
  local log="$1" t0 t1
  shift
  t0=$(date +%s.%N)
  "$@" >"$log" 2>&1
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }'
}
one=$(timed "$OUT/one-gpu.log" "$CLI" "${SWEEP[@]}" --device "$ONE" --json "$OUT/one-gpu.json")
all=$(timed "$OUT/all-gpus.log" "$CLI" "${SWEEP[@]}" --device "$ALL" --json "$OUT/all-gpus.json")
python3 - "$OUT" "$one" "$all" "$CLI ${SWEEP[*]}" "$ONE" "$ALL" <<'PY' | tee "$OUT/summary.md"
import collections, json, statistics, sys
out, one_s, all_s, cmd, one_dev, all_dev = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), *sys.argv[4:]
one, alld = (json.load(open(f"{out}/{n}.json")) for n in ("one-gpu", "all-gpus"))
workers = [d["id"] for d in alld.get("devices", [])]
ratio = all_s / one_s
print(f"# --device {all_dev} against {one_dev}: one 40-point plan\n")
print(f"- one device: `{cmd} --device {one_dev} --json one-gpu.json`: {one_s:.1f} s")
print(f"- sharded:    `{cmd} --device {all_dev} --json all-gpus.json`: {all_s:.1f} s over {len(workers)} workers ({', '.join(workers)})")
print(f"- ratio {ratio:.2f} (issue 17 asks <= 0.60 on two GPUs): {'PASS' if ratio <= 0.6 else 'FAIL'}")
recs = alld["records"]
per = collections.Counter(r.get("device", "") for r in recs)
print(f"- records: {len(recs)} ({sum(r['status'] == 'ok' for r in recs)} ok); per GPU: {dict(per)}")
named = all(r.get("device") in workers for r in recs)
order = [r["problem"]["q_len"] for r in recs] == sorted(r["problem"]["q_len"] for r in recs)
print(f"- every record names a worker's GPU: {named}; merged file in plan order: {order}")
base = {r["problem"]["q_len"]: r for r in one["records"] if r["status"] == "ok"}
ratios = [r["latency_us"]["median"] / base[r["problem"]["q_len"]]["latency_us"]["median"]
          for r in recs if r["status"] == "ok" and r["problem"]["q_len"] in base]
if ratios:
    print(f"- per point, sharded median / one-device median: median {statistics.median(ratios):.3f}, "
          f"range {min(ratios):.3f}-{max(ratios):.3f} ({len(ratios)} points)")
g = alld.get("environment", {}).get("gpus_at_start", [])
for s in g:
    print(f"- {s.get('device')}: SM {s.get('sm_clock_mhz')}/{s.get('max_sm_clock_mhz')} MHz, power limit "
          f"{s.get('power_limit_w')} W, other processes at start {s.get('other_processes')}")
PY
