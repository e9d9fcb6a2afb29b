#!/usr/bin/env bash
# One command on a GPU machine: build, run the GPU tests, benchmark our backends over the standard grid
# with attnscope-cli, time PyTorch's SDPA backends on the same shapes (library backends torch-*, measured by
# the same executor; greyed when torch does not import), and print
# one comparison table last. Run from the repository root.
#
#   scripts/gpu_bench.sh [BACKENDS]          e.g. scripts/gpu_bench.sh flash2,mem-efficient
#
# Environment (all optional):
#   ATTNSCOPE_BENCH_BACKENDS  backends to benchmark (default: naive,cublas-math; the argument wins)
#   ATTNSCOPE_BENCH_PHASES    any of build,test,bench,decode,smallk,torch,table (default: all of them)
#                             decode: copy bandwidth + split-kv-decode vs flash2/mem-efficient at q=1,
#                             kv 8k…128k, B 1…64, 32/8 heads, d=128, bf16; smallk: small-k vs
#                             mem-efficient and mem-efficient-fma at float32, d=16 and 32, standard grid
#                             interactive (not in the default list): the app's Prefill preset (B=1,
#                             Hq=Hkv=16, N 512…16k, d=128, bf16, every backend) timed with the app's
#                             default stopping rule and with the full rule; prints both wall times, how
#                             far the medians are apart, and each rule's time per phase (records' phase_s)
#   ATTNSCOPE_GPU_TEST_FILTER gtest filter for the GPU tests (default: *)
#   ATTNSCOPE_BENCH_DTYPES    default float16,bfloat16,float32
#   ATTNSCOPE_BENCH_TORCH_BACKENDS  PyTorch SDPA backends to time (default: flash,efficient,cudnn,math)
#   ATTNSCOPE_BENCH_SEQ       default 512:16384:x2
#   ATTNSCOPE_BENCH_ARGS      extra attnscope-cli run arguments (default: --min-samples 10 --min-time 0.1 --max-time 3)
#   ATTNSCOPE_BENCH_DEADLINE  epoch seconds by which every phase must be done (each phase gets what is left)
#   OUT                       where logs and JSON go (default: ./bench-out)
set -uo pipefail

BACKENDS="${1:-${ATTNSCOPE_BENCH_BACKENDS:-naive,cublas-math}}"
PHASES="${ATTNSCOPE_BENCH_PHASES:-build,test,bench,decode,smallk,torch,table}"
DTYPES="${ATTNSCOPE_BENCH_DTYPES:-float16,bfloat16,float32}"
SEQ="${ATTNSCOPE_BENCH_SEQ:-512:16384:x2}"
read -r -a EXTRA <<<"${ATTNSCOPE_BENCH_ARGS:---min-samples 10 --min-time 0.1 --max-time 3}"
OUT="${OUT:-$PWD/bench-out}"
BUILD="${ATTNSCOPE_BUILD_DIR:-build-gpu}"
mkdir -p "$OUT"
# At most a handful of files: build.log, gpu_tests.log, run.log, bench_{full,causal}.jsonl, torch.jsonl, table.md.
LOG="$OUT/run.log"
export PYTHONUNBUFFERED=1
has() { [[ ",$PHASES," == *",$1,"* ]]; }
# Runs a command under what is left before the deadline, keeping `reserve` seconds for later phases.
limited() {
  local reserve=$1; shift
  [[ -z "${ATTNSCOPE_BENCH_DEADLINE:-}" ]] && { "$@"; return; }
  local left=$((ATTNSCOPE_BENCH_DEADLINE - $(date +%s) - reserve))
  if ((left < 15)); then echo "skipped (deadline): $*"; return 124; fi
  timeout -k 5 "$left" "$@"
}
stamp() { echo "== $(date -u +%H:%M:%S) $*"; }

# shellcheck source=device_env.sh
source scripts/device_env.sh
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,temperature.gpu,power.draw --format=csv \
  >>"$LOG" 2>&1 || true

