#!/bin/bash
# Device experiment (not committed): build, split-kv GPU tests, timings of variants (VARIANTS: env assignments, ';'-separated).
set -o pipefail
source scripts/device_env.sh
cmake -S . -B build-gpu -G Ninja -DATTNSCOPE_WITH_GUI=OFF -DCMAKE_CUDA_ARCHITECTURES=90a-real "${ATTNSCOPE_CMAKE_DEPS_ARGS[@]}" >/dev/null || exit 1
cmake --build build-gpu -j16 --target attnscope-cli attnscope_gpu_tests 2>&1 | tail -1 || exit 1
nvidia-smi --query-gpu=name,clocks.sm,clocks.mem,temperature.gpu --format=csv,noheader
build-gpu/tests/attnscope_gpu_tests --gtest_filter="${TESTS:-*SplitKv*}" > $OUT/tests.log 2>&1; echo "tests rc=$?"; grep -E "PASSED|FAILED|tests ran|Failure|Expected|Which is|actual" $OUT/tests.log | head -30
CLI=build-gpu/bin/attnscope-cli
$CLI bandwidth --device cuda:0 2>&1 | tail -2
common="run --device cuda:0 --no-check --heads 32 --kv-heads 8 --q-len 1 -d 128 --dtype bfloat16 --backends split-kv-decode $QUICK"
IFS=';' read -ra VS <<< "$VARIANTS"
for v in "${VS[@]}"; do
  echo "== $v"
  for shape in "-b 1 --kv-len 8192,16384,32768" "-b 4 --kv-len 8192,32768" "-b 64 --kv-len 8192 $BIG"; do
    env $v $CLI $common $shape --csv /tmp/r.csv > /tmp/r.txt 2>&1 || { cat /tmp/r.txt; }
    sed "s/^/$v,/" /tmp/r.csv >> $OUT/all.csv
    python3 - <<'PY'
import csv
for r in csv.DictReader(open('/tmp/r.csv')):
    keys=['batch','kv_len','median_us','p10_us','min_us','busy_median_us','samples','gbs','status','message']
    print(' '.join(f"{k}={r[k]}" for k in keys))
PY
  done
done
if [ -n "$FINAL_BIG" ]; then
  echo "== default settings, B=64 131072"
  $CLI $common -b 64 --kv-len 131072 --csv /tmp/r.csv > /tmp/r.txt 2>&1 || cat /tmp/r.txt
  sed "s/^/final,/" /tmp/r.csv >> $OUT/all.csv
  python3 -c "
import csv
for r in csv.DictReader(open('/tmp/r.csv')): print(' '.join(f'{k}={r[k]}' for k in ['batch','kv_len','median_us','p10_us','samples','gbs','status']))"
fi
