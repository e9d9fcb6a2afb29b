#!/usr/bin/env bash
# Call 22 (2026-12-07, seventh session; H100). NEW = main + the two-slot Q ring on the causal kernels only (9 kernels:
# TileShape::q_slots; the other 57 flash3 kernels byte-identical to main's); BEFORE = main at e4d1da2.
#   1. sanity and every flash3 GPU test (NEW);
#   2. the causal cells by the standard protocol: d=64 and d=128 causal, 1k–16k, both dtypes: NEW, cudnn, BEFORE; d=96
#      causal 8k and 16k (its length tile has the ring) NEW and BEFORE;
#   3. the causal 1k cells in the order NEW BEFORE cudnn cudnn BEFORE NEW with equal 0.1 s budgets;
#   4. Nsight Compute (where the time goes in the cells still short of the bar): flash3 and cudnn at bf16 d=128
#      non-causal 4k (full set, stalls per SASS instruction), d=64 causal 1k (launch, occupancy, pipes).
# Run on the device with carry [".gpu/final"]: bash .gpu/final/tree/docs/results/issue15-h100-2026-12-07g/call22/run.sh
set -o pipefail
FINAL_OUT=$OUT; OUT=/tmp/o; mkdir -p $OUT/flash3
export PATH=/usr/local/cuda/bin:$PATH PYTHONUNBUFFERED=1
save() { tar -C /tmp -cJf "$FINAL_OUT/results.tar.xz" o; cp $OUT/*.md $OUT/flash3/*.md "$FINAL_OUT/" 2>/dev/null; }
T0=$(date +%s); t() { save; echo "== $(( $(date +%s) - T0 )) s: $*"; }
cd .gpu/final/tree && mkdir -p /work/wt && ln -sfn "$PWD" /work/wt/final
tar -xJf ../bin.tar.xz && tar -xJf ../before.tar.xz
nvidia-smi --query-gpu=name,clocks.sm,power.draw,power.limit --format=csv,noheader | tee $OUT/env.txt
F3="env OUT=$OUT/flash3 BUILD=build-gpu bash kernels/flash3/gpu_run.sh"
CLI=$PWD/build-gpu/bin/attnscope-cli BEFORE=$PWD/before/attnscope-cli
t "flash3 sanity"
$F3 sanity 2>&1 | tail -3; S=$?
[ "$S" = 0 ] || { t "sanity failed: nothing else runs"; exit 3; }
t "flash3 GPU tests"
TESTS='*Flash3*' TESTS_TIMEOUT=200 timeout 210 $F3 tests 2>&1 | grep -E "FAILED|PASSED|tests exit" | head -12
TC=$(python3 -c "import nvidia.cudnn as m; print(list(m.__path__)[0] + '/lib')" 2>/dev/null)
[ -f "$TC/libcudnn.so.9" ] && export ATTNSCOPE_CUDNN_LIBRARY="$TC/libcudnn.so.9" LD_LIBRARY_PATH="$TC:${LD_LIBRARY_PATH:-}"
t "standard protocol: causal d=64, 128"
GRID=(--device cuda:0 --tokens 16384 --hidden 2048 --min-samples 10 --min-time 0.05 --max-time 0.5 --stream)
for dt in bfloat16 float16; do
  timeout 90 $CLI run "${GRID[@]}" --seq 1024:16384:x2 --head-dim 64,128 --dtype $dt --causal --backends flash3,cudnn >>$OUT/grid.jsonl 2>>$OUT/run.log
  timeout 60 $BEFORE run "${GRID[@]}" --seq 1024:16384:x2 --head-dim 64,128 --dtype $dt --causal --backends flash3 2>>$OUT/run.log \
    | sed 's/"backend":"flash3"/"backend":"flash3[before]"/' >>$OUT/grid.jsonl
done
python3 kernels/flash3/table.py grid $OUT/grid.jsonl | tee $OUT/grid.md
t "d=96 causal 8k, 16k"
for b in "$CLI x" "$BEFORE before"; do
  set -- $b
  timeout 60 $1 run --device cuda:0 --tokens 16384 --hidden 1536 --min-samples 10 --min-time 0.05 --max-time 0.5 --stream --seq 8192,16384 \
    --head-dim 96 --dtype bfloat16 --causal --backends flash3 2>>$OUT/run.log | sed "s/\"backend\":\"flash3\"/\"backend\":\"flash3[$2]\"/" >>$OUT/d96.jsonl
done
grep -o '"backend":"[^"]*"\|"q_len":[0-9]*\|"tflops":[0-9.]*' $OUT/d96.jsonl | paste - - - | tee $OUT/d96.txt
one() {  # tag binary backend dtype seq dims
  timeout 60 "$2" run --device cuda:0 --tokens 16384 --hidden 2048 --min-samples 10 --min-time 0 --max-time 0.1 --noise 0.0001 \
    --no-check --stream --seq "$5" --head-dim "$6" --dtype "$4" --causal --backends "$3" 2>>$OUT/run.log \
    | sed "s/\"backend\":\"\([^\"[]*\)\"/\"backend\":\"\1[$1]\"/" >>$OUT/abc.jsonl
}
t "A B C C B A: causal 1k"
for c in "bfloat16 1024 64" "float16 1024 64" "bfloat16 1024 128" "float16 1024 128" "bfloat16 8192 64"; do
  set -- $c
  one newa $CLI flash3 $1 $2 $3; one beforea $BEFORE flash3 $1 $2 $3; one cudnna $CLI cudnn $1 $2 $3
  one cudnnb $CLI cudnn $1 $2 $3; one beforeb $BEFORE flash3 $1 $2 $3; one newb $CLI flash3 $1 $2 $3
done
python3 - $OUT/abc.jsonl <<'PY' | tee $OUT/abc.md
import json, sys, collections
v = collections.defaultdict(lambda: collections.defaultdict(list))
for line in open(sys.argv[1]):
    if not line.startswith("{"): continue
    m = json.loads(line)
    if m.get("type") != "record": continue
    r = m["record"]; p = r["problem"]
    tag = r["backend"][:-1].split("[")[1][:-1]
    if r["status"] == "ok": v[(p["dtype"], p["head_dim"], p["q_len"])][tag].append(r["tflops"])
print("| dtype | d | N (causal) | NEW | BEFORE | cudnn | NEW/cudnn | BEFORE/cudnn | NEW/BEFORE |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for k in sorted(v):
    m = v[k]; a = {c: sum(x) / len(x) for c, x in m.items() if x}
    f = lambda c: " / ".join(f"{x:.1f}" for x in m[c]) if m[c] else "-"
    q = lambda x, y: f"{a[x] / a[y]:.3f}×" if x in a and y in a else "-"
    print(f"| {k[0]} | {k[1]} | {k[2]} | {f('new')} | {f('before')} | {f('cudnn')} | {q('new', 'cudnn')} | {q('before', 'cudnn')} | {q('new', 'before')} |")
PY
NCU=$(command -v ncu || echo /usr/local/cuda/bin/ncu)
prof() {  # name kernel-regex backend seq dims causal ncu-args...
  local n=$1 k=$2 b=$3 seq=$4 d=$5 c=$6; shift 6
  local flag=(); [[ $c == 1 ]] && flag=(--causal)
  t "ncu $n"
  timeout 150 "$NCU" -k "regex:$k" -c 1 "$@" -o "$OUT/$n" $CLI run --device cuda:0 --tokens 16384 --hidden 2048 \
    --min-samples 1 --max-time 1 --seq $seq --head-dim $d --dtype bfloat16 "${flag[@]}" --backends $b >"$OUT/ncu-$n.log" 2>&1 \
    || echo "ncu $n failed ($?)"
  "$NCU" -i "$OUT/$n.ncu-rep" --page details --csv >"$OUT/$n-details.csv" 2>&1
  [[ " $* " == *" full "* ]] && "$NCU" -i "$OUT/$n.ncu-rep" --page source --csv --print-source sass >"$OUT/$n-sass.csv" 2>&1
  rm -f "$OUT/$n.ncu-rep"
  grep -m1 -o '"[^"]*\(forward_kernel\|sdpa\|fprop\|fmha\|flash\)[^"]*"' "$OUT/$n-details.csv" | cut -c1-160
}
LIGHT=(--section SpeedOfLight --section LaunchStats --section Occupancy --section WarpStateStats --section ComputeWorkloadAnalysis --section SchedulerStats)
prof cudnn-d64c-1k "sdpa|fprop|fmha|flash" cudnn 1024 64 1 "${LIGHT[@]}"
prof flash3-d64c-1k "forward_kernel" flash3 1024 64 1 "${LIGHT[@]}"
prof flash3-d128-4k "forward_kernel" flash3 4096 128 0 --set full --import-source yes
prof cudnn-d128-4k "sdpa|fprop|fmha|flash" cudnn 4096 128 0 --set full --import-source yes
t done