if has build; then
  stamp "configure + build ($BUILD)"
  cmake -S . -B "$BUILD" -G Ninja -DATTNSCOPE_WITH_GUI=OFF -DCMAKE_CUDA_ARCHITECTURES=90a-real \
    "${ATTNSCOPE_CMAKE_DEPS_ARGS[@]}" >"$OUT/build.log" 2>&1 || { tail -30 "$OUT/build.log"; exit 1; }
  cmake --build "$BUILD" -j16 --target attnscope-cli attnscope_gpu_tests >>"$OUT/build.log" 2>&1 \
    || { grep -E "error|FAILED" "$OUT/build.log" | head -40; exit 1; }
fi
CLI="$BUILD/bin/attnscope-cli"

if has test; then
  stamp "GPU tests"
  limited 300 "$BUILD/tests/attnscope_gpu_tests" --gtest_filter="${ATTNSCOPE_GPU_TEST_FILTER:-*}" >"$OUT/gpu_tests.log" 2>&1
  echo "gpu tests exit code: $?"
  grep -E "^\[(discovery|cupti|gemm|naive memory|cublas-math|l2)" "$OUT/gpu_tests.log" | head -20
  grep -E "^\[  (PASSED|FAILED|SKIPPED) +\]" "$OUT/gpu_tests.log" | head -60
fi

if has bench; then
  stamp "attnscope-cli run --device cuda:0, backends $BACKENDS"
  "$CLI" devices >>"$LOG" 2>&1
  for causal in full causal; do
    flag=(); [[ $causal == causal ]] && flag=(--causal)
    cmd=("$CLI" run --device cuda:0 --tokens 16384 --hidden 2048 --seq "$SEQ" --head-dim 64,128 --dtype "$DTYPES"
         "${flag[@]}" --backends "$BACKENDS" "${EXTRA[@]}" --stream)
    echo "${cmd[*]} > bench_$causal.jsonl" | tee -a "$LOG"
    # JSON lines as records finish (loadable by the GUI and bench_table.py even if the run is cut short);
    # the readable table goes to run.log.
    limited $([[ $causal == full ]] && echo 200 || echo 100) "${cmd[@]}" >"$OUT/bench_$causal.jsonl" 2>>"$LOG"
    echo "exit code $?"
  done
fi

if has decode; then
  stamp "decode: copy bandwidth and the decode grid"
  # Cold reads of every point's K and V bytes (B·kv_len·4 KiB at 8 KV heads, d=128, bf16): the floor.
  "$CLI" bandwidth --device cuda:0 --json --read-mib 32:32768:x2 >"$OUT/bandwidth.json" 2>>"$LOG"
  : >"$OUT/decode.jsonl"
  for b in 1 4 16 64; do
    limited 120 "$CLI" run --device cuda:0 --batch "$b" --heads 32 --kv-heads 8 --q-len 1 --kv-len 8192:131072:x2 \
      --head-dim 128 --dtype bfloat16 --backends split-kv-decode,flash2,mem-efficient --min-samples 10 \
      --min-time 0.05 --max-time 2 --stream >>"$OUT/decode.jsonl" 2>>"$LOG"
    echo "decode B=$b exit code $?"
  done
fi

if has smallk; then
  stamp "small-k vs mem-efficient at float32"
  : >"$OUT/smallk.jsonl"
  for flag in "" --causal; do
    limited 90 "$CLI" run --device cuda:0 --tokens 16384 --hidden 2048 --seq 1024:16384:x2 --head-dim 16,32 \
      --dtype float32 $flag --backends small-k,mem-efficient,mem-efficient-fma --min-samples 10 --min-time 0.05 --max-time 2 \
      --stream >>"$OUT/smallk.jsonl" 2>>"$LOG"
    echo "small-k $flag exit code $?"
  done
fi

