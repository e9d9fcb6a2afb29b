#!/usr/bin/env bash
# Call 11 as it ran: the first version of the bottom-up causal tiles (the ragged first tile starting above row 0, at a
# negative TMA coordinate) in bin.tar.xz, and x1.tar.xz (the same tiles, call 9's descriptors). Both stopped with
# "an illegal instruction was encountered" on the first causal kernel (d=64 bf16 1k; run.log, run-x1.log); the
# non-causal kernels before it ran (sanity.jsonl).
set -o pipefail
FINAL_OUT=$OUT; OUT=/tmp/o; mkdir -p $OUT/flash3
export PATH=/usr/local/cuda/bin:$PATH PYTHONUNBUFFERED=1
save() { tar -C /tmp -cJf "$FINAL_OUT/results.tar.xz" o; cp $OUT/flash3/*.md "$FINAL_OUT/" 2>/dev/null; }
T0=$(date +%s); t() { save; echo "== $(( $(date +%s) - T0 )) s: $*"; }
cd .gpu/final/tree && mkdir -p /work/wt && ln -sfn "$PWD" /work/wt/final
tar -xJf ../bin.tar.xz
mkdir -p /tmp/before && tar -C /tmp/before -xJf ../before.tar.xz
export BEFORE=/tmp/before/build-gpu/bin/attnscope-cli
F3="env OUT=$OUT/flash3 BUILD=build-gpu bash kernels/flash3/gpu_run.sh"
t "flash3 sanity (every kernel once at 1k, 20 s timeout)"
$F3 sanity 2>&1 | tail -8; S=$?
if [ "$S" != 0 ]; then
  t "sanity failed; the same with x1 (causal change only, descriptors as in call 9)"
  mkdir -p /tmp/x1 && tar -C /tmp/x1 -xJf ../x1.tar.xz
  env OUT=$OUT/x1 BUILD=/tmp/x1/build-gpu bash kernels/flash3/gpu_run.sh sanity 2>&1 | tail -4
  t "stop"; exit 3
fi
# (the rest, never reached: call12/run.sh)
