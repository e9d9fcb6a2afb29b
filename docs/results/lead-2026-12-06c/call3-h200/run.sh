#!/usr/bin/env bash
# Final check of the lead's branch (executor: batched CUPTI samples, kept reference; app rule; torch reasons).
# Carried: .gpu/final/{tree,bin.tar.xz (new),old-bin.tar.xz (main 6dda454),xformers wheel}. BUDGET: seconds.
set -o pipefail
export PATH=/usr/local/cuda/bin:$PATH PYTHONUNBUFFERED=1
T0=$(date +%s); BUDGET=${BUDGET:-300}
t() { echo "== $(( $(date +%s) - T0 )) s: $*"; }
left() { echo $(( BUDGET - ($(date +%s) - T0) - ${1:-0} )); }   # seconds left, keeping $1 for later steps
cd .gpu/final/tree && mkdir -p /work/wt && ln -sfn "$PWD" /work/wt/final
tar -xJf ../bin.tar.xz && mkdir -p old && tar -C old -xJf ../old-bin.tar.xz
python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/xf ../xformers-0.0.35-*.whl; export PYTHONPATH=/tmp/xf
TC=$(python3 -c "import nvidia.cudnn as m; print(list(m.__path__)[0] + '/lib')" 2>/dev/null)
[ -f "$TC/libcudnn.so.9" ] && export ATTNSCOPE_CUDNN_LIBRARY="$TC/libcudnn.so.9" LD_LIBRARY_PATH="$TC:${LD_LIBRARY_PATH:-}"
C=build-gpu/bin/attnscope-cli; OLD=old/build-gpu/bin/attnscope-cli; G=build-gpu/tests/attnscope_gpu_tests
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm --format=csv,noheader
t "GPU tests touching the changed code"
F='Cupti.*:DeviceInputs.*:AccuracyCheck.*:Executor.*:Memory.*:Poisoning.*:GpuContexts.*:GpuShardedRun.*:LibraryBackendsGpu.*:L2Flush.*:ColdRead.*:Discovery.*:GpuReference.*:DeviceLost.*'
timeout $(left 200) $G --gtest_filter="$F" > $OUT/gpu_tests.log 2>&1; echo "tests exit $?"
grep -E "^\[  (FAILED|PASSED|SKIPPED) +\]|^\[==========\]" $OUT/gpu_tests.log | head -20
t "A/B: main's executor (old) and the batched one (new), same rule, same points"
AB="--device cuda:0 --batch 1 --heads 16 --seq 512:16384:x2 --head-dim 128 --dtype bfloat16 --backends flash3,cudnn,torch-flash,naive,cublas-math --min-samples 10 --min-time 0.05 --max-time 1 --stream"
for b in old new; do s=$(date +%s.%N); bin=$C; [ $b = old ] && bin=$OLD
  timeout 60 $bin run $AB > $OUT/ab_$b.jsonl 2>> $OUT/run.log; echo "$b exit $? wall $(python3 -c "print(round($(date +%s.%N)-$s,1))") s"; done
t "issue 12: interactive phase (app rule, then the full rule until the deadline)"
IB=$(left 100); [ $IB -gt 95 ] && IB=95   # gpu_bench.sh keeps 60 s of its deadline for later phases
ATTNSCOPE_BENCH_DEADLINE=$(( $(date +%s) + IB + 60 )) ATTNSCOPE_BENCH_PHASES=interactive ATTNSCOPE_BUILD_DIR=build-gpu \
  bash scripts/gpu_bench.sh 2>&1 | cut -c1-170 | tail -30
t "issue 14: cudnn and torch-cudnn, one harness, complete grid"
A="--device cuda:0 --tokens 16384 --hidden 2048 --seq 1024:16384:x2 --head-dim 64,128 --dtype bfloat16,float16 --backends cudnn,torch-cudnn --min-samples 10 --min-time 0.05 --max-time 0.5 --stream"
timeout $(left 75) $C run $A > $OUT/cudnn_full.jsonl 2>> $OUT/run.log; echo "full exit $?"
timeout $(left 30) $C run $A --causal > $OUT/cudnn_causal.jsonl 2>> $OUT/run.log; echo "causal exit $?"
t "issue 13: do_bench (events, and from a CUDA graph) against our records"
timeout $(left 5) python3 scripts/do_bench_check.py --records $OUT/cudnn_full.jsonl $OUT/cudnn_causal.jsonl 2>&1 | grep -v XFORMERS | tail -8
python3 scripts/grid_table.py $OUT/cudnn_full.jsonl $OUT/cudnn_causal.jsonl --ratio cudnn/torch-cudnn 2>&1 | cut -c1-120 | tail -42
python3 - $OUT/ab_old.jsonl $OUT/ab_new.jsonl <<'PY'
import json, sys
def load(p):
    out = {}
    for l in open(p):
        m = json.loads(l)
        r = m.get('record', {})
        if m.get('type') == 'record' and r.get('status') == 'ok':
            out[(r['backend'], r['problem']['q_len'])] = (r['latency_us']['median'], len(r['samples_us']), r['phase_s'].get('samples', 0))
    return out
a, b = load(sys.argv[1]), load(sys.argv[2]); worst = 0
for k in sorted(a):
    if k in b:
        d = b[k][0] / a[k][0] - 1; worst = max(worst, abs(d))
        print(f"{k[0]:>12} N={k[1]:>6} old {a[k][0]:9.1f} us ({a[k][1]:5d} samples, {a[k][2]:.2f} s)  new {b[k][0]:9.1f} us ({b[k][1]:5d}, {b[k][2]:.2f} s)  {100*d:+.1f} %")
print("A/B points", len([k for k in a if k in b]), "largest median difference", round(100 * worst, 1), "%")
PY
t done