if has interactive; then
  # Keep in step with ProblemSpec::measurementArgs (app/ProblemSpec.cpp): the app's default rule.
  APP_RULE=(--min-samples 10 --min-time 0 --max-time 1 --warmup-time 0.02)
  # The app's Prefill preset on its first problem (Problem's defaults: B=1, Hq=Hkv=16).
  PRESET=(--batch 1 --heads 16 --kv-heads 16 --head-dim 128 --dtype bfloat16)
  for rule in app full; do
    # The full rule takes longest on the shortest lengths (thousands of samples a point): it runs them last,
    # so a deadline cuts those, and the comparison below uses the points both runs have.
    args=(--seq 16384,8192,4096,2048,1024,512); [[ $rule == app ]] && args=(--seq 512:16384:x2 "${APP_RULE[@]}")
    stamp "interactive: Prefill preset, $rule rule ${args[*]}"
    t0=$(date +%s.%N)
    limited 60 "$CLI" run --device cuda:0 "${PRESET[@]}" "${args[@]}" --stream >"$OUT/interactive_$rule.jsonl" 2>>"$LOG"
    echo "interactive $rule exit code $?; wall $(python3 -c "print(f'{$(date +%s.%N) - $t0:.1f}')") s" | tee -a "$LOG"
  done
  python3 - "$OUT/interactive_app.jsonl" "$OUT/interactive_full.jsonl" <<'PY'
import json, sys
def medians(path):
    out = {}
    for line in open(path):
        line = json.loads(line)
        r = line.get("record", {})
        if line.get("type") == "record" and r.get("status") == "ok":
            p = r["problem"]
            out[(r["backend"], p["q_len"])] = (r["latency_us"]["median"], r["latency_us"].get("ci_rel_halfwidth", 0))
    return out
app, full = medians(sys.argv[1]), medians(sys.argv[2])
worst = 0
for key in sorted(full):
    if key in app:
        d = app[key][0] / full[key][0] - 1
        worst = max(worst, abs(d))
        print(f"{key[0]:>22} N={key[1]:>6}  full {full[key][0]:10.1f} us (CI ±{100*full[key][1]:.1f} %)  app {app[key][0]:10.1f} us  {100*d:+.1f} %")
print(f"points compared: {len([k for k in full if k in app])}; largest median difference {100*worst:.1f} %")
# Where the time goes: each record's phase_s (setup, warm-up, memory, accuracy, samples, clock) summed
# over the sweep, and the kernels' own time (sum of samples_us) inside "samples".
for name, path in (("app", sys.argv[1]), ("full", sys.argv[2])):
    phases, kernels = {}, 0.0
    for line in open(path):
        line = json.loads(line)
        r = line.get("record", {})
        if line.get("type") == "record" and r.get("status") == "ok":
            for k, v in r.get("phase_s", {}).items():
                phases[k] = phases.get(k, 0.0) + v
            kernels += sum(r.get("samples_us", [])) * 1e-6
    total = sum(phases.values())
    parts = ", ".join(f"{k} {v:.1f} s" for k, v in sorted(phases.items(), key=lambda kv: -kv[1]))
    print(f"{name} rule, time per phase over the ok points: {parts} (sum {total:.1f} s; kernels inside samples {kernels:.1f} s)")
PY
fi

if has torch; then
  # PyTorch's SDPA backends as AttnScope library backends: same executor, CUPTI spans and cold L2 as ours
  # (docs/python-backends.md). The interpreter is python3 on PATH unless ATTNSCOPE_PYTHON names one.
  stamp "PyTorch SDPA backends (library backends torch-*)"
  tb="${ATTNSCOPE_BENCH_TORCH_BACKENDS:-flash,efficient,cudnn,math}"
  tb="torch-${tb//,/,torch-}"
  : >"$OUT/torch.jsonl"
  for flag in "" --causal; do
    limited 10 "$CLI" run --device cuda:0 --tokens 16384 --hidden 2048 --seq "$SEQ" --head-dim 64,128 \
      --dtype "$DTYPES" $flag --backends "$tb" "${EXTRA[@]}" --stream >>"$OUT/torch.jsonl" 2>>"$LOG"
    echo "torch $flag exit code $?"
  done
fi

if has table; then
  stamp "table"
  python3 scripts/bench_table.py --ours "$OUT/bench_full.jsonl" "$OUT/bench_causal.jsonl" \
    --torch "$OUT/torch.jsonl" --markdown "$OUT/table.md"
  if has decode || has smallk; then
    python3 scripts/issue5_tables.py --bandwidth "$OUT/bandwidth.json" --decode "$OUT/decode.jsonl" \
      --smallk "$OUT/smallk.jsonl" --markdown "$OUT/issue5.md"
  fi
fi
