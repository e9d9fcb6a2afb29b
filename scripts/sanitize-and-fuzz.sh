#!/usr/bin/env bash
# CI's second pass (.ci/run): a CPU-only clang build with AddressSanitizer + UBSan that runs the CPU
# tests, then the libFuzzer target for the result loader and the worker protocol for a fixed budget,
# seeded with every real result file in docs/results. Any sanitizer report, test failure or fuzzer
# crash fails the run. Knobs: ATTNSCOPE_FUZZ_SECONDS (default 300), ATTNSCOPE_SANITIZE_DIR
# (default build-sanitize), ATTNSCOPE_JOBS (default: all cores).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${ATTNSCOPE_SANITIZE_DIR:-$ROOT/build-sanitize}"
FUZZ_SECONDS="${ATTNSCOPE_FUZZ_SECONDS:-300}"
JOBS="${ATTNSCOPE_JOBS:-$(nproc)}"

# clang and its libFuzzer runtime: Debian's, installed here only (the app itself builds with g++).
missing=()
for p in clang libclang-rt-14-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi

SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DATTNSCOPE_WITH_CUDA=OFF -DATTNSCOPE_WITH_GUI=OFF -DATTNSCOPE_FUZZ=ON \
  -DCMAKE_CXX_FLAGS="-O1 $SAN -fsanitize=fuzzer-no-link" -DCMAKE_EXE_LINKER_FLAGS="$SAN"
cmake --build "$BUILD" -j "$JOBS" --target attnscope_tests attnscope-cli attnscope_fuzz_results

# The embedded CPython of the library backends is never finalized: scripts/lsan-suppressions.txt says why.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
  LSAN_OPTIONS="suppressions=$ROOT/scripts/lsan-suppressions.txt:print_suppressions=0"
ctest --test-dir "$BUILD" -j "$JOBS" --output-on-failure

corpus="$BUILD/fuzz-corpus"
seeds="$BUILD/fuzz-seeds"
mkdir -p "$corpus" "$seeds"
find "$ROOT/docs/results" "$ROOT/tests/gui/data" -type f \( -name '*.json' -o -name '*.jsonl' \) -exec cp {} "$seeds/" \;
echo "Fuzzing the result loader and worker protocol for ${FUZZ_SECONDS} s ($(ls "$seeds" | wc -l) seed files)"
# -timeout: one input may take 30 s at most (a hang is a finding); -rss_limit_mb: so is a memory blow-up;
# -max_len 16 KiB keeps mutations fast (seeds are cut there: a stream still has complete lines).
"$BUILD/tests/attnscope_fuzz_results" -max_total_time="$FUZZ_SECONDS" -timeout=30 -rss_limit_mb=2048 \
  -max_len=16384 -print_final_stats=1 -artifact_prefix="$BUILD/" "$corpus" "$seeds"
