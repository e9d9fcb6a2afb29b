#!/usr/bin/env bash
# Call 21 (2026-12-07, seventh session; H100). Three binaries of flash3, measured against each other and cudnn:
#   BEFORE = main at e4d1da2;
#   NEW    = + the two-slot Q ring (TileShape::q_slots: the persistent tiles with their own output tile — d=64 both masks,
#            d=128 causal, the d=128 non-causal length tile below 8k keys, d=96 causal's length tile from 8k), the next
#            job's Q published after this job's loads, the producer at 32 registers there (24 spilled);
#   NEW2   = NEW + each job's first Q·Kᵀ issued with the previous job's last P·V (kCarry, the same kernels).
# The other 53 flash3 kernels are byte-identical in all three (cuobjdump -sass).
#   1. sanity and every flash3 GPU test for NEW and NEW2 (a NEW2 that fails its sanity is left out of the rest);
#   2. the affected cells in the order NEW2 NEW BEFORE cudnn cudnn BEFORE NEW NEW2, each with the same 0.1 s budget;
#      d=128 non-causal 1k and 4k with the length tile off (the 176-key row; unchanged in all three).
# Prepared here: NEW in build-gpu (bin.tar.xz), BEFORE as before/attnscope-cli, NEW2 as new2/build-gpu/... (new2.tar.xz).
# Run on the device with carry [".gpu/final"]: bash .gpu/final/tree/docs/results/issue15-h100-2026-12-07g/call21/run.sh
set -o pipefail
FINAL_OUT=$OUT; OUT=/tmp/o; mkdir -p $OUT/flash3 $OUT/new2
export PATH=/usr/local/cuda/bin:$PATH PYTHONUNBUFFERED=1
save() { tar -C /tmp -cJf "$FINAL_OUT/results.tar.xz" o; cp $OUT/*.md "$FINAL_OUT/" 2>/dev/null; }
T0=$(date +%s); t() { save; echo "== $(( $(date +%s) - T0 )) s: $*"; }
cd .gpu/final/tree && mkdir -p /work/wt && ln -sfn "$PWD" /work/wt/final
tar -xJf ../bin.tar.xz && tar -xJf ../before.tar.xz && tar -xJf ../new2.tar.xz
nvidia-smi --query-gpu=name,clocks.sm,power.draw,power.limit --format=csv,noheader
F3="env OUT=$OUT/flash3 BUILD=build-gpu bash kernels/flash3/gpu_run.sh"
CLI=build-gpu/bin/attnscope-cli BEFORE=$PWD/before/attnscope-cli NEW2=$PWD/new2/build-gpu/bin/attnscope-cli
t "flash3 sanity (NEW)"
$F3 sanity 2>&1 | tail -3; S=$?
[ "$S" = 0 ] || { t "sanity failed: nothing else runs"; exit 3; }
t "NEW2 sanity"
OK2=1
for c in "64 0 1024" "64 1 1024" "64 1 3000" "128 0 1024" "128 0 4097" "128 1 1024" "128 1 1000"; do
  set -- $c; flag=(); [[ $2 == 1 ]] && flag=(--causal)
  timeout 20 $NEW2 run --device cuda:0 --tokens 16384 --hidden 2048 --min-samples 3 --max-time 0.05 --seq $3 --head-dim $1 \
    --dtype bfloat16 "${flag[@]}" --backends flash3 >>$OUT/new2/sanity.jsonl 2>>$OUT/new2/run.log || { echo "NEW2 sanity $c failed ($?)"; OK2=0; break; }
done
ATTNSCOPE_FLASH3_LENGTH=always timeout 20 $NEW2 run --device cuda:0 --tokens 16384 --hidden 1536 --min-samples 3 --max-time 0.05 --seq 1024 \
  --head-dim 96 --dtype float16 --causal --backends flash3 >>$OUT/new2/sanity.jsonl 2>>$OUT/new2/run.log || { echo "NEW2 sanity d=96 failed"; OK2=0; }
grep -o '"status":"[a-z_]*"\|"pass":[a-z]*' $OUT/new2/sanity.jsonl | sort | uniq -c
t "flash3 GPU tests (NEW)"
TESTS='*Flash3*' TESTS_TIMEOUT=200 timeout 210 $F3 tests 2>&1 | grep -E "FAILED|PASSED|tests exit" | head -12
if [ $OK2 = 1 ]; then
  t "flash3 GPU tests (NEW2)"
  timeout 200 new2/build-gpu/tests/attnscope_gpu_tests --gtest_filter='*Flash3*' >$OUT/new2/tests.log 2>&1; echo "NEW2 tests exit $?"
  grep -E "^\[  (FAILED|PASSED) +\]|Failure" $OUT/new2/tests.log | head -12
fi
TC=$(python3 -c "import nvidia.cudnn as m; print(list(m.__path__)[0] + '/lib')" 2>/dev/null)
[ -f "$TC/libcudnn.so.9" ] && export ATTNSCOPE_CUDNN_LIBRARY="$TC/libcudnn.so.9" LD_LIBRARY_PATH="$TC:${LD_LIBRARY_PATH:-}"
one() {  # tag binary env backend dtype seq dims causal
  local flag=(); [[ $8 == 1 ]] && flag=(--causal)
  env $3 timeout 60 "$2" run --device cuda:0 --tokens 16384 --hidden 2048 --min-samples 10 --min-time 0 --max-time 0.1 \
    --noise 0.0001 --no-check --stream --seq "$6" --head-dim "$7" --dtype "$5" "${flag[@]}" --backends "$4" \
    2>>$OUT/run.log | sed "s/\"backend\":\"\([^\"[]*\)\"/\"backend\":\"\1[$1]\"/" >>$OUT/abc.jsonl
}
abc() {  # dtype seq dims causal
  [ $OK2 = 1 ] && one new2a $NEW2 X=1 flash3 "$@"
  one newa $CLI X=1 flash3 "$@"; one beforea $BEFORE X=1 flash3 "$@"; one cudnna $CLI X=1 cudnn "$@"
  one cudnnb $CLI X=1 cudnn "$@"; one beforeb $BEFORE X=1 flash3 "$@"; one newb $CLI X=1 flash3 "$@"
  [ $OK2 = 1 ] && one new2b $NEW2 X=1 flash3 "$@"
}
t "A B C D D C B A: NEW2, NEW, BEFORE, cudnn"
for n in 1024 4096; do abc bfloat16 $n 128 0; abc bfloat16 $n 64 1; done
abc float16 1024 128 0; abc float16 1024 64 1; abc bfloat16 2048 128 0; abc bfloat16 2048 64 1
abc bfloat16 1024 64 0; abc bfloat16 1024 128 1; abc float16 4096 128 0; abc bfloat16 8192 64 1
t "the length tile off"
for dt in bfloat16 float16; do
  for n in 1024 4096; do one offa $CLI ATTNSCOPE_FLASH3_LENGTH=off flash3 $dt $n 128 0; one offb $CLI ATTNSCOPE_FLASH3_LENGTH=off flash3 $dt $n 128 0; done
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
    if r["status"] == "ok": v[(p["dtype"], p["head_dim"], p["causal"], p["q_len"])][tag].append(r["tflops"])
cols = ["new2", "new", "before", "off", "cudnn"]
print("| dtype | d | causal | N | NEW2 | NEW | BEFORE | length tile off | cudnn | NEW2/cudnn | NEW/cudnn | BEFORE/cudnn | NEW2/BEFORE | NEW/BEFORE | off/cudnn |")
print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for k in sorted(v):
    m = v[k]; a = {c: sum(m[c]) / len(m[c]) for c in cols if m[c]}
    f = lambda c: " / ".join(f"{x:.1f}" for x in m[c]) if m[c] else "-"
    q = lambda x, y: f"{a[x] / a[y]:.3f}×" if x in a and y in a else "-"
    print(f"| {k[0]} | {k[1]} | {'yes' if k[2] else 'no'} | {k[3]} | " + " | ".join(f(c) for c in cols) +
          f" | {q('new2', 'cudnn')} | {q('new', 'cudnn')} | {q('before', 'cudnn')} | {q('new2', 'before')} | {q('new', 'before')} | {q('off', 'cudnn')} |")
PY
t done
